// The data an article page needs: shared by the public page and the editor's
// preview so both render identically.
import { renderRevision } from "../content/render.js";
import type { PublicArticle } from "../services/articles.js";
import { toContent, type RevisionWithContent } from "../services/revisions.js";
import { verifySignature } from "../services/signatures.js";

export function articleView(revision: RevisionWithContent, options: { pendingReview: boolean; newestState: string; nextReviewDue: Date | null; liveNumber?: number | null }) {
  const rendered = renderRevision(toContent(revision));
  const reviewedBy = revision.approvals.map((a) => ({
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

export function publicArticleView(found: PublicArticle) {
  return articleView(found.revision, {
    pendingReview: found.pendingReview, newestState: found.newestState, nextReviewDue: found.article.nextReviewDue,
    liveNumber: found.pendingReview ? null : found.revision.number,
  });
}
