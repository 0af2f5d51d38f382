// Creating articles and reading them for the public.
import type { Db } from "../../db/database.js";
import { AppError } from "../../errors.js";
import { recordEvent, type RequestContext } from "../../audit/audit-log.js";
import type { RevisionContent } from "../../content/revision-content.js";
import type { Prisma, RevisionState, User } from "../../generated/prisma/client.js";
import { slugify } from "../../content/revision-content.js";
import { statesWhere } from "../../workflow/states.js";
import { checkVariantAudiences } from "./audiences.js";
import { checkFigureImages, storeImage, type UploadVia } from "./media.js";
import type { ProcessedImage } from "../../content/images.js";
import { contentChanges, findRevision, insertRevision, type RevisionWithContent } from "./revisions.js";

export interface NewArticle {
  slug: string;
  content: RevisionContent;
  visibleWhilePending?: boolean;
  approvalsRequired?: number;
  /** yyyy-mm-dd */
  nextReviewDue?: string | null;
  topic?: string | null;
  /** The seed imports an article already submitted; editors always start with a draft. */
  initialState?: RevisionState;
  authorId: string | null;
  /** Where the content sits in the request, to name refused fields (e.g. "content." in the API). */
  contentField?: string;
  /** Images that come with the content (an import): stored in the same transaction. */
  images?: { image: ProcessedImage; name: string; via: UploadVia }[];
}

export async function createArticle(db: Db, ctx: RequestContext, input: NewArticle) {
  return db.$transaction(async (tx) => {
    if (await tx.article.findUnique({ where: { slug: input.slug } })) {
      throw new AppError("CONFLICT", `An article with the address "${input.slug}" already exists.`, { fieldErrors: { slug: "already used by another article" } });
    }
    await checkVariantAudiences(tx, input.content, (i) => `${input.contentField ?? ""}variants.${i}.audience`);
    const article = await tx.article.create({
      data: {
        slug: input.slug, visibleWhilePending: input.visibleWhilePending ?? false, approvalsRequired: input.approvalsRequired ?? 1, topic: input.topic ?? null,
        nextReviewDue: input.nextReviewDue ? new Date(input.nextReviewDue) : null,
      },
    });
    for (const { image, name, via } of input.images ?? []) {
      await storeImage(tx, ctx, null, image, { originalName: name || null, via, articleId: article.id, articleTitle: input.content.title });
    }
    await checkFigureImages(tx, input.content, (i) => `${input.contentField ?? ""}figures.${i}.image`);
    const revision = await insertRevision(tx, {
      articleId: article.id, number: 1, state: input.initialState ?? "DRAFT", content: input.content,
      authorId: input.authorId, basedOnId: null, changeNote: "First revision",
    });
    await tx.article.update({ where: { id: article.id }, data: { currentRevisionId: revision.id } });
    const common = { entityType: "article" as const, entityId: article.id, articleId: article.id, articleTitle: input.content.title };
    await recordEvent(tx, ctx, {
      ...common, action: "article.created",
      payload: {
        slug: article.slug, title: input.content.title, visibleWhilePending: article.visibleWhilePending, approvalsRequired: article.approvalsRequired,
        ...(input.nextReviewDue ? { nextReviewDue: input.nextReviewDue } : {}),
      },
    });
    await recordEvent(tx, ctx, {
      ...common, action: "article.revision.created", entityType: "revision", entityId: revision.id, revisionId: revision.id,
      payload: { revisionNumber: 1, basedOnNumber: null, changeNote: "First revision", contentHash: revision.contentHash, changes: contentChanges(null, input.content) },
    });
    return { article, revision };
  });
}

/** A new article from the editor's "New article" form: a first draft with placeholder text. */
export async function createNewArticle(db: Db, ctx: RequestContext, user: User, input: { title: string; slug: string }) {
  const slug = input.slug || slugify(input.title);
  if (!slug) throw new AppError("BAD_REQUEST", "Choose an address for the article.", { fieldErrors: { slug: "required" } });
  return createArticle(db, ctx, {
    slug,
    authorId: user.id,
    content: {
      title: input.title, summaryHeading: "Summary", summary: "Write a short answer to the question here.",
      lastUpdated: new Date().toISOString().slice(0, 10), disclaimerHeading: "Professional Medical Disclaimer",
      disclaimer: "This information is intended for healthcare professionals. Any medical decision-making should rely on clinical judgment and independently verified information.",
      sections: [], references: [], variants: [], figures: [],
    },
  });
}

/** Revision states the public may see (with a caution banner) while nothing is published. */
const PENDING_VISIBLE: RevisionState[] = statesWhere("visibleWhilePending");

export interface PublicArticle {
  article: { id: string; slug: string; nextReviewDue: Date | null; topic: string | null };
  revision: RevisionWithContent;
  /** True when the shown content has not been approved: show the caution banner. */
  pendingReview: boolean;
  /** State of the newest revision, for the review tracker. */
  newestState: RevisionState;
}

/**
 * What the public sees of an article: its published revision if there is one,
 * whatever newer revisions are in progress; otherwise, only for articles marked
 * visible while pending, the latest submitted or under-review revision. Drafts never.
 */
export async function findPublicArticle(db: Db, slug: string): Promise<PublicArticle | null> {
  const article = await db.article.findUnique({
    where: { slug },
    select: { id: true, slug: true, nextReviewDue: true, topic: true, visibleWhilePending: true, publishedRevisionId: true, currentRevision: { select: { state: true } } },
  });
  if (!article || !article.currentRevision) return null;
  let revisionId = article.publishedRevisionId;
  if (!revisionId && article.visibleWhilePending) {
    const pending = await db.revision.findFirst({
      where: { articleId: article.id, state: { in: PENDING_VISIBLE } },
      orderBy: { number: "desc" },
      select: { id: true },
    });
    revisionId = pending?.id ?? null;
  }
  if (!revisionId) return null;
  const revision = await findRevision(db, revisionId);
  if (!revision) return null;
  return {
    article: { id: article.id, slug: article.slug, nextReviewDue: article.nextReviewDue, topic: article.topic },
    revision,
    pendingReview: revision.id !== article.publishedRevisionId,
    newestState: article.currentRevision.state,
  };
}

const publicArticleWhere = {
  OR: [
    { publishedRevisionId: { not: null } },
    { visibleWhilePending: true, revisions: { some: { state: { in: PENDING_VISIBLE } } } },
  ],
} satisfies Prisma.ArticleWhereInput;

const shownRevisionSelect = { title: true, summary: true, lastUpdated: true, publishedAt: true, createdAt: true } as const;

const publicListSelect = {
  slug: true,
  publishedRevision: { select: shownRevisionSelect },
  revisions: { where: { state: { in: PENDING_VISIBLE } }, orderBy: { number: "desc" }, take: 1, select: shownRevisionSelect },
} as const satisfies Prisma.ArticleSelect;

function toListItem(a: Prisma.ArticleGetPayload<{ select: typeof publicListSelect }>) {
  const shown = a.publishedRevision ?? a.revisions[0]!;
  return {
    slug: a.slug,
    title: shown.title,
    summary: shown.summary,
    lastUpdated: shown.lastUpdated,
    /** When the shown text last changed: its publication, or its creation while pending. */
    changedAt: shown.publishedAt ?? shown.createdAt,
    pendingReview: !a.publishedRevision,
  };
}

export type PublicListItem = ReturnType<typeof toListItem>;

/**
 * One page of the public index in address order, from the address after `after`
 * (keyset paging: a page costs the same at article 10 as at article 10,000).
 */
export async function listPublicArticlesPage(db: Db, options: { after?: string; limit: number }) {
  const rows = await db.article.findMany({
    where: { ...publicArticleWhere, ...(options.after ? { slug: { gt: options.after } } : {}) },
    orderBy: { slug: "asc" },
    take: options.limit + 1,
    select: publicListSelect,
  });
  const items = rows.slice(0, options.limit).map(toListItem);
  return { items, nextAfter: rows.length > options.limit ? items[items.length - 1]!.slug : null };
}

/** Every public article, for the sitemap and the feed (addresses and dates only, in batches). */
export async function listAllPublicArticles(db: Db): Promise<PublicListItem[]> {
  const all: PublicListItem[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await listPublicArticlesPage(db, { after, limit: 1000 });
    all.push(...page.items);
    if (!page.nextAfter) return all;
    after = page.nextAfter;
  }
}
