// Turns a revision into what a page shows: rendered sections, numbered citations
// and the reference list. Used by the public page and the editor's preview, so a
// preview is exactly what the public would see.
import { numberCitations } from "./citations.js";
import { renderMarkdown } from "./markdown.js";
import { hasRequiredDetails, referenceTypeLabels, sortedVariants, type RevisionContent } from "./revision-content.js";

export interface RenderedReference {
  number: number | null;
  key: string;
  typeLabel: string;
  title: string | null;
  authors: string | null;
  source: string | null;
  year: number | null;
  doi: string | null;
  pmid: string | null;
  url: string | null;
  detailsMissing: boolean;
  note: string | null;
}

export interface RenderedArticle {
  title: string;
  summaryHeading: string;
  summaryHtml: string;
  lastUpdated: string;
  disclaimerHeading: string;
  disclaimer: string;
  sections: { key: string; depth: number; heading: string; html: string }[];
  /** Cited references in number order, then references never cited. */
  references: RenderedReference[];
  unresolvedKeys: string[];
}

/**
 * Reference numbers are the revision's, not a version's: first citation in the text as written
 * (summary, then sections), then references cited only in audience versions, in their order.
 * So a reader switching versions sees the same number for the same source, and the professional
 * page's numbers are exactly what they were before versions existed.
 */
export function revisionCitationNumbering(revision: RevisionContent) {
  return numberCitations(
    [
      { sectionKey: null, markdown: revision.summary },
      ...revision.sections.map((s) => ({ sectionKey: s.key, markdown: s.body })),
      ...sortedVariants(revision).map((v) => ({ sectionKey: v.sectionKey, markdown: v.body })),
    ],
    revision.references.map((r) => r.key),
  );
}

/**
 * `content` is what the page shows (the revision as written, or one audience's version of it from
 * contentForAudience); `revision` is the revision as written, whose numbering every version uses.
 */
export function renderRevision(content: RevisionContent, revision: RevisionContent = content): RenderedArticle {
  const numbering = revisionCitationNumbering(revision);
  const env = { numberOf: numbering.numberOf };
  const references = content.references
    .map((r) => ({
      number: numbering.numberOf(r.key) ?? null,
      key: r.key,
      typeLabel: referenceTypeLabels[r.type],
      title: r.title, authors: r.authors, source: r.source, year: r.year,
      doi: r.doi, pmid: r.pmid, url: r.url, note: r.note,
      // Also for revisions stored before the form cleared the flag itself: details shown beat a stale flag.
      detailsMissing: r.detailsMissing && !hasRequiredDetails(r),
    }))
    .sort((a, b) => (a.number ?? Infinity) - (b.number ?? Infinity));
  return {
    title: content.title,
    summaryHeading: content.summaryHeading,
    summaryHtml: renderMarkdown(content.summary, env),
    lastUpdated: content.lastUpdated,
    disclaimerHeading: content.disclaimerHeading,
    disclaimer: content.disclaimer,
    sections: content.sections.map((s) => ({ key: s.key, depth: s.depth, heading: s.heading, html: renderMarkdown(s.body, env) })),
    references,
    unresolvedKeys: numbering.unresolved,
  };
}
