// Published articles for the public API: newest publication first, paged by a
// keyset cursor (publication time, article id), so pages stay fast and stable
// while articles are published in between.
import type { Db } from "../../db/database.js";
import { AppError } from "../../errors.js";

export interface Cursor {
  publishedAt: Date;
  articleId: string;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.publishedAt.toISOString()}|${cursor.articleId}`).toString("base64url");
}

export function decodeCursor(value: string): Cursor {
  const invalid = new AppError("BAD_REQUEST", "The page cursor is not valid: use the nextCursor of a previous page.", { fieldErrors: { after: "not a cursor from this API" } });
  const [time, id] = Buffer.from(value, "base64url").toString("utf8").split("|");
  const publishedAt = new Date(time ?? "");
  if (Number.isNaN(publishedAt.getTime()) || !/^[0-9a-f-]{36}$/.test(id ?? "")) throw invalid;
  return { publishedAt, articleId: id! };
}

export async function listPublishedArticles(db: Db, options: { limit: number; after?: Cursor }) {
  const after = options.after;
  const rows = await db.article.findMany({
    where: {
      publishedRevisionId: { not: null },
      ...(after
        ? {
            OR: [
              { publishedRevision: { publishedAt: { lt: after.publishedAt } } },
              { publishedRevision: { publishedAt: after.publishedAt }, id: { lt: after.articleId } },
            ],
          }
        : {}),
    },
    orderBy: [{ publishedRevision: { publishedAt: "desc" } }, { id: "desc" }],
    take: options.limit + 1,
    select: {
      id: true,
      slug: true,
      nextReviewDue: true,
      publishedRevision: {
        select: {
          title: true, summary: true, lastUpdated: true, publishedAt: true,
          approvals: { orderBy: { signedAt: "asc" }, select: { signerName: true, signerCredentials: true, signedAt: true } },
        },
      },
    },
  });
  const page = rows.slice(0, options.limit);
  const last = page[page.length - 1];
  const next = rows.length > options.limit && last ? encodeCursor({ publishedAt: last.publishedRevision!.publishedAt!, articleId: last.id }) : null;
  return {
    articles: page.map((a) => {
      const r = a.publishedRevision!;
      return {
        slug: a.slug,
        title: r.title,
        summary: r.summary,
        lastUpdated: r.lastUpdated.toISOString().slice(0, 10),
        publishedAt: r.publishedAt!.toISOString(),
        lastReviewed: r.approvals.at(-1)?.signedAt.toISOString() ?? null,
        nextReviewDue: a.nextReviewDue?.toISOString().slice(0, 10) ?? null,
        reviewers: r.approvals.map((x) => ({ name: x.signerName, credentials: x.signerCredentials })),
      };
    }),
    nextCursor: next,
  };
}
