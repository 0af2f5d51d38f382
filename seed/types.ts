// The shape of an article as seed data. It mirrors what an editor writes in the
// browser: Markdown per section, citations as keys (`[@key]` or `[@a; @b]`) that
// name a reference of the same article. Citation numbers are never stored; they
// are derived from the order of first appearance when the article is rendered.

export type ReferenceType = "GUIDELINE" | "RESEARCH" | "REVIEW" | "DRUG_LABEL" | "OTHER";

export interface SeedReference {
  /** Citation key used in the Markdown, e.g. `tizanidine-update-2008`. */
  key: string;
  type: ReferenceType;
  /** Null only when the source cites a reference without naming it. */
  title: string | null;
  authors?: string | null;
  /** Journal or publisher. */
  source: string | null;
  year: number | null;
  doi?: string | null;
  pmid?: string | null;
  url?: string | null;
  /** True when the source article cites this reference but does not give its details. */
  detailsMissing: boolean;
  /** Why details are missing, shown to editors and readers. */
  note?: string | null;
}

export interface SeedSection {
  /** 1 = top-level section (h2 on the page), 2 = subsection (h3). */
  depth: 1 | 2;
  heading: string;
  /** Markdown body; may be empty for a section that only groups subsections. */
  body: string;
}

export interface SeedArticle {
  slug: string;
  /** The clinical question, shown as the page's h1. */
  title: string;
  /** Heading over the summary paragraph. */
  summaryHeading: string;
  /** Markdown summary paragraph (may cite). */
  summary: string;
  /** The date the content was last updated, ISO yyyy-mm-dd. */
  lastUpdated: string;
  disclaimerHeading: string;
  disclaimer: string;
  /** Shown to the public with a caution banner while its revision is pending review. */
  visibleWhilePending: boolean;
  /** The condition or subject the article is about (schema.org `about`). */
  topic?: string;
  sections: SeedSection[];
  references: SeedReference[];
}
