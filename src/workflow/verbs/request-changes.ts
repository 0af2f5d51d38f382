// Request changes: a reviewer sends the revision back with a comment, which opens a
// change-request thread the next submission answers.
import { recordEvent } from "../../audit/audit-log.js";
import { transitions } from "../transitions.js";
import { eventOf, moveTo, tableGuard, transitionPayload, type Verb } from "./verb.js";

const t = transitions.request_changes;

export const requestChanges: Verb = {
  transition: t,
  guard: (facts) => tableGuard(t, facts),
  async apply(args) {
    const { tx, ctx, facts, revision, input } = args;
    await moveTo(args, "CHANGES_REQUESTED");
    const note = await tx.comment.create({
      data: { articleId: facts.article.id, revisionId: revision.id, kind: "CHANGE_REQUEST", authorId: facts.user.id, body: input.comment },
    });
    await recordEvent(tx, ctx, { ...eventOf(args), action: t.event, comment: input.comment, payload: transitionPayload(args, t, "CHANGES_REQUESTED") });
    await recordEvent(tx, ctx, {
      ...eventOf(args), entityType: "comment", entityId: note.id, action: "comment.created",
      payload: { commentId: note.id, sectionKey: null, quote: null, body: input.comment, kind: "CHANGE_REQUEST" },
    });
  },
};
