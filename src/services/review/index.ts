// Review: the workflow service that runs the verbs, reviewer assignments, signatures, review comments and the guidance after each step.
// What the rest of the code may use from this folder; its other modules are internal.
export { activeAssignments, openAssignments, reassignReviewers, reassignSchema, remindReviewers } from "./assignments.js";
export { addComment, listThreads, newCommentSchema, replySchema, replyToComment, setCommentResolved } from "./comments.js";
export { meaningAppliesTo, signatureMeanings, verifySignature } from "./signatures.js";
export { applyTransition, guardFacts, lockRevision, signedContentHash, transitionInputSchema, workflowOptions } from "./workflow.js";
export type { PasskeySigning } from "./workflow.js";
