// Separation of duties: who counts as having written or edited a revision.
import type { Db } from "../../db/database.js";
import type { Prisma } from "../../generated/prisma/client.js";

type Tx = Prisma.TransactionClient;

/** Everyone who wrote or edited this revision: authors of it and of the unapproved drafts it grew from. */
export async function contributorsOf(db: Db | Tx, revision: { articleId: string; number: number }): Promise<Set<string>> {
  const earlier = await db.revision.findMany({
    where: { articleId: revision.articleId, number: { lte: revision.number } },
    orderBy: { number: "desc" },
    select: { number: true, authorId: true, state: true, publishedAt: true },
  });
  const ids = new Set<string>();
  for (const r of earlier) {
    const approvedBefore = r.number < revision.number && (r.state === "APPROVED" || r.publishedAt !== null);
    if (approvedBefore) break;
    if (r.authorId) ids.add(r.authorId);
  }
  return ids;
}
