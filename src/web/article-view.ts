// The data an article page needs: shared by the public page and the editor's
// preview so both render identically.
import { renderRevision } from "../content/render.js";
import { contentForAudience } from "../content/revision-content.js";
import type { PublicArticle } from "../services/articles.js";
import { toContent, type RevisionWithContent } from "../services/revisions.js";
import { meaningAppliesTo, verifySignature } from "../services/signatures.js";

/** Who a page is for: null = the default audience (the article as written). */
export interface PageAudience {
  slug: string;
  name: string;
}

export function articleView(
  revision: RevisionWithContent,
  options: { pendingReview: boolean; newestState: string; nextReviewDue: Date | null; liveNumber?: number | null; audience?: PageAudience | null },
) {
  const version = contentForAudience(toContent(revision), options.audience?.slug ?? null);
  const rendered = renderRevision(version.content);
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
