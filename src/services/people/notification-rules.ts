// Who is told of what. Notifications follow the audit trail: each rule below turns one kind
// of audit event into a notification, in the transaction that writes the event, so a step,
// its event and the people told of it commit together or not at all. The code that takes a
// step (a workflow verb, a schedule) only changes state and records its event.
//
// How each person is told is the same for every rule (notify() in notifications.ts): in the
// app, and by e-mail unless they turned that kind off (always, for the kinds in
// alwaysEmailedKinds). The person who acted is never told of their own step.
//
// Told directly by their service instead, because the event alone does not say it all:
// - review.due_soon / review.overdue: reminders are not changes, so not audited (remindReviewers());
// - comment.mention: the mentions are read from the comment's text as it is saved (comments.ts);
// - account.changed / account.security: what was ended or changed, counted as it happens (users.ts,
//   second-factors.ts).
import type { Prisma } from "../../generated/prisma/client.js";
import { followEvents, type WrittenEvent } from "../../audit/audit-log.js";
import type { AuditAction } from "../../audit/events.js";
import { formatDate } from "../../dates.js";
import { notify, type NewNotification } from "./notifications.js";

type Tx = Prisma.TransactionClient;

type Rule<A extends AuditAction> = (tx: Tx, event: WrittenEvent<A>) => Promise<NewNotification | null>;

const workspaceOf = (event: WrittenEvent) => `/editor/articles/${event.articleId}`;

async function authorOf(tx: Tx, revisionId: string | null) {
  if (!revisionId) return null;
  return (await tx.revision.findUnique({ where: { id: revisionId }, select: { authorId: true } }))?.authorId ?? null;
}

/** The reviewers now assigned (the event names them; their accounts are what is told). */
const reviewersAssigned: Rule<"review.assigned" | "review.reassigned"> = async (tx, event) => {
  const assigned = await tx.reviewAssignment.findMany({ where: { revisionId: event.revisionId!, endedAt: null }, select: { reviewerId: true } });
  return {
    kind: "review.assigned", userIds: assigned.map((a) => a.reviewerId), actorId: event.actorId, articleId: event.articleId, link: workspaceOf(event),
    message: `${event.actorName} asked you to review r${event.payload.revisionNumber} of "${event.articleTitle}" by ${formatDate(event.payload.dueOn)}.`,
  };
};

export const notificationRules: { [A in AuditAction]?: Rule<A> } = {
  // The board members asked to review.
  "review.assigned": reviewersAssigned,
  "review.reassigned": reviewersAssigned,

  // The author hears that changes were requested, with the reviewer's words.
  "workflow.changes_requested": async (tx, event) => ({
    kind: "workflow.changes_requested", userIds: [await authorOf(tx, event.revisionId)], actorId: event.actorId, articleId: event.articleId, link: workspaceOf(event),
    message: `${event.actorName} requested changes to r${event.payload.revisionNumber} of "${event.articleTitle}": ${event.comment ?? ""}`,
  }),

  // The author hears the outcome; admins hear there is something to publish.
  "workflow.approved": async (tx, event) => {
    const publishers = await tx.user.findMany({ where: { role: "ADMIN", active: true }, select: { id: true } });
    return {
      kind: "workflow.approved", userIds: [await authorOf(tx, event.revisionId), ...publishers.map((p) => p.id)], actorId: event.actorId, articleId: event.articleId,
      link: workspaceOf(event), message: `${event.actorName} approved r${event.payload.revisionNumber} of "${event.articleTitle}".`,
    };
  },

  // Everyone who wrote or signed the revision hears that it is live.
  "workflow.published": async (tx, event) => {
    const signers = await tx.approval.findMany({ where: { revisionId: event.revisionId! }, select: { reviewerId: true } });
    return {
      kind: "workflow.published", userIds: [await authorOf(tx, event.revisionId), ...signers.map((a) => a.reviewerId)], actorId: event.actorId, articleId: event.articleId,
      link: workspaceOf(event), message: `r${event.payload.revisionNumber} of "${event.articleTitle}" is now live.`,
    };
  },

  // The admin who scheduled the step (recorded as its actor, yet not the one who failed it) and the revision's author.
  "schedule.failed": async (tx, event) => ({
    kind: "schedule.failed", userIds: [event.actorId, await authorOf(tx, event.revisionId)], actorId: null, articleId: event.articleId, link: `${workspaceOf(event)}#schedules`,
    message: `The scheduled ${event.payload.scheduleAction === "PUBLISH" ? "publication" : "unpublication"} of r${event.payload.revisionNumber ?? "?"}` +
      `${event.payload.revisionNumber !== null && event.articleTitle !== null ? ` of "${event.articleTitle}"` : ""} did not happen: ${event.payload.reason}`,
  }),
};

const rules = new Map(Object.entries(notificationRules)) as Map<AuditAction, Rule<AuditAction>>;

followEvents(async (tx, event) => {
  const rule = rules.get(event.action);
  const notification = rule ? await rule(tx, event) : null;
  if (notification) await notify(tx, notification);
});
