// Section-aware comparison of two revisions: sections added, removed, moved and
// renamed; word-level insertions and deletions inside a section, both in the text as
// the public reads it (rendered HTML, the default view) and in the Markdown source
// (jsdiff); and reference and citation changes, named as the public and the form name
// them (never by internal keys). Output is escaped HTML using <ins>/<del>, which the
// stylesheet also marks with [+ +] / [− −] so colour is not the only cue.
import { diffLines, diffWordsWithSpace } from "diff";
import type { RevisionState } from "../../generated/prisma/client.js";
import { contentForAudience, referenceTypeLabels, variantPartName, type ReferenceContent, type RevisionContent, type VariantContent } from "../../content/revision-content.js";
import { readability, type Readability } from "../../content/readability.js";
import { numberCitations } from "../../content/citations.js";
import { renderRevision } from "../../content/render.js";
import { htmlDiff } from "../../content/html-diff.js";
import { citableTexts, variantPart } from "./revisions.js";
import type { FigureRenderOptions, RenderedFigure } from "../../content/figures.js";
import { lookupTable } from "../../lookup.js";

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function wordDiffHtml(before: string, after: string): string {
  return diffWordsWithSpace(before, after)
    .map((part) => (part.added ? `<ins>${escapeHtml(part.value)}</ins>` : part.removed ? `<del>${escapeHtml(part.value)}</del>` : escapeHtml(part.value)))
    .join("");
}

export type SectionStatus = "unchanged" | "changed" | "added" | "removed";

export interface SectionComparison {
  key: string;
  status: SectionStatus;
  moved: boolean;
  renamed: boolean;
  depthChanged: boolean;
  oldHeading: string | null;
  newHeading: string | null;
  headingHtml: string;
  /** The Markdown source with words marked. */
  bodyHtml: string;
  /** The section as the public reads it, with words marked (unchanged: just the text). */
  renderedHtml: string;
}

export interface ReferenceChange {
  key: string;
  /** As readers know it: "Reference 4: Title" (its number in the newer revision, else the older). */
  name: string;
  status: "added" | "removed" | "changed";
  /** `label` is the form's label for the field; values are shown as the form shows them. */
  changes: { field: (typeof referenceFields)[number]; label: string; old: string; new: string }[];
}

export interface RevisionComparison {
  /** `html`: the source with words marked; `renderedHtml`: as read (the summary rendered). */
  fields: { label: string; html: string; renderedHtml: string }[];
  sections: SectionComparison[];
  references: ReferenceChange[];
  citations: { added: string[]; removed: string[]; renumbered: { key: string; old: number; new: number }[] };
  /** Audience versions added, removed or changed, with the readability of the new text. */
  variants: VariantComparison[];
  /** Each reference key of either revision by its reader-facing name, for showing citation changes. */
  referenceNames: Record<string, string>;
  /** Figures added, removed or changed: old and new image side by side, texts with words marked. */
  figures: FigureComparison[];
  changed: boolean;
}

export interface FigureComparison {
  key: string;
  /** "Figure 2" in the newer revision (the older one for a removed figure). */
  name: string;
  status: "added" | "removed" | "changed";
  imageChanged: boolean;
  /** The figure as each revision shows it (null on the side where it does not exist). */
  oldHtml: string | null;
  newHtml: string | null;
  /** Each text field that changed, words marked (escaped HTML). */
  texts: { label: string; html: string }[];
}

/** A figure shown twice on one page (before and after) must not repeat its id. */
const withoutId = (html: string | null | undefined) => (html ? html.replace(/ id="figure-[^"]*"/, "") : null);

const figureTextFields = [["alt", "Alternative text"], ["caption", "Caption"], ["credit", "Credit"], ["licence", "Licence"]] as const;

function compareFigures(before: RevisionContent, after: RevisionContent, oldFigures: RenderedFigure[], newFigures: RenderedFigure[]): FigureComparison[] {
  const oldByKey = new Map(before.figures.map((f) => [f.key, f]));
  const newKeys = new Set(after.figures.map((f) => f.key));
  const oldRendered = new Map(oldFigures.map((f) => [f.key, f]));
  const newRendered = new Map(newFigures.map((f) => [f.key, f]));
  const out: FigureComparison[] = [];
  const show = (v: string) => (v === "" ? "—" : v);
  for (const f of after.figures) {
    const old = oldByKey.get(f.key);
    const now = newRendered.get(f.key)!;
    if (!old) {
      out.push({
        key: f.key, name: `Figure ${now.number}`, status: "added", imageChanged: true, oldHtml: null, newHtml: withoutId(now.html),
        texts: figureTextFields.filter(([k]) => f[k] !== "").map(([k, label]) => ({ label, html: `<ins>${escapeHtml(f[k])}</ins>` })),
      });
      continue;
    }
    if (JSON.stringify(old) === JSON.stringify(f)) continue;
    const texts: { label: string; html: string }[] = figureTextFields.filter(([k]) => old[k] !== f[k]).map(([k, label]) => ({ label, html: wordDiffHtml(show(old[k]), show(f[k])) }));
    if (old.decorative !== f.decorative) texts.push({ label: "Decorative", html: `<del>${old.decorative ? "yes" : "no"}</del> <ins>${f.decorative ? "yes" : "no"}</ins>` });
    if (old.sectionKey !== f.sectionKey) texts.push({ label: "Section", html: wordDiffHtml(old.sectionKey, f.sectionKey) });
    if (old.referenceKey !== f.referenceKey) texts.push({ label: "Source reference", html: wordDiffHtml(old.referenceKey ?? "—", f.referenceKey ?? "—") });
    for (const v of new Set([...old.variants, ...f.variants].map((x) => x.audience))) {
      const a = old.variants.find((x) => x.audience === v);
      const b = f.variants.find((x) => x.audience === v);
      if (a?.alt !== b?.alt) texts.push({ label: `Alternative text for “${v}”`, html: wordDiffHtml(show(a?.alt ?? ""), show(b?.alt ?? "")) });
      if (a?.caption !== b?.caption) texts.push({ label: `Caption for “${v}”`, html: wordDiffHtml(show(a?.caption ?? ""), show(b?.caption ?? "")) });
    }
    out.push({
      key: f.key, name: `Figure ${now.number}`, status: "changed", imageChanged: old.image !== f.image,
      oldHtml: withoutId(oldRendered.get(f.key)?.html), newHtml: withoutId(now.html), texts,
    });
  }
  for (const f of before.figures) {
    if (newKeys.has(f.key)) continue;
    const was = oldRendered.get(f.key)!;
    out.push({ key: f.key, name: `Figure ${was.number}`, status: "removed", imageChanged: true, oldHtml: withoutId(was.html), newHtml: null, texts: [] });
  }
  return out;
}

export interface VariantComparison {
  /** The audience's slug; `audienceName` when the screen has looked it up. */
  audience: string;
  audienceName?: string;
  sectionKey: string | null;
  /** "the summary" or the section's heading. */
  part: string;
  status: "added" | "removed" | "changed";
  /** The Markdown source with words marked. */
  html: string;
  /** The version as its audience reads it (rendered, citations numbered), with words marked. */
  renderedHtml: string;
  readability: Readability | null;
}

/** Each audience's version of a part, rendered as that audience's page renders it (its own citation numbers). */
function renderedVariants(content: RevisionContent): Map<string, string> {
  const out = new Map<string, string>();
  for (const audience of new Set(content.variants.map((v) => v.audience))) {
    const rendered = renderRevision(contentForAudience(content, audience).content, content);
    const htmlOf = new Map(rendered.sections.map((s) => [s.key, s.html]));
    for (const v of content.variants.filter((x) => x.audience === audience)) {
      out.set(variantPart(v), v.sectionKey === null ? rendered.summaryHtml : (htmlOf.get(v.sectionKey) ?? ""));
    }
  }
  return out;
}

function compareVariants(before: RevisionContent, after: RevisionContent): VariantComparison[] {
  const headingOf = new Map([...before.sections, ...after.sections].map((s) => [s.key, s.heading]));
  const part = (v: VariantContent) => variantPartName(v, (key) => headingOf.get(key));
  const oldByPart = new Map(before.variants.map((v) => [variantPart(v), v]));
  const newParts = new Set(after.variants.map(variantPart));
  const oldRendered = renderedVariants(before);
  const newRendered = renderedVariants(after);
  const out: VariantComparison[] = [];
  for (const v of after.variants) {
    const old = oldByPart.get(variantPart(v));
    const oldHtml = old ? oldRendered.get(variantPart(old))! : "";
    const newHtml = newRendered.get(variantPart(v))!;
    // Rendered even when the source is unchanged: a citation's number can change elsewhere.
    if (old?.body === v.body && oldHtml === newHtml) continue;
    out.push({
      audience: v.audience, sectionKey: v.sectionKey, part: part(v), status: old ? "changed" : "added",
      html: old ? wordDiffHtml(old.body, v.body) : `<ins>${escapeHtml(v.body)}</ins>`,
      renderedHtml: htmlDiff(oldHtml, newHtml), readability: readability(v.body),
    });
  }
  for (const v of before.variants) {
    if (!newParts.has(variantPart(v))) {
      out.push({
        audience: v.audience, sectionKey: v.sectionKey, part: part(v), status: "removed",
        html: `<del>${escapeHtml(v.body)}</del>`, renderedHtml: htmlDiff(oldRendered.get(variantPart(v))!, ""), readability: null,
      });
    }
  }
  return out;
}

export const fieldLabels: [keyof RevisionContent, string][] = [
  ["title", "Question (title)"], ["summaryHeading", "Summary heading"], ["summary", "Summary"],
  ["lastUpdated", "Last updated"], ["disclaimerHeading", "Disclaimer heading"], ["disclaimer", "Disclaimer"],
];
const referenceFields = ["type", "title", "authors", "source", "year", "doi", "pmid", "url", "detailsMissing", "note"] as const;
/** The editor form's labels (views/editor/edit.ejs), so a change reads as the form the editor filled in. */
const referenceFieldLabels: Record<(typeof referenceFields)[number], string> = {
  type: "Type", title: "Title", authors: "Authors", source: "Journal or publisher", year: "Year",
  doi: "DOI", pmid: "PMID", url: "URL", detailsMissing: "Details of this source are missing", note: "Note",
};

function showReferenceField(ref: ReferenceContent, field: (typeof referenceFields)[number]): string {
  const value = ref[field];
  if (field === "type") return referenceTypeLabels[ref.type];
  if (field === "detailsMissing") return value ? "yes" : "no";
  return value === null || value === undefined || value === "" ? "—" : String(value);
}

/**
 * Only the lines that changed, each with its words marked: a small diff for a history
 * entry, where the whole section would drown the change. At most `max` lines.
 */
export function changedLinesHtml(before: string, after: string, max = 4): { lines: string[]; more: number } {
  const lines: string[] = [];
  const parts = diffLines(before, after);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const next = parts[i + 1];
    if (part.removed && next?.added) {
      // Each mark closed at the end of its line, so the result can be cut into lines.
      const marked = diffWordsWithSpace(part.value.trimEnd(), next.value.trimEnd())
        .map((w) => {
          const tag = w.added ? "ins" : w.removed ? "del" : null;
          return w.value.split("\n").map((piece) => (tag && piece ? `<${tag}>${escapeHtml(piece)}</${tag}>` : escapeHtml(piece))).join("\n");
        })
        .join("");
      lines.push(...marked.split("\n").filter((l) => /<(ins|del)>/.test(l)));
      i++;
    } else if (part.removed) lines.push(...part.value.trimEnd().split("\n").map((l) => `<del>${escapeHtml(l)}</del>`));
    else if (part.added) lines.push(...part.value.trimEnd().split("\n").map((l) => `<ins>${escapeHtml(l)}</ins>`));
  }
  return { lines: lines.slice(0, max), more: Math.max(0, lines.length - max) };
}

/** The items of the longest common subsequence of `a` and `b` (lists of distinct keys). */
function longestCommonSubsequence(a: string[], b: string[]): Set<string> {
  // len[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const len = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      len[i]![j] = a[i] === b[j] ? len[i + 1]![j + 1]! + 1 : Math.max(len[i + 1]![j]!, len[i]![j + 1]!);
    }
  }
  const kept = new Set<string>();
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    if (a[i] === b[j]) {
      kept.add(a[i]!);
      i++;
      j++;
    } else if (len[i + 1]![j]! >= len[i]![j + 1]!) i++;
    else j++;
  }
  return kept;
}

export function compareRevisions(before: RevisionContent, after: RevisionContent, render: FigureRenderOptions = {}): RevisionComparison {
  const oldRendered = renderRevision(before, before, render);
  const newRendered = renderRevision(after, after, render);
  const oldHtml = new Map(oldRendered.sections.map((s) => [s.key, s.html]));
  const newHtml = new Map(newRendered.sections.map((s) => [s.key, s.html]));
  const fields = fieldLabels
    .filter(([f]) => before[f] !== after[f])
    .map(([f, label]) => {
      const html = wordDiffHtml(String(before[f]), String(after[f]));
      return { label, html, renderedHtml: f === "summary" ? htmlDiff(oldRendered.summaryHtml, newRendered.summaryHtml) : html };
    });

  const oldByKey = new Map(before.sections.map((s, i) => [s.key, { s, i }]));
  const newKeys = new Set(after.sections.map((s) => s.key));
  // A section "moved" when it is not among the longest run of sections (present in
  // both revisions) that kept their relative order. Comparing each section's rank
  // instead would mark every section between the old and new place of one moved
  // section as moved too.
  const commonOld = before.sections.filter((s) => newKeys.has(s.key)).map((s) => s.key);
  const commonNew = after.sections.filter((s) => oldByKey.has(s.key)).map((s) => s.key);
  const stayed = longestCommonSubsequence(commonOld, commonNew);
  const sections: SectionComparison[] = [];
  for (const s of after.sections) {
    const old = oldByKey.get(s.key)?.s;
    if (!old) {
      sections.push({ key: s.key, status: "added", moved: false, renamed: false, depthChanged: false, oldHeading: null, newHeading: s.heading, headingHtml: `<ins>${escapeHtml(s.heading)}</ins>`, bodyHtml: s.body ? `<ins>${escapeHtml(s.body)}</ins>` : "", renderedHtml: htmlDiff("", newHtml.get(s.key)!) });
      continue;
    }
    const renamed = old.heading !== s.heading;
    const bodyChanged = old.body !== s.body;
    const depthChanged = old.depth !== s.depth;
    sections.push({
      key: s.key,
      status: renamed || bodyChanged || depthChanged ? "changed" : "unchanged",
      moved: !stayed.has(s.key),
      renamed, depthChanged,
      oldHeading: old.heading, newHeading: s.heading,
      headingHtml: renamed ? wordDiffHtml(old.heading, s.heading) : escapeHtml(s.heading),
      bodyHtml: bodyChanged ? wordDiffHtml(old.body, s.body) : escapeHtml(s.body),
      // Rendered even when the source is unchanged: a citation's number can change elsewhere.
      renderedHtml: htmlDiff(oldHtml.get(s.key)!, newHtml.get(s.key)!),
    });
  }
  before.sections.forEach((old, i) => {
    if (newKeys.has(old.key)) return;
    const entry: SectionComparison = { key: old.key, status: "removed", moved: false, renamed: false, depthChanged: false, oldHeading: old.heading, newHeading: null, headingHtml: `<del>${escapeHtml(old.heading)}</del>`, bodyHtml: old.body ? `<del>${escapeHtml(old.body)}</del>` : "", renderedHtml: htmlDiff(oldHtml.get(old.key)!, "") };
    // Show a removed section where it used to be.
    const prevKey = before.sections[i - 1]?.key;
    const at = prevKey ? sections.findIndex((x) => x.key === prevKey) + 1 : 0;
    sections.splice(at, 0, entry);
  });

  const oldRefs = new Map(before.references.map((r) => [r.key, r]));
  const newRefs = new Map(after.references.map((r) => [r.key, r]));
  const referenceNames = lookupTable<string>();
  for (const { references: refs } of [oldRendered, newRendered]) {
    for (const r of refs) referenceNames[r.key] = `Reference ${r.number ?? "(not cited)"}${r.title ? `: ${r.title}` : ""}`;
  }
  const references: ReferenceChange[] = [];
  const change = (field: (typeof referenceFields)[number], old: ReferenceContent | undefined, now: ReferenceContent | undefined) => ({
    field, label: referenceFieldLabels[field], old: old ? showReferenceField(old, field) : "—", new: now ? showReferenceField(now, field) : "—",
  });
  for (const r of after.references) {
    const old = oldRefs.get(r.key);
    const name = referenceNames[r.key]!;
    if (!old) references.push({ key: r.key, name, status: "added", changes: referenceFields.map((f) => change(f, undefined, r)).filter((c) => c.new !== "—" && c.new !== "no") });
    else {
      const changes = referenceFields.filter((f) => old[f] !== r[f]).map((f) => change(f, old, r));
      if (changes.length) references.push({ key: r.key, name, status: "changed", changes });
    }
  }
  for (const r of before.references) if (!newRefs.has(r.key)) references.push({ key: r.key, name: referenceNames[r.key]!, status: "removed", changes: [] });

  const oldCites = numberCitations(citableTexts(before), before.references.map((r) => r.key));
  const newCites = numberCitations(citableTexts(after), after.references.map((r) => r.key));
  const citations = {
    added: newCites.orderedKeys.filter((k) => oldCites.numberOf(k) === undefined),
    removed: oldCites.orderedKeys.filter((k) => newCites.numberOf(k) === undefined),
    renumbered: newCites.orderedKeys
      .filter((k) => oldCites.numberOf(k) !== undefined && oldCites.numberOf(k) !== newCites.numberOf(k))
      .map((k) => ({ key: k, old: oldCites.numberOf(k)!, new: newCites.numberOf(k)! })),
  };
  const variants = compareVariants(before, after);
  const figures = compareFigures(before, after, oldRendered.figures, newRendered.figures);
  const changed =
    variants.length > 0 || figures.length > 0 || fields.length > 0 || references.length > 0 || sections.some((s) => s.status !== "unchanged" || s.moved) ||
    citations.added.length + citations.removed.length + citations.renumbered.length > 0;
  return { fields, sections, references, citations, variants, figures, changed, referenceNames };
}

/**
 * The revision a reviewer compares with by default: the last one the board reviewed.
 * That is the last approved or published revision before `currentNumber`; if none, the
 * last one on which changes were requested; if none, the first one submitted (any state
 * but a draft); failing that, the previous revision. Comparing with the previous revision
 * instead would hide everything an editor changed in the drafts saved in between.
 */
export function defaultComparisonBase(
  revisions: { number: number; state: RevisionState; publishedAt: Date | null }[],
  currentNumber: number,
): number | null {
  const earlier = revisions.filter((r) => r.number < currentNumber).sort((a, b) => b.number - a.number);
  const reviewed = earlier.find((r) => r.state === "APPROVED" || r.publishedAt !== null);
  if (reviewed) return reviewed.number;
  const sentBack = earlier.find((r) => r.state === "CHANGES_REQUESTED");
  if (sentBack) return sentBack.number;
  const firstSubmitted = earlier.findLast((r) => r.state !== "DRAFT");
  if (firstSubmitted) return firstSubmitted.number;
  return earlier[0]?.number ?? null;
}
