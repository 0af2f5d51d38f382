// Citation integrity checks, run on every save and shown to editors and reviewers.
// Errors block "Submit for review" and "Approve"; warnings inform.
import { citationKeys } from "../../content/markdown.js";
import { DISCLAIMER_PART, variantPartName, type RevisionContent } from "../../content/revision-content.js";
import { textWithCaptions } from "../../content/figures.js";

export interface CitationIssue {
  severity: "error" | "warning";
  code: "unresolved-citation" | "missing-details" | "uncited-reference" | "duplicate-reference" | "uncited-dose-claim" | "deleted-image";
  /** Where it occurs, in words an editor can find: "Section “Invasive Options”, item 3". */
  where: string;
  message: string;
}

// A dose is a number followed by a unit, e.g. "2-4mg", "36 mg daily", "20-40g/week",
// "0.5 mg/kg", "50 μg" (micro written as µ, the micro sign, or μ, the Greek letter mu).
const DOSE = /\b\d+(?:[.,]\d+)?(?:\s*[-–]\s*\d+(?:[.,]\d+)?)?\s?(?:mg\/kg|mg|mcg|[µμ]g|g|ml|mL|mEq|mmol|units?|IU)\b/;

/** A title reduced to its letters and digits (in any script), lower case, for spotting duplicates. */
const normalTitle = (title: string) => title.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim();

/** Splits Markdown into paragraphs and list items, keeping each one's own line(s). */
function claims(markdown: string): string[] {
  const out: string[] = [];
  let current: string[] = [];
  const flush = () => {
    if (current.length) out.push(current.join(" "));
    current = [];
  };
  for (const line of markdown.split("\n")) {
    if (/^\s*$/.test(line)) flush();
    else if (/^\s*(?:[-*+]|\d+[.)])\s+/.test(line)) {
      flush();
      current.push(line.trim());
    } else current.push(line.trim());
  }
  flush();
  return out;
}

/**
 * `deletedImages`: hashes of images whose bytes were deleted; a figure showing one blocks submitting
 * and approving like a citation error (the board cannot review an image that is not there).
 */
export function checkCitations(content: RevisionContent, deletedImages: ReadonlySet<string> = new Set()): CitationIssue[] {
  const issues: CitationIssue[] = [];
  content.figures.forEach((f) => {
    if (deletedImages.has(f.image)) issues.push({ severity: "error", code: "deleted-image", where: `Figure “${f.key}”`, message: "Its image was deleted: choose another image or remove the figure." });
  });
  const refsByKey = new Map(content.references.map((r) => [r.key, r]));
  const cited = new Set<string>();
  const headingOf = new Map(content.sections.map((s) => [s.key, s.heading]));
  // A variant is checked like the text it stands for, and may cite only the article's references.
  const texts = [
    { where: `Summary`, markdown: content.summary, unit: "paragraph" },
    // Captions are checked where their figure stands (a caption may cite like the text).
    ...content.sections.map((s) => ({ where: `Section “${s.heading}”`, markdown: textWithCaptions(s.body, s.key, content.figures), unit: "item" })),
    ...content.figures.flatMap((f) => f.variants.filter((v) => v.caption).map((v) => ({ where: `${v.audience} caption of figure “${f.key}”`, markdown: v.caption, unit: "paragraph" }))),
    ...content.variants.map((v) => ({
      where: `${v.audience} version of ${variantPartName(v, (key) => headingOf.get(key))}`,
      markdown: v.body,
      unit: v.sectionKey === null || v.sectionKey === DISCLAIMER_PART ? "paragraph" : "item",
    })),
  ];
  for (const text of texts) {
    claims(text.markdown).forEach((claim, i) => {
      const keys = citationKeys(claim);
      const where = `${text.where}, ${text.unit} ${i + 1}`;
      for (const key of keys) {
        cited.add(key);
        if (!refsByKey.has(key)) {
          issues.push({ severity: "error", code: "unresolved-citation", where, message: `Citation [@${key}] names no reference in the list.` });
        }
      }
      if (keys.length === 0 && DOSE.test(claim)) {
        issues.push({ severity: "warning", code: "uncited-dose-claim", where, message: `States a dose ("${DOSE.exec(claim)![0]}") without a citation.` });
      }
    });
  }
  const seen = { doi: new Map<string, string>(), pmid: new Map<string, string>(), title: new Map<string, string>() };
  content.references.forEach((ref, i) => {
    const where = `Reference ${i + 1} (${ref.key})`;
    const missing = [!ref.title && "title", !ref.source && "journal or publisher", !ref.year && "year"].filter(Boolean);
    if (missing.length) {
      issues.push({
        severity: "error", code: "missing-details", where,
        message: `Missing ${missing.join(", ")}${ref.detailsMissing ? " (the source did not name this reference; supply its details)" : ""}.`,
      });
    }
    if (!cited.has(ref.key)) issues.push({ severity: "warning", code: "uncited-reference", where, message: "Never cited in the text." });
    for (const [field, value] of [["doi", ref.doi?.toLowerCase()], ["pmid", ref.pmid], ["title", ref.title ? normalTitle(ref.title) : undefined]] as const) {
      if (!value) continue;
      const other = seen[field].get(value);
      if (other) issues.push({ severity: "error", code: "duplicate-reference", where, message: `Same ${field === "title" ? "title" : field.toUpperCase()} as ${other}.` });
      else seen[field].set(value, ref.key);
    }
  });
  return issues;
}

export function citationErrors(content: RevisionContent, deletedImages?: ReadonlySet<string>): CitationIssue[] {
  return checkCitations(content, deletedImages).filter((i) => i.severity === "error");
}
