// Start review: a reviewer takes a submitted revision; its content stays locked.
import { recordEvent } from "../../audit/audit-log.js";
import { transitions } from "../transitions.js";
import { eventOf, moveTo, tableGuard, transitionPayload, type Verb } from "./verb.js";

const t = transitions.start_review;

export const startReview: Verb = {
  transition: t,
  guard: (facts) => tableGuard(t, facts),
  async apply(args) {
    await moveTo(args, "UNDER_REVIEW");
    await recordEvent(args.tx, args.ctx, { ...eventOf(args), action: t.event, comment: args.input.comment || null, payload: transitionPayload(args, t, "UNDER_REVIEW") });
  },
};
