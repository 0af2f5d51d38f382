// Section-aware comparison of two revisions: sections added, removed, moved and
// renamed; word-level insertions and deletions inside a section (jsdiff); and
// reference and citation changes. Output is escaped HTML using <ins>/<del>, which
// the stylesheet also marks with [+ +] / [− −] so colour is not the only cue.
import { diffWordsWithSpace } from "diff";
import type { RevisionState } from "../generated/prisma/client.js";
import type { RevisionContent } from "../content/revision-content.js";
import { numberCitations } from "../content/citations.js";
import { citableTexts } from "./revisions.js";

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
  bodyHtml: string;
}

export interface RevisionComparison {
  fields: { label: string; html: string }[];
  sections: SectionComparison[];
  references: { key: string; status: "added" | "removed" | "changed"; changes: { field: string; old: string; new: string }[] }[];
  citations: { added: string[]; removed: string[]; renumbered: { key: string; old: number; new: number }[] };
  changed: boolean;
}

const fieldLabels: [keyof RevisionContent, string][] = [
  ["title", "Question (title)"], ["summaryHeading", "Summary heading"], ["summary", "Summary"],
  ["lastUpdated", "Last updated"], ["disclaimerHeading", "Disclaimer heading"], ["disclaimer", "Disclaimer"],
];
const referenceFields = ["type", "title", "authors", "source", "year", "doi", "pmid", "url", "detailsMissing", "note"] as const;

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

export function compareRevisions(before: RevisionContent, after: RevisionContent): RevisionComparison {
  const fields = fieldLabels
    .filter(([f]) => before[f] !== after[f])
    .map(([f, label]) => ({ label, html: wordDiffHtml(String(before[f]), String(after[f])) }));

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
      sections.push({ key: s.key, status: "added", moved: false, renamed: false, depthChanged: false, oldHeading: null, newHeading: s.heading, headingHtml: `<ins>${escapeHtml(s.heading)}</ins>`, bodyHtml: s.body ? `<ins>${escapeHtml(s.body)}</ins>` : "" });
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
    });
  }
  before.sections.forEach((old, i) => {
    if (newKeys.has(old.key)) return;
    const entry: SectionComparison = { key: old.key, status: "removed", moved: false, renamed: false, depthChanged: false, oldHeading: old.heading, newHeading: null, headingHtml: `<del>${escapeHtml(old.heading)}</del>`, bodyHtml: old.body ? `<del>${escapeHtml(old.body)}</del>` : "" };
    // Show a removed section where it used to be.
    const prevKey = before.sections[i - 1]?.key;
    const at = prevKey ? sections.findIndex((x) => x.key === prevKey) + 1 : 0;
    sections.splice(at, 0, entry);
  });

  const oldRefs = new Map(before.references.map((r) => [r.key, r]));
  const newRefs = new Map(after.references.map((r) => [r.key, r]));
  const show = (v: unknown) => (v === null || v === undefined || v === "" ? "—" : String(v));
  const references: RevisionComparison["references"] = [];
  for (const r of after.references) {
    const old = oldRefs.get(r.key);
    if (!old) references.push({ key: r.key, status: "added", changes: referenceFields.map((f) => ({ field: f, old: "—", new: show(r[f]) })).filter((c) => c.new !== "—") });
    else {
      const changes = referenceFields.filter((f) => old[f] !== r[f]).map((f) => ({ field: f, old: show(old[f]), new: show(r[f]) }));
      if (changes.length) references.push({ key: r.key, status: "changed", changes });
    }
  }
  for (const r of before.references) if (!newRefs.has(r.key)) references.push({ key: r.key, status: "removed", changes: [] });

  const oldCites = numberCitations(citableTexts(before), before.references.map((r) => r.key));
  const newCites = numberCitations(citableTexts(after), after.references.map((r) => r.key));
  const citations = {
    added: newCites.orderedKeys.filter((k) => oldCites.numberOf(k) === undefined),
    removed: oldCites.orderedKeys.filter((k) => newCites.numberOf(k) === undefined),
    renumbered: newCites.orderedKeys
      .filter((k) => oldCites.numberOf(k) !== undefined && oldCites.numberOf(k) !== newCites.numberOf(k))
      .map((k) => ({ key: k, old: oldCites.numberOf(k)!, new: newCites.numberOf(k)! })),
  };
  const changed =
    fields.length > 0 || references.length > 0 || sections.some((s) => s.status !== "unchanged" || s.moved) ||
    citations.added.length + citations.removed.length + citations.renumbered.length > 0;
  return { fields, sections, references, citations, changed };
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
