// Naming the reviewers of a revision and the day their review is due: part of the submit
// step (and of a later reassignment, services/review/assignments.ts). Assignments say who
// is expected to review and by when; who may sign is unchanged (any eligible reviewer who
// did not write the revision), and approvals still count distinct signatures. The
// reviewers hear of it through the event (services/people/notification-rules.ts).
import type { Prisma, User } from "../generated/prisma/client.js";
import { AppError } from "../errors.js";
import { recordEvent, type RequestContext } from "../audit/audit-log.js";
import { permissionsOf } from "./permissions.js";

type Tx = Prisma.TransactionClient;

export interface Assignment {
  reviewerIds: string[];
  reviewDue: string | null;
}

const today = () => new Date().toISOString().slice(0, 10);

/**
 * Ends the revision's active assignments and assigns `reviewerIds` due on `reviewDue`,
 * with its audit event, in the caller's transaction.
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
}
