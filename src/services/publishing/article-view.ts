// The data an article page needs: shared by the public page and the editor's
// preview so both render identically.
import { renderRevision } from "../../content/render.js";
import { contentForAudience } from "../../content/revision-content.js";
import { type PublicArticle, mediaOf, toContent, type RevisionWithContent } from "../editorial/index.js";
import { meaningAppliesTo, verifySignature } from "../review/index.js";

/** Who a page is for: null = the default audience (the article as written). */
export interface PageAudience {
  slug: string;
  name: string;
  /** schema.org MedicalAudienceType of the audience (Patient, Clinician, …), for the footer. */
  schemaAudienceType?: string;
}

/**
 * The site footer under an article: the site's own wording for professionals, and for any
 * other version a reminder that it does not replace a clinician's advice.
 */
export function footerNoteFor(audience: PageAudience | null): string | null {
  if (audience === null) return null;
  if (audience.schemaAudienceType === "Patient") return "Educational content for patients and caregivers; it does not replace advice from your clinician.";
  return `Educational content written for: ${audience.name}. It does not replace advice from your clinician.`;
}

export function articleView(
  revision: RevisionWithContent,
  options: {
    pendingReview: boolean; newestState: string; nextReviewDue: Date | null; liveNumber?: number | null; audience?: PageAudience | null;
    /** Where the page's images come from: "/media" (public, the default), "/editor/media" (staff), a preview link's. */
    mediaBase?: string;
  },
) {
  const asWrittenContent = toContent(revision);
  const version = contentForAudience(asWrittenContent, options.audience?.slug ?? null);
  const rendered = renderRevision(version.content, asWrittenContent, { media: mediaOf(revision), mediaBase: options.mediaBase });
  const page = options.audience ? "audience-version" : "as-written";
  const reviewedBy = revision.approvals.filter((a) => meaningAppliesTo(a.meaning, page)).map((a) => ({
    id: a.reviewerId,
    name: a.signerName,
    credentials: a.signerCredentials,
    meaning: a.meaning,
    signedAt: a.signedAt,
    valid: verifySignature(a, revision),
  }));
  const today = new Date().toISOString().slice(0, 10);
  const nextReviewDue = options.nextReviewDue?.toISOString().slice(0, 10) ?? null;
  return {
    rendered,
    audience: options.audience ?? null,
    /** Parts shown as written for professionals because this audience has no version of them. */
    asWritten: version.asWritten,
    /** This audience has no version of the disclaimer: the standard reader wording is shown, marked. */
    disclaimerIsDefault: version.disclaimerIsDefault,
    /** The footer speaks to the reader of this version. */
    footerNote: footerNoteFor(options.audience ?? null),
    pendingReview: options.pendingReview,
    /** The live revision's number when this page shows it (the public page and the live preview). */
    liveNumber: options.liveNumber ?? null,
    newestState: options.newestState,
    publishedAt: revision.publishedAt,
    reviewedBy,
    lastReviewed: reviewedBy.length ? reviewedBy[reviewedBy.length - 1]!.signedAt : null,
    nextReviewDue,
    reviewOverdue: nextReviewDue !== null && nextReviewDue < today,
  };
}

export function publicArticleView(found: PublicArticle, audience: PageAudience | null = null) {
  return articleView(found.revision, {
    audience,
    pendingReview: found.pendingReview, newestState: found.newestState, nextReviewDue: found.article.nextReviewDue,
    liveNumber: found.pendingReview ? null : found.revision.number,
  });
}
