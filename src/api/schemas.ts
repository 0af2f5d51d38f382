// The API's request and response shapes. The same zod schemas validate requests,
// describe responses, and generate the OpenAPI document (src/api/openapi.ts), so
// the documentation cannot drift from what the code accepts and returns.
import { z } from "zod";
import { referenceTypes, revisionContentSchema } from "../content/revision-content.js";
import { revisionStates } from "../web/format.js";
import { transitionNames } from "../workflow/transitions.js";
import { isoDate, positiveInt, uuid } from "../schemas.js";
import { transitionInputSchema } from "../services/review/index.js";
import { exportDocumentSchema } from "../services/editorial/index.js";

const dateTime = z.string().meta({ format: "date-time", description: "ISO 8601 timestamp (UTC)" });
const date = z.string().meta({ format: "date", description: "yyyy-mm-dd" });

// ---- errors (RFC 9457 problem details)
export const problemSchema = z
  .object({
    type: z.string().meta({ description: "A URI naming the kind of problem; its fragment is documented on /api/docs" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().meta({ description: "What went wrong, for a person to read" }),
    instance: z.string().meta({ description: "The request path" }),
    requestId: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional().meta({ description: "One entry per invalid field" }),
  })
  .meta({ id: "Problem" });

// ---- path and query parameters
export const slugParams = z.object({ slug: z.string().regex(/^[a-z0-9-]{1,120}$/, "not a valid article address") });
export const articleIdParams = z.object({ id: uuid("not a valid article id") });
export const revisionParams = articleIdParams.extend({ number: positiveInt() });
export const transitionParams = articleIdParams.extend({ name: z.enum(transitionNames as [string, ...string[]], { message: "unknown transition" }) });

export const listQuery = z.object({
  limit: z.coerce.number().int().min(1, "must be at least 1").max(100, "must be at most 100").default(20),
  after: z.string().max(200).optional().meta({ description: "The nextCursor of the previous page" }),
});
export { searchQuery } from "../services/readers/index.js";

// ---- public read API
const reviewerSummary = z.object({ name: z.string(), credentials: z.string().nullable() });
const reviewer = reviewerSummary.extend({ meaning: z.string(), signedAt: dateTime, signatureValid: z.boolean() });

export const articleSummarySchema = z
  .object({
    slug: z.string(),
    title: z.string(),
    summary: z.string().meta({ description: "Markdown" }),
    lastUpdated: date,
    publishedAt: dateTime,
    lastReviewed: dateTime.nullable(),
    nextReviewDue: date.nullable(),
    reviewers: z.array(reviewerSummary),
    links: z.object({ self: z.string(), html: z.string() }),
  })
  .meta({ id: "ArticleSummary" });

export const articleListSchema = z
  .object({
    articles: z.array(articleSummarySchema),
    nextCursor: z.string().nullable(),
    links: z.object({ next: z.string().nullable() }),
  })
  .meta({ id: "ArticleList" });

const referenceOut = z.object({
  number: z.number().int().nullable().meta({ description: "Citation number; null for a reference that is never cited" }),
  key: z.string(),
  type: z.enum(referenceTypes),
  typeLabel: z.string(),
  title: z.string().nullable(),
  authors: z.string().nullable(),
  source: z.string().nullable(),
  year: z.number().int().nullable(),
  doi: z.string().nullable(),
  pmid: z.string().nullable(),
  url: z.string().nullable(),
  detailsMissing: z.boolean(),
  note: z.string().nullable(),
});

export const articleDetailSchema = z
  .object({
    slug: z.string(),
    title: z.string(),
    revisionNumber: z.number().int(),
    contentHash: z.string(),
    pendingReview: z.boolean().meta({ description: "True when the content is not yet approved (shown with a caution, as on the page)" }),
    lastUpdated: date,
    publishedAt: dateTime.nullable(),
    summary: z.object({ heading: z.string(), markdown: z.string(), html: z.string() }),
    sections: z.array(z.object({ key: z.string(), depth: z.number().int(), heading: z.string(), markdown: z.string(), html: z.string() })),
    citations: z.array(z.object({ number: z.number().int(), referenceKey: z.string() })),
    references: z.array(referenceOut),
    reviewers: z.array(reviewer),
    lastReviewed: dateTime.nullable(),
    nextReviewDue: date.nullable(),
    reviewOverdue: z.boolean(),
    disclaimer: z.object({ heading: z.string(), text: z.string() }),
    audienceVersions: z
      .array(
        z.object({
          audience: z.string(),
          parts: z.array(z.object({ sectionKey: z.string().nullable(), markdown: z.string() })),
        }),
      )
      .meta({
        description: "Versions of parts of the article written for other audiences (e.g. patients); sectionKey null is the summary, `@disclaimer` the disclaimer, any other value a section. Parts without a version read as the professional text; without a disclaimer version, readers of that audience get the site's standard reader disclaimer.",
      }),
    figures: z
      .array(
        z.object({
          key: z.string(),
          number: z.number().int().meta({ description: "Figure 1, 2, … in reading order" }),
          sectionKey: z.string(),
          image: z.string().meta({ description: "SHA-256 of the image" }),
          alt: z.string().meta({ description: "Alternative text (empty for a decorative image)" }),
          decorative: z.boolean(),
          caption: z.string().meta({ description: "Markdown; may cite references" }),
          captionHtml: z.string(),
          credit: z.string(),
          licence: z.string(),
          referenceNumber: z.number().int().nullable().meta({ description: "The reference the figure comes from" }),
          width: z.number().int().nullable(),
          height: z.number().int().nullable(),
          src: z.string().nullable().meta({ description: "The largest JPEG or PNG rendition; `sources` lists every one" }),
          sources: z.array(z.object({ type: z.string(), width: z.number().int(), url: z.string() })),
          variants: z.array(z.object({ audience: z.string(), alt: z.string(), caption: z.string() })),
        }),
      )
      .meta({ description: "Figures (images with their texts), reviewed and signed with the text; each is also in its section's html where the text places it" }),
    links: z.object({ self: z.string(), html: z.string() }),
  })
  .meta({ id: "Article" });

export const searchResultsSchema = z
  .object({
    query: z.string(),
    scope: z.enum(["public", "staff"]).meta({ description: "public: what the public pages show; staff: every revision the token's owner may see" }),
    results: z.array(
      z.object({
        slug: z.string(),
        title: z.string(),
        rank: z.number(),
        snippet: z.string().meta({ description: "Plain text around the matches" }),
        snippetHtml: z.string().meta({ description: "The snippet, HTML-escaped, with matches in <mark>" }),
        articleId: z.string().optional(),
        revisionNumber: z.number().int().optional(),
        state: z.enum(revisionStates).optional(),
        matchedReference: z.string().nullable().optional().meta({ description: "Staff: the DOI or PMID that matched" }),
        pendingReview: z.boolean().optional().meta({ description: "Public: the text found is pending review (shown with a caution, as on the article page)" }),
        links: z.object({ html: z.string() }),
      }),
    ),
  })
  .meta({ id: "SearchResults" });

// ---- editorial API
const revisionContentOut = z.object({
  title: z.string(),
  summaryHeading: z.string(),
  summary: z.string(),
  lastUpdated: date,
  disclaimerHeading: z.string(),
  disclaimer: z.string(),
  sections: z.array(z.object({ key: z.string(), depth: z.number().int(), heading: z.string(), body: z.string() })),
  references: z.array(referenceOut.omit({ number: true, typeLabel: true })),
  /** Audience versions of the summary (sectionKey null), of sections and of the disclaimer (sectionKey `@disclaimer`). */
  variants: z.array(z.object({ audience: z.string(), sectionKey: z.string().nullable(), body: z.string() })).meta({
    description: "Audience versions: sectionKey null is the summary, `@disclaimer` the disclaimer, any other value a section's key",
  }),
  figures: z.array(
    z.object({
      key: z.string(), sectionKey: z.string(), image: z.string(), decorative: z.boolean(), alt: z.string(), caption: z.string(),
      credit: z.string(), licence: z.string(), referenceKey: z.string().nullable(),
      variants: z.array(z.object({ audience: z.string(), alt: z.string(), caption: z.string() })),
    }),
  ).meta({ description: "Figures: `image` is the hash POST /api/v1/editorial/media returned; the text places one with a line [[figure:<key>]]" }),
});

export const revisionSchema = z
  .object({
    id: z.string(),
    articleId: z.string(),
    number: z.number().int(),
    state: z.enum(revisionStates),
    author: z.string().nullable(),
    basedOnId: z.string().nullable(),
    changeNote: z.string().nullable(),
    contentHash: z.string(),
    createdAt: dateTime,
    stateChangedAt: dateTime,
    publishedAt: dateTime.nullable(),
    approvals: z.array(reviewer),
    content: revisionContentOut,
  })
  .meta({ id: "Revision" });

export const editorialArticleSchema = z
  .object({
    id: z.string(),
    slug: z.string(),
    visibleWhilePending: z.boolean(),
    approvalsRequired: z.number().int(),
    nextReviewDue: date.nullable(),
    currentRevision: z.object({ id: z.string(), number: z.number().int(), state: z.enum(revisionStates) }),
    publishedRevision: z.object({ id: z.string(), number: z.number().int() }).nullable(),
    revisions: z.array(z.object({ id: z.string(), number: z.number().int(), state: z.enum(revisionStates), createdAt: dateTime })),
    transitions: z
      .array(
        z.object({
          name: z.string(),
          label: z.string(),
          revisionId: z.string(),
          expectedState: z.enum(revisionStates),
          requires: z.enum(["comment", "reason", "signature"]).nullable(),
          blockedBy: z.string().nullable(),
        }),
      )
      .meta({ description: "The workflow steps the token's owner may take now (as offered on the article page)" }),
  })
  .meta({ id: "EditorialArticle" });

export const createArticleBody = z.object({
  slug: z.string().trim().regex(/^[a-z0-9-]{1,120}$/, "use lowercase letters, digits and hyphens").optional(),
  visibleWhilePending: z.boolean().optional().meta({ description: "Admins only (as on the settings page); 403 for anyone else unless false" }),
  approvalsRequired: z.number().int().min(1, "at least 1").max(5, "at most 5").optional().meta({ description: "Admins only; 403 for anyone else unless 1" }),
  nextReviewDue: isoDate().optional().meta({ description: "yyyy-mm-dd. Admins only; 403 for anyone else" }),
  content: revisionContentSchema,
});

export const saveRevisionBody = z.object({
  baseRevisionId: uuid("not a valid revision id").meta({ description: "The revision these changes were made on; 409 if it is no longer the newest" }),
  changeNote: z.string().trim().max(500, "must be at most 500 characters").optional(),
  content: revisionContentSchema,
});

/** The same schema the article page's workflow forms are parsed with. */
export const transitionBody = transitionInputSchema;

export const transitionResultSchema = z
  .object({ transition: z.string(), label: z.string(), revisionNumber: z.number().int(), article: editorialArticleSchema })
  .meta({ id: "TransitionResult" });

const commentOut = z.object({
  id: z.string(),
  revisionNumber: z.number().int(),
  sectionKey: z.string().nullable(),
  kind: z.enum(["COMMENT", "CHANGE_REQUEST"]),
  author: z.string(),
  quote: z.string().nullable(),
  body: z.string(),
  createdAt: dateTime,
  resolvedAt: dateTime.nullable(),
});
export const commentsSchema = z
  .object({ threads: z.array(commentOut.extend({ sectionChanged: z.boolean(), replies: z.array(commentOut) })) })
  .meta({ id: "CommentThreads" });

export const uploadQuery = z.object({});

export const uploadResultSchema = z
  .object({
    hash: z.string().meta({ description: "SHA-256 of the stored image: a figure's `image`" }),
    format: z.enum(["jpeg", "png", "webp", "avif"]),
    width: z.number().int(),
    height: z.number().int(),
    byteSize: z.number().int(),
    stored: z.boolean().meta({ description: "False when the same image was already stored" }),
    strippedMetadata: z.array(z.string()).meta({ description: "Metadata found in the upload and removed (e.g. EXIF, GPS location)" }),
    links: z.object({ image: z.string().meta({ description: "The image for signed-in staff (public only once a published revision shows it)" }) }),
  })
  .meta({ id: "UploadedImage" });

export const importResultSchema = z
  .object({
    articleId: z.string(), slug: z.string(), revisionNumber: z.number().int(), newArticle: z.boolean(), contentHash: z.string(),
    warnings: z.array(z.string()).meta({ description: "Parts of the file that were ignored, and why (e.g. settings of an article that already exists)" }),
  })
  .meta({ id: "ImportResult" });

export { exportDocumentSchema };
