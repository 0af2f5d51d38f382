// Turns a revision into what a page shows: rendered sections, numbered citations
// and the reference list. Used by the public page and the editor's preview, so a
// preview is exactly what the public would see.
import { numberCitations } from "./citations.js";
import { renderMarkdown } from "./markdown.js";
import { hasRequiredDetails, referenceTypeLabels, type RevisionContent } from "./revision-content.js";

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

export function renderRevision(content: RevisionContent): RenderedArticle {
  const numbering = numberCitations(
    [{ sectionKey: null, markdown: content.summary }, ...content.sections.map((s) => ({ sectionKey: s.key, markdown: s.body }))],
    content.references.map((r) => r.key),
  );
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
