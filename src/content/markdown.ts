// Renders revision Markdown to HTML with markdown-it. Raw HTML in the source is
// escaped (html: false), so content can never inject markup or script.
// Citations are written `[@key]` or `[@a; @b]` and numbered by first appearance
// across the whole revision (summary, then sections in order): see
// docs/decisions/0002-content-format-and-citations.md.
import MarkdownIt from "markdown-it";
import type StateInline from "markdown-it/lib/rules_inline/state_inline.mjs";
import type StateBlock from "markdown-it/lib/rules_block/state_block.mjs";
import type Token from "markdown-it/lib/token.mjs";

const CITATION = /^\[@([A-Za-z0-9][A-Za-z0-9_.:-]*(?:\s*;\s*@[A-Za-z0-9][A-Za-z0-9_.:-]*)*)\]/;

/** Per-render context: how each key is shown, and each figure placed in the text. */
export interface CitationEnv {
  numberOf(key: string): number | undefined;
  /** The HTML of the figure placed by [[figure:<key>]]; undefined when there is none. */
  figureHtml?(key: string): string | undefined;
}

const FIGURE_LINE = /^\[\[figure:([^\]\s]{1,80})\]\]$/;

/** A line of its own [[figure:<key>]] places a figure (a block: it ends a paragraph). */
function figureRule(state: StateBlock, startLine: number, _endLine: number, silent: boolean): boolean {
  const start = state.bMarks[startLine]! + state.tShift[startLine]!;
  const line = state.src.slice(start, state.eMarks[startLine]).trim();
  const match = FIGURE_LINE.exec(line);
  if (!match) return false;
  if (silent) return true;
  const token = state.push("figure", "figure", 0);
  token.meta = { key: match[1] };
  token.map = [startLine, startLine + 1];
  state.line = startLine + 1;
  return true;
}

function citationRule(state: StateInline, silent: boolean): boolean {
  if (state.src.charCodeAt(state.pos) !== 0x5b /* [ */ || state.src.charCodeAt(state.pos + 1) !== 0x40 /* @ */) return false;
  const match = CITATION.exec(state.src.slice(state.pos));
  if (!match) return false;
  if (!silent) {
    const token = state.push("citation", "", 0);
    token.meta = { keys: match[1]!.split(";").map((k) => k.trim().replace(/^@/, "")) };
  }
  state.pos += match[0].length;
  return true;
}

const md = new MarkdownIt({ html: false, linkify: false, typographer: false });
md.inline.ruler.before("link", "citation", citationRule);
md.block.ruler.before("paragraph", "figure", figureRule, { alt: ["paragraph", "blockquote", "list"] });
md.renderer.rules.figure = (tokens, idx, _options, env: CitationEnv) => {
  const key: string = tokens[idx]!.meta.key;
  return env.figureHtml?.(key) ?? `<p class="figure-missing">[No figure “${md.utils.escapeHtml(key)}”]</p>\n`;
};
md.renderer.rules.citation = (tokens, idx, _options, env: CitationEnv) => {
  const keys: string[] = tokens[idx]!.meta.keys;
  const parts = keys.map((key) => {
    const n = env.numberOf(key);
    return n === undefined
      ? `<span class="cite-unresolved" title="No reference with this key">?${md.utils.escapeHtml(key)}</span>`
      : `<a href="#ref-${n}" aria-label="Reference ${n}">${n}</a>`;
  });
  return `<sup class="cite">${parts.join(", ")}</sup>`;
};

function collect(tokens: Token[], out: string[]) {
  for (const token of tokens) {
    if (token.type === "citation") out.push(...(token.meta.keys as string[]));
    if (token.children) collect(token.children, out);
  }
}

/** Every citation key in the Markdown, in reading order, repeats included. */
export function citationKeys(markdown: string): string[] {
  const keys: string[] = [];
  collect(md.parse(markdown, {}), keys);
  return keys;
}

export function renderMarkdown(markdown: string, env: CitationEnv): string {
  return md.render(markdown, env);
}

export function renderInline(markdown: string, env: CitationEnv): string {
  return md.renderInline(markdown, env);
}
