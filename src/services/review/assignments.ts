// Reviewer assignment after the submit step: reassigning the revision under review,
// the open assignments, and the reminders before and after the due date. The
// assignment itself is part of the workflow (src/workflow/assign-reviewers.ts).
import { z } from "zod";
import type { Db } from "../../db/database.js";
import type { Prisma, User } from "../../generated/prisma/client.js";
import { AppError } from "../../errors.js";
import type { RequestContext } from "../../audit/audit-log.js";
import { can } from "../../workflow/permissions.js";
import { assignReviewers } from "../../workflow/assign-reviewers.js";
import { states } from "../../workflow/states.js";
import { isoDate, uuid } from "../../schemas.js";
import { notify } from "../people/index.js";
import { contributorsOf } from "../editorial/index.js";
import { formatDate } from "../../dates.js";

type Tx = Prisma.TransactionClient;

/** Days before the due date when the reviewer is reminded. */
export const DUE_SOON_DAYS = 2;

const today = () => new Date().toISOString().slice(0, 10);

/** The assignment fields of the submit form and of the reassignment form. */
export const assignmentFields = {
  reviewerIds: z.union([z.array(uuid("unknown reviewer")), uuid("unknown reviewer")]).optional().transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
  reviewDue: isoDate().optional().or(z.literal("")).transform((v) => v || null),
};

export const reassignSchema = z.object({
  revisionId: uuid("unknown revision"),
  ...assignmentFields,
}).refine((v) => v.reviewerIds.length > 0, { message: "choose at least one reviewer", path: ["reviewerIds"] });

/** Reassigning the revision under review: an audited action of its own. */
export async function reassignReviewers(db: Db, ctx: RequestContext, user: User, articleId: string, input: z.infer<typeof reassignSchema>) {
  if (!can(user, "review.assign")) throw new AppError("FORBIDDEN", "Your role does not allow assigning reviewers.");
  return db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM revision WHERE id = ${input.revisionId}::uuid AND article_id = ${articleId}::uuid FOR UPDATE`;
    if (!rows[0]) throw new AppError("NOT_FOUND", "That revision does not exist.");
    const revision = await tx.revision.findUniqueOrThrow({ where: { id: input.revisionId }, include: { currentOf: { select: { id: true } } } });
    if (!revision.currentOf || !states[revision.state].lockedForEditing) {
      throw new AppError("CONFLICT", `Revision ${revision.number} is not in review, so reviewers cannot be assigned to it.`);
    }
    await assignReviewers(tx, ctx, user, {
      articleId, revisionId: revision.id, revisionNumber: revision.number, title: revision.title, contributors: await contributorsOf(tx, revision),
    }, input);
    return { revisionNumber: revision.number };
  });
}

export async function activeAssignments(db: Db | Tx, revisionId: string) {
  return db.reviewAssignment.findMany({ where: { revisionId, endedAt: null }, orderBy: { createdAt: "asc" }, include: { reviewer: { select: { id: true, name: true } } } });
}

const inReview = Object.entries(states).filter(([, f]) => f.lockedForEditing).map(([s]) => s) as ("SUBMITTED" | "UNDER_REVIEW")[];

/** Active assignments on revisions still in review (the newest of their article), with whether each is overdue. */
export async function openAssignments(db: Db, where: Prisma.ReviewAssignmentWhereInput = {}) {
  const rows = await db.reviewAssignment.findMany({
    where: { ...where, endedAt: null, revision: { state: { in: inReview }, currentOf: { isNot: null } } },
    orderBy: { dueOn: "asc" },
    include: { reviewer: { select: { name: true } }, revision: { select: { number: true, title: true } } },
  });
  const now = today();
  return rows.map((a) => ({ ...a, overdue: a.dueOn.toISOString().slice(0, 10) < now }));
}

/**
 * Reminds reviewers once when a review is due within DUE_SOON_DAYS and once when it
 * is overdue; the reminder and its "sent" mark commit together, so it is never repeated.
 */
export async function remindReviewers(db: Db) {
  const soon = new Date(Date.now() + DUE_SOON_DAYS * 86_400_000).toISOString().slice(0, 10);
  const open = await openAssignments(db, { OR: [{ dueSoonNotifiedAt: null }, { overdueNotifiedAt: null }] });
  for (const a of open) {
    const due = a.dueOn.toISOString().slice(0, 10);
    const kind = a.overdue ? (a.overdueNotifiedAt ? null : "review.overdue") : due <= soon && !a.dueSoonNotifiedAt ? "review.due_soon" : null;
    if (!kind) continue;
    await db.$transaction(async (tx) => {
      const mark = kind === "review.overdue" ? { overdueNotifiedAt: new Date() } : { dueSoonNotifiedAt: new Date() };
      const claimed = await tx.reviewAssignment.updateMany({ where: { id: a.id, ...(kind === "review.overdue" ? { overdueNotifiedAt: null } : { dueSoonNotifiedAt: null }) }, data: mark });
      if (claimed.count !== 1) return;
      await notify(tx, {
        kind, userIds: [a.reviewerId], articleId: a.articleId, link: `/editor/articles/${a.articleId}`,
        message: kind === "review.overdue" ? `Your review of r${a.revision.number} of "${a.revision.title}" was due ${formatDate(due)}.` : `Your review of r${a.revision.number} of "${a.revision.title}" is due ${formatDate(due)}.`,
      });
    });
  }
}
