// Submit for review: the editor hands the newest revision to the board. Submitting
// a new revision answers the change requests made on earlier ones: their threads close.
import { recordEvent } from "../../audit/audit-log.js";
import { assignReviewers } from "../assign-reviewers.js";
import { transitions } from "../transitions.js";
import { eventOf, moveTo, tableGuard, transitionPayload, type Verb } from "./verb.js";

const t = transitions.submit;

export const submit: Verb = {
  transition: t,
  guard: (facts) => tableGuard(t, facts),
  async apply(args) {
    const { tx, ctx, facts, revision, input, now } = args;
    await moveTo(args, "SUBMITTED");
    // Resubmitting the very revision that was sent back answers nothing, so its request stays open.
    // (Rows are locked before the chain lock, the same order as everywhere else.)
    const answered = await tx.comment.findMany({
      where: { articleId: facts.article.id, kind: "CHANGE_REQUEST", parentId: null, resolvedAt: null, revisionId: { not: revision.id } },
      select: { id: true },
    });
    await tx.comment.updateMany({ where: { id: { in: answered.map((c) => c.id) } }, data: { resolvedAt: now, resolvedById: facts.user.id, resolvedInRevisionId: revision.id } });
    await recordEvent(tx, ctx, { ...eventOf(args), action: t.event, comment: input.comment || null, payload: transitionPayload(args, t, "SUBMITTED") });
    for (const { id } of answered) {
      await recordEvent(tx, ctx, { ...eventOf(args), entityType: "comment", entityId: id, action: "comment.resolved", payload: { commentId: id, old: "open", new: "resolved" } });
    }
    await assignReviewers(tx, ctx, facts.user, {
      articleId: facts.article.id, revisionId: revision.id, revisionNumber: revision.number, title: revision.title, contributors: facts.contributors,
    }, { reviewerIds: input.reviewerIds ?? [], reviewDue: input.reviewDue ?? null });
  },
};
