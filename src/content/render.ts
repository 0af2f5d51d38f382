// Turns a revision into what a page shows: rendered sections, numbered citations
// and the reference list. Used by the public page and the editor's preview, so a
// preview is exactly what the public would see.
import { numberCitations } from "./citations.js";
import { renderInline, renderMarkdown } from "./markdown.js";
import { DISCLAIMER_PART, hasRequiredDetails, referenceTypeLabels, sortedVariants, type RevisionContent } from "./revision-content.js";
import { figureNumbering, renderFigure, sectionFigures, textWithCaptions, type FigureRenderOptions, type RenderedFigure } from "./figures.js";

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
  /** Every figure, in number order, with its HTML (also placed in its section's html). */
  figures: RenderedFigure[];
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
  // Figure captions count where the figure stands; then audience versions (with their captions).
  const audienceFigures = (audience: string) =>
    revision.figures.map((f) => {
      const own = f.variants.find((v) => v.audience === audience);
      return own?.caption ? { ...f, caption: own.caption } : f;
    });
  return numberCitations(
    [
      { sectionKey: null, markdown: revision.summary },
      ...revision.sections.map((s) => ({ sectionKey: s.key, markdown: textWithCaptions(s.body, s.key, revision.figures) })),
      ...sortedVariants(revision).map((v) => ({
        sectionKey: v.sectionKey,
        markdown: v.sectionKey === null || v.sectionKey === DISCLAIMER_PART ? v.body : textWithCaptions(v.body, v.sectionKey, audienceFigures(v.audience)),
      })),
      ...revision.figures.flatMap((f) => f.variants.filter((v) => v.caption).map((v) => ({ sectionKey: f.sectionKey, markdown: v.caption }))),
    ],
    revision.references.map((r) => r.key),
  );
}

/**
 * `content` is what the page shows (the revision as written, or one audience's version of it from
 * contentForAudience); `revision` is the revision as written, whose numbering every version uses.
 */
export function renderRevision(content: RevisionContent, revision: RevisionContent = content, options: FigureRenderOptions = {}): RenderedArticle {
  const numbering = revisionCitationNumbering(revision);
  const figureNumbers = figureNumbering(revision);
  const citationEnv = { numberOf: numbering.numberOf };
  const figures = content.figures.map((f) => {
    const number = figureNumbers.get(f.key) ?? 0;
    // The first figure of the first section may be on the first screen; the others are below the fold.
    const lazy = !(number === 1 && content.sections[0]?.key === f.sectionKey);
    const referenceNumber = f.referenceKey ? (numbering.numberOf(f.referenceKey) ?? null) : null;
    return renderFigure(f, { ...options, number, lazy, referenceNumber, captionHtml: f.caption ? renderInline(f.caption, citationEnv) : "" });
  }).sort((a, b) => a.number - b.number);
  const figureByKey = new Map(figures.map((f) => [f.key, f]));
  const renderSection = (s: RevisionContent["sections"][number]) => {
    const own = new Set(content.figures.filter((f) => f.sectionKey === s.key).map((f) => f.key));
    const env = { ...citationEnv, figureHtml: (key: string) => (own.has(key) ? figureByKey.get(key)?.html : undefined) };
    const { unplaced } = sectionFigures(s.body, s.key, content.figures);
    return renderMarkdown(s.body, env) + unplaced.map((f) => figureByKey.get(f.key)!.html).join("");
  };
  const env = citationEnv;
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
    sections: content.sections.map((s) => ({ key: s.key, depth: s.depth, heading: s.heading, html: renderSection(s) })),
    figures,
    references,
    unresolvedKeys: numbering.unresolved,
  };
}
