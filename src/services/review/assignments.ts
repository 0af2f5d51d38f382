// Reviewer assignment: on submit (or later, as a reassignment), the editor or an
// admin names one or more board members and a due date. Assignments say who is
// expected to review and by when; who may sign is unchanged (any eligible reviewer
// who did not write the revision), and approvals still count distinct signatures.
import { z } from "zod";
import type { Db } from "../../db/database.js";
import type { Prisma, User } from "../../generated/prisma/client.js";
import { AppError } from "../../errors.js";
import { recordEvent, type RequestContext } from "../../audit/audit-log.js";
import { can, permissionsOf } from "../../workflow/permissions.js";
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

export interface Assignment {
  reviewerIds: string[];
  reviewDue: string | null;
}

/**
 * Ends the revision's active assignments and assigns `reviewerIds` due on `reviewDue`,
 * with its audit event and the reviewers' notifications, in the caller's transaction.
 */
export async function assignReviewers(
  tx: Tx, ctx: RequestContext, by: User,
  target: { articleId: string; revisionId: string; revisionNumber: number; title: string; contributors: Set<string> },
  assignment: Assignment,
) {
  if (!assignment.reviewerIds.length) return;
  if (!assignment.reviewDue) throw new AppError("BAD_REQUEST", "Give the date the review is due.", { fieldErrors: { reviewDue: "required with reviewers" } });
  if (assignment.reviewDue < today()) throw new AppError("BAD_REQUEST", "The review cannot be due in the past.", { fieldErrors: { reviewDue: "today or later" } });
  const ids = [...new Set(assignment.reviewerIds)];
  const reviewers = await tx.user.findMany({ where: { id: { in: ids } } });
  for (const id of ids) {
    const reviewer = reviewers.find((r) => r.id === id);
    if (!reviewer || !permissionsOf(reviewer).has("workflow.approve")) {
      throw new AppError("BAD_REQUEST", "Reviewers must be active members of the medical advisory board.", { fieldErrors: { reviewerIds: "not a board member" } });
    }
    if (target.contributors.has(id)) {
      throw new AppError("BAD_REQUEST", `${reviewer.name} wrote or edited this revision and cannot review it (separation of duties).`, { fieldErrors: { reviewerIds: "a contributor" } });
    }
  }
  const now = new Date();
  const ended = await tx.reviewAssignment.findMany({ where: { revisionId: target.revisionId, endedAt: null }, include: { reviewer: { select: { name: true } } } });
  await tx.reviewAssignment.updateMany({ where: { id: { in: ended.map((a) => a.id) } }, data: { endedAt: now } });
  await tx.reviewAssignment.createMany({
    data: ids.map((reviewerId) => ({ articleId: target.articleId, revisionId: target.revisionId, reviewerId, assignedById: by.id, dueOn: new Date(`${assignment.reviewDue}T00:00:00Z`) })),
  });
  const names = ids.map((id) => reviewers.find((r) => r.id === id)!.name);
  await recordEvent(tx, ctx, {
    action: ended.length ? "review.reassigned" : "review.assigned", entityType: "revision", entityId: target.revisionId,
    articleId: target.articleId, revisionId: target.revisionId, articleTitle: target.title,
    payload: { revisionNumber: target.revisionNumber, reviewers: names, dueOn: assignment.reviewDue, previous: ended.map((a) => a.reviewer.name) },
  });
  await notify(tx, {
    kind: "review.assigned", userIds: ids, actorId: by.id, articleId: target.articleId,
    message: `${by.name} asked you to review r${target.revisionNumber} of "${target.title}" by ${formatDate(assignment.reviewDue)}.`,
    link: `/editor/articles/${target.articleId}`,
  });
}

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
