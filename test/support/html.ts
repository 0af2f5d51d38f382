// Reads a page as a reader would: its visible text, whitespace collapsed.
export function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;|&#34;/g, '"').replace(/&#39;/g, "'").replace(/&#x27;/g, "'")
    .replace(/&amp;/g, "&");
}

export function visibleText(html: string): string {
  const main = /<main[^>]*>([\s\S]*)<\/main>/.exec(html)?.[1] ?? html;
  return decodeEntities(
    main
      .replace(/<span class="visually-hidden">[\s\S]*?<\/span>/g, "")
      // Inline elements join their text; block elements separate it.
      .replace(/<\/?(a|strong|em|sup|sub|code|span|time|b|i)\b[^>]*>/g, "")
      .replace(/<[^>]+>/g, " "),
  ).replace(/\s+/g, " ").trim();
}
