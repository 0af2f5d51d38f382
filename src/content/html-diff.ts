// Marks inserted and deleted words inside rendered HTML, so a reviewer reads a change
// as the public would read the text (lists, bold, citation superscripts), not as Markdown.
//
// Both sides are rendered by our own Markdown renderer (escaped text, well-formed tags).
// The result keeps the new side's markup exactly and only wraps text: inserted words in
// <ins>, deleted words (without their old tags) in <del> at the place they used to be.
// So the output is as well-formed as the new rendering; a deleted block keeps its own
// <li> or <p>, and deleted words that would land directly in a list or at the top level
// get one.
import { diffArrays } from "diff";

const TOKEN = /<[^>]*>|\s+|[^\s<]+/g;
const VOID = new Set(["br", "hr", "img", "input", "wbr", "source"]);

const isTag = (t: string) => t.startsWith("<");

function tokenize(html: string): string[] {
  return html.match(TOKEN) ?? [];
}

/** Tracks which elements of the new side are open, to know where deleted text may go. */
class OpenElements {
  private stack: string[] = [];
  apply(tag: string) {
    const m = /^<(\/?)([a-zA-Z0-9]+)/.exec(tag);
    if (!m) return;
    const name = m[2]!.toLowerCase();
    if (m[1]) {
      const at = this.stack.lastIndexOf(name);
      if (at !== -1) this.stack.length = at;
    } else if (!VOID.has(name) && !tag.endsWith("/>")) this.stack.push(name);
  }
  get innermost(): string | null {
    return this.stack.at(-1) ?? null;
  }
}

function deleted(text: string, open: OpenElements): string {
  const del = `<del>${text}</del>`;
  const where = open.innermost;
  if (where === "ul" || where === "ol") return `<li class="diff-deleted-item">${del}</li>`;
  // Text may not stand directly in a table's structure: give it a cell (and a row).
  if (where === "tr") return `<td class="diff-deleted-item">${del}</td>`;
  if (where === "table" || where === "thead" || where === "tbody") return `<tr class="diff-deleted-item"><td>${del}</td></tr>`;
  if (where === null || where === "blockquote" || where === "section" || where === "div") return `<p class="diff-deleted-item">${del}</p>`;
  return del;
}

type Part = { value: string[]; added?: boolean; removed?: boolean };

/**
 * Joins changes separated only by a space into one deletion and one insertion, so
 * "<del>low</del><ins>2mg</ins> <del>dose</del><ins>at</ins>" reads "<del>low dose</del><ins>2mg at</ins>".
 */
function coalesced(parts: Part[]): Part[] {
  const out: Part[] = [];
  const changed = (p: Part | undefined) => !!p && (p.added || p.removed);
  const blank = (p: Part) => p.value.every((t) => /^\s+$/.test(t));
  for (let i = 0; i < parts.length; ) {
    if (!changed(parts[i])) {
      out.push(parts[i]!);
      i++;
      continue;
    }
    const removed: string[] = [];
    const added: string[] = [];
    let j = i;
    for (; j < parts.length; j++) {
      const p = parts[j]!;
      if (p.removed) removed.push(...p.value);
      else if (p.added) added.push(...p.value);
      else if (blank(p) && changed(parts[j + 1])) {
        removed.push(...p.value);
        added.push(...p.value);
      } else break;
    }
    if (removed.length) out.push({ value: removed, removed: true });
    if (added.length) out.push({ value: added, added: true });
    i = j;
  }
  return out;
}

/** Word-level diff of two stretches of HTML, continuing the open-element context `open`. */
function tokenDiff(beforeHtml: string, afterHtml: string, open: OpenElements, out: string[]) {
  for (const part of coalesced(diffArrays(tokenize(beforeHtml), tokenize(afterHtml)))) {
    if (part.removed) {
      // Old tags are dropped; words separated by them stay separated.
      const text = part.value.map((t) => (isTag(t) ? " " : t)).join("").replace(/\s+/g, " ");
      if (text.trim()) out.push(deleted(text.trim(), open));
      else if (/\s/.test(text)) out.push(" ");
      continue;
    }
    if (!part.added) {
      for (const t of part.value) {
        if (isTag(t)) open.apply(t);
        out.push(t);
      }
      continue;
    }
    let run: string[] = [];
    const flush = () => {
      const text = run.join("");
      if (text.trim()) {
        const lead = /^\s*/.exec(text)![0];
        const trail = /\s*$/.exec(text)![0];
        out.push(`${lead}<ins>${text.trim()}</ins>${trail}`);
      } else out.push(text);
      run = [];
    };
    for (const t of part.value) {
      if (isTag(t)) {
        flush();
        open.apply(t);
        out.push(t);
      } else run.push(t);
    }
    flush();
  }
}

/** A line that is one whole block: `<li>…</li>`, `<p>…</p>`, `<h3>…</h3>`. */
const BLOCK_LINE = /^<(li|p|h[1-6])(\s[^>]*)?>([\s\S]*)<\/\1>$/;

const wordsOf = (html: string) => new Set(html.replace(/<[^>]*>/g, " ").toLowerCase().split(/\s+/).filter(Boolean));

/** Share of words two blocks have in common (0 to 1): above a half they are one block edited. */
function similarity(a: string, b: string): number {
  const x = wordsOf(a);
  const y = wordsOf(b);
  if (!x.size && !y.size) return 1;
  let common = 0;
  for (const w of x) if (y.has(w)) common++;
  return common / Math.max(x.size, y.size);
}

function wholeBlock(line: string, mark: "ins" | "del", open: OpenElements): string | null {
  const m = BLOCK_LINE.exec(line);
  if (!m) return null;
  const [, tag, , inner] = m;
  const where = open.innermost;
  const fits = tag === "li" ? where === "ul" || where === "ol" : where === null;
  if (!fits) return null;
  return mark === "ins" ? `<${tag}${m[2] ?? ""}><ins>${inner}</ins></${tag}>` : `<${tag} class="diff-deleted-item"><del>${inner}</del></${tag}>`;
}

/**
 * Block by block first (the renderer writes one block per line), so a removed list item
 * reads as one struck-out item rather than words shifted between neighbours; then word
 * by word inside each edited block.
 */
export function htmlDiff(beforeHtml: string, afterHtml: string): string {
  const out: string[] = [];
  const open = new OpenElements();
  const emit = (line: string) => {
    for (const t of tokenize(line)) if (isTag(t)) open.apply(t);
    out.push(line, "\n");
  };
  const parts = diffArrays(beforeHtml.split("\n"), afterHtml.split("\n"));
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p]!;
    if (!part.added && !part.removed) {
      part.value.forEach(emit);
      continue;
    }
    const removed = part.removed ? part.value : [];
    const next = parts[p + 1];
    const added = part.added ? part.value : next?.added ? (p++, next.value) : [];
    let i = 0;
    let j = 0;
    while (i < removed.length || j < added.length) {
      const old = removed[i];
      const now = added[j];
      if (old !== undefined && now !== undefined && similarity(old, now) >= 0.5) {
        tokenDiff(old, now, open, out);
        out.push("\n");
        i++;
        j++;
      } else if (now !== undefined && (old === undefined || removed.slice(i).every((r) => similarity(r, now) < 0.5))) {
        // A new block: marked as a whole when it is one, else word by word against nothing.
        const whole = wholeBlock(now, "ins", open);
        if (whole) out.push(whole, "\n");
        else {
          tokenDiff("", now, open, out);
          out.push("\n");
        }
        j++;
      } else {
        const whole = wholeBlock(old!, "del", open);
        if (whole) out.push(whole, "\n");
        else tokenDiff(old!, "", open, out);
        i++;
      }
    }
  }
  return out.join("").replace(/\n+$/, "\n");
}

/** True when the diff marks anything (used to decide whether a section changed as read). */
export function hasMarks(diffHtml: string): boolean {
  return /<(ins|del)>/.test(diffHtml);
}
