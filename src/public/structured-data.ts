// schema.org JSON-LD for public pages, built from the same data as the page itself
// (never hand-copied), typed with schema-dts so a misspelt property does not compile.
import type { BreadcrumbList, CreativeWork, MedicalWebPage, Person, ScholarlyArticle, WithContext } from "schema-dts";
import type { RenderedReference } from "../content/render.js";
import type { RenderedFigure } from "../content/figures.js";
import type { PublicArticle } from "../services/editorial/index.js";

export interface Site {
  name: string;
  baseUrl: string;
}

export interface ArticlePageData {
  found: PublicArticle;
  canonicalUrl: string;
  description: string;
  references: RenderedReference[];
  reviewers: { id: string; name: string; credentials: string | null; signedAt: Date; valid: boolean }[];
  /** Who this version is written for: a schema.org MedicalAudienceType and the audience's name. */
  audience: { audienceType: string; name: string };
  /** The page's figures (not the decorative ones), for `image`. */
  figures?: RenderedFigure[];
}

export function boardMemberAnchor(userId: string) {
  return `member-${userId}`;
}

/** Vancouver-style author lists ("Smith J, Jones K, et al.") become one Person each. */
function authorsOf(authors: string | null): Person[] | undefined {
  if (!authors) return undefined;
  const names = authors.split(/[;,]/).map((n) => n.trim()).filter((n) => n && !/^et al\.?$/i.test(n));
  return names.length ? names.map((name) => ({ "@type": "Person", name })) : undefined;
}

function citationOf(ref: RenderedReference): ScholarlyArticle | CreativeWork | null {
  if (ref.detailsMissing || !ref.title) return null;
  const identifiers = [
    ...(ref.doi ? [{ "@type": "PropertyValue" as const, propertyID: "DOI", value: ref.doi }] : []),
    ...(ref.pmid ? [{ "@type": "PropertyValue" as const, propertyID: "PMID", value: ref.pmid }] : []),
  ];
  const common = {
    name: ref.title,
    ...(authorsOf(ref.authors) ? { author: authorsOf(ref.authors) } : {}),
    ...(ref.year ? { datePublished: String(ref.year) } : {}),
    ...(ref.source ? { isPartOf: { "@type": "Periodical" as const, name: ref.source } } : {}),
    ...(identifiers.length ? { identifier: identifiers } : {}),
    ...(ref.url ? { url: ref.url } : ref.doi ? { url: `https://doi.org/${ref.doi}` } : {}),
  };
  // Research and reviews are scholarly articles; guidelines, labels and others are works.
  return ref.typeLabel === "Research" || ref.typeLabel === "Review"
    ? { "@type": "ScholarlyArticle", ...common }
    : { "@type": "CreativeWork", ...common };
}

function isoDate(date: Date) {
  return date.toISOString();
}

export function articleJsonLd(site: Site, data: ArticlePageData): WithContext<MedicalWebPage> {
  const { found } = data;
  const revision = found.revision;
  const validReviewers = data.reviewers.filter((r) => r.valid);
  const lastReviewed = validReviewers.length ? validReviewers[validReviewers.length - 1]!.signedAt : null;
  const citations = data.references.map(citationOf).filter((c): c is ScholarlyArticle | CreativeWork => c !== null);
  // Figures as schema.org ImageObjects: the largest fallback rendition, its size, caption and credit.
  const images = (data.figures ?? []).filter((f) => !f.decorative && f.src).map((f) => ({
    "@type": "ImageObject" as const,
    contentUrl: `${site.baseUrl}${f.src}`,
    url: `${site.baseUrl}${f.src}`,
    ...(f.width && f.height ? { width: String(f.width), height: String(f.height) } : {}),
    caption: f.caption ? `Figure ${f.number}. ${f.caption.replace(/\[@[^\]]*\]/g, "").trim()}` : `Figure ${f.number}`,
    description: f.alt,
    ...(f.credit ? { creditText: f.credit } : {}),
    ...(f.licence ? { copyrightNotice: f.licence } : {}),
  }));
  const breadcrumb: BreadcrumbList = {
    "@type": "BreadcrumbList",
    itemListElement: [
      { "@type": "ListItem", position: 1, name: site.name, item: `${site.baseUrl}/articles` },
      { "@type": "ListItem", position: 2, name: revision.title, item: data.canonicalUrl },
    ],
  };
  return {
    "@context": "https://schema.org",
    "@type": "MedicalWebPage",
    "@id": data.canonicalUrl,
    url: data.canonicalUrl,
    headline: revision.title,
    name: revision.title,
    description: data.description,
    inLanguage: "en",
    ...(revision.publishedAt ? { datePublished: isoDate(revision.publishedAt) } : {}),
    dateModified: isoDate(revision.publishedAt ?? revision.createdAt),
    ...(lastReviewed ? { lastReviewed: isoDate(lastReviewed) } : {}),
    ...(validReviewers.length
      ? {
          reviewedBy: validReviewers.map((r): Person => ({
            "@type": "Person",
            name: r.name,
            ...(r.credentials ? { jobTitle: r.credentials } : {}),
            url: `${site.baseUrl}/advisory-board#${boardMemberAnchor(r.id)}`,
          })),
        }
      : {}),
    ...(revision.author ? { author: { "@type": "Person", name: revision.author.name }, editor: { "@type": "Person", name: revision.author.name } } : {}),
    publisher: { "@type": "Organization", name: site.name, url: site.baseUrl },
    ...(citations.length ? { citation: citations } : {}),
    ...(images.length ? { image: images } : {}),
    audience: { "@type": "MedicalAudience", audienceType: data.audience.audienceType, name: data.audience.name },
    ...(found.article.topic ? { about: { "@type": "MedicalCondition", name: found.article.topic } } : {}),
    mainContentOfPage: { "@type": "WebPageElement", cssSelector: "#main .article" },
    breadcrumb,
    ...(found.pendingReview ? {} : { isAccessibleForFree: true }),
  };
}

/** JSON for a <script> element: "<" escaped so no text can close the element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}
