// Every transition's module. The `satisfies` clause makes a transition without a
// module (or a module without a transition) a compile error.
import type { TransitionName } from "../transitions.js";
import type { Verb } from "./verb.js";
import { submit } from "./submit.js";
import { withdraw } from "./withdraw.js";
import { startReview } from "./start-review.js";
import { requestChanges } from "./request-changes.js";
import { approve } from "./approve.js";
import { publish } from "./publish.js";
import { unpublish } from "./unpublish.js";

export const verbs = {
  submit,
  withdraw,
  start_review: startReview,
  request_changes: requestChanges,
  approve,
  publish,
  unpublish,
} as const satisfies Record<TransitionName, Verb>;

export type { Verb, GuardFacts, Refusal, TransitionInput } from "./verb.js";
