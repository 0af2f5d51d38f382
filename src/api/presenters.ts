// Turns what services return into the API's documented shapes (src/api/schemas.ts).
import type { z } from "zod";
import type { Db } from "../db/database.js";
import type { User } from "../generated/prisma/client.js";
import { AppError } from "../errors.js";
import { type PublicArticle, findRevision, mediaOf, toContent, type RevisionWithContent } from "../services/editorial/index.js";
import { PUBLIC_MEDIA_BASE, mediaUrl, renditionsOf } from "../content/figures.js";
import { contentTypeOf } from "../content/images.js";
import { verifySignature, workflowOptions, listThreads } from "../services/review/index.js";
import { publicArticleView } from "../services/publishing/index.js";
import type { articleDetailSchema, commentsSchema, editorialArticleSchema, revisionSchema } from "./schemas.js";

const iso = (d: Date) => d.toISOString();
const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : null);

export function articleLinks(slug: string) {
  return { self: `/api/v1/articles/${slug}`, html: `/articles/${slug}` };
}

function signatures(revision: RevisionWithContent) {
  return revision.approvals.map((a) => ({
    name: a.signerName, credentials: a.signerCredentials, meaning: a.meaning, signedAt: iso(a.signedAt), signatureValid: verifySignature(a, revision),
  }));
}

export function publicArticle(found: PublicArticle): z.input<typeof articleDetailSchema> {
  const { revision } = found;
  const view = publicArticleView(found);
  const rendered = view.rendered;
  const content = toContent(revision);
  return {
    slug: found.article.slug,
    title: revision.title,
    revisionNumber: revision.number,
    contentHash: revision.contentHash,
    pendingReview: found.pendingReview,
    lastUpdated: content.lastUpdated,
    publishedAt: revision.publishedAt ? iso(revision.publishedAt) : null,
    summary: { heading: content.summaryHeading, markdown: content.summary, html: rendered.summaryHtml },
    sections: content.sections.map((s, i) => ({ key: s.key, depth: s.depth, heading: s.heading, markdown: s.body, html: rendered.sections[i]!.html })),
    citations: rendered.references.filter((r) => r.number !== null).map((r) => ({ number: r.number!, referenceKey: r.key })),
    references: rendered.references.map((r) => ({ ...r, type: content.references.find((c) => c.key === r.key)!.type })),
    reviewers: signatures(revision),
    lastReviewed: view.lastReviewed ? iso(view.lastReviewed) : null,
    nextReviewDue: view.nextReviewDue,
    reviewOverdue: view.reviewOverdue,
    disclaimer: { heading: content.disclaimerHeading, text: content.disclaimer },
    // Audience versions (e.g. for patients): the parts written for each audience, reviewed and
    // signed with the revision; parts without one read as the professional text.
    audienceVersions: [...new Set(content.variants.map((v) => v.audience))].map((audience) => ({
      audience,
      parts: content.variants
        .filter((v) => v.audience === audience)
        .map((v) => ({ sectionKey: v.sectionKey, markdown: v.body })),
    })),
    figures: rendered.figures.map((f) => {
      const stored = content.figures.find((c) => c.key === f.key)!;
      const info = mediaOf(revision).get(f.image);
      return {
        key: f.key, number: f.number, sectionKey: f.sectionKey, image: f.image, alt: f.alt, decorative: f.decorative, caption: f.caption, captionHtml: f.captionHtml,
        credit: f.credit, licence: f.licence, referenceNumber: f.referenceNumber, width: f.width, height: f.height, src: f.src,
        sources: info && !info.deleted ? renditionsOf(f.image, info).map((r) => ({ type: contentTypeOf[r.format], width: r.width, url: mediaUrl(PUBLIC_MEDIA_BASE, f.image, r.width, r.format) })) : [],
        variants: stored.variants,
      };
    }),
    links: articleLinks(found.article.slug),
  };
}

export function revision(r: RevisionWithContent): z.input<typeof revisionSchema> {
  return {
    id: r.id, articleId: r.articleId, number: r.number, state: r.state, author: r.author?.name ?? null, basedOnId: r.basedOnId,
    changeNote: r.changeNote, contentHash: r.contentHash, createdAt: iso(r.createdAt), stateChangedAt: iso(r.stateChangedAt),
    publishedAt: r.publishedAt ? iso(r.publishedAt) : null, approvals: signatures(r), content: toContent(r),
  };
}

/** The article as its workspace page shows it to this person, including the steps they may take. */
export async function editorialArticle(db: Db, user: User, articleId: string): Promise<z.input<typeof editorialArticleSchema>> {
  const article = await db.article.findUnique({
    where: { id: articleId },
    include: { revisions: { orderBy: { number: "desc" }, select: { id: true, number: true, state: true, createdAt: true } } },
  });
  const current = article?.currentRevisionId ? await findRevision(db, article.currentRevisionId) : null;
  if (!article || !current) throw new AppError("NOT_FOUND", "That article does not exist.");
  const published = article.revisions.find((r) => r.id === article.publishedRevisionId) ?? null;
  // The same guards as the workspace page and the POST (src/workflow/verbs).
  const { offers } = await workflowOptions(db, user, {
    id: article.id, currentRevisionId: article.currentRevisionId, publishedRevisionId: article.publishedRevisionId,
    approvalsRequired: article.approvalsRequired, revisions: article.revisions,
  });
  return {
    id: article.id, slug: article.slug, visibleWhilePending: article.visibleWhilePending, approvalsRequired: article.approvalsRequired,
    nextReviewDue: day(article.nextReviewDue),
    currentRevision: { id: current.id, number: current.number, state: current.state },
    publishedRevision: published ? { id: published.id, number: published.number } : null,
    revisions: article.revisions.map((r) => ({ id: r.id, number: r.number, state: r.state, createdAt: iso(r.createdAt) })),
    transitions: offers.map((o) => ({
      name: o.transition.name, label: o.transition.label, revisionId: o.revisionId, expectedState: o.expectedState,
      requires: o.transition.requires ?? null, blockedBy: o.blockedBy,
    })),
  };
}

export async function commentThreads(db: Db, articleId: string): Promise<z.input<typeof commentsSchema>> {
  const article = await db.article.findUnique({ where: { id: articleId }, select: { currentRevisionId: true } });
  if (!article) throw new AppError("NOT_FOUND", "That article does not exist.");
  const current = article.currentRevisionId ? await findRevision(db, article.currentRevisionId) : null;
  const threads = await listThreads(db, articleId, current);
  const comment = (c: (typeof threads)[number] | (typeof threads)[number]["replies"][number]) => ({
    id: c.id, revisionNumber: c.revision.number, sectionKey: c.sectionKey, kind: c.kind, author: c.author.name, quote: c.quote, body: c.body,
    createdAt: iso(c.createdAt), resolvedAt: c.resolvedAt ? iso(c.resolvedAt) : null,
  });
  return { threads: threads.map((t) => ({ ...comment(t), sectionChanged: t.sectionChanged, replies: t.replies.map(comment) })) };
}


