// Withdraw from review: the author takes a submission back to draft before a reviewer starts.
import { recordEvent } from "../../audit/audit-log.js";
import { transitions } from "../transitions.js";
import { eventOf, moveTo, tableGuard, transitionPayload, type Verb } from "./verb.js";

const t = transitions.withdraw;

export const withdraw: Verb = {
  transition: t,
  guard: (facts) => tableGuard(t, facts),
  async apply(args) {
    await moveTo(args, "DRAFT");
    await recordEvent(args.tx, args.ctx, { ...eventOf(args), action: t.event, comment: args.input.comment || null, payload: transitionPayload(args, t, "DRAFT") });
  },
};
