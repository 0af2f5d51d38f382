// The editorial workflow as data: named transitions, each with the states it
// leaves from, the state it goes to, the permission it needs, which revision it
// acts on and what it asks of the user. Each transition's behaviour lives in one
// module under src/workflow/verbs/ (one guard, one apply); src/workflow/verbs/index.ts
// maps every name here to its module, and the compiler refuses a name without one.
import type { RevisionState } from "../generated/prisma/client.js";
import type { AuditAction } from "../audit/events.js";
import type { Permission } from "./permissions.js";
import { statesWhere } from "./states.js";

export interface Transition {
  name: TransitionName;
  label: string;
  from: RevisionState[];
  /** The review state it leaves the revision in; null = unchanged (publishing moves the live pointer only). */
  to: RevisionState | null;
  permission: Permission;
  /**
   * Which revision it acts on: the article's newest one, the live one (a take-down never
   * waits for a draft), or any revision of the article named by the user (publishing a
   * specific approved revision while a newer draft is in progress).
   */
  target: "newest" | "live" | "named";
  /** What the user must give: a comment, a reason, or an electronic signature. */
  requires?: "comment" | "reason" | "signature";
  /** Only the revision's own author may take it. */
  authorOnly?: boolean;
  /** Separation of duties: nobody who wrote or edited the revision may take it. */
  notByContributors?: boolean;
  /** Blocked while the revision has citation errors. */
  blockedByCitationErrors?: boolean;
  event: AuditAction;
}

export type TransitionName = "submit" | "withdraw" | "start_review" | "request_changes" | "approve" | "publish" | "unpublish";

export const transitions: Record<TransitionName, Transition> = {
  submit: { name: "submit", label: "Submit for review", from: ["DRAFT", "CHANGES_REQUESTED"], to: "SUBMITTED", target: "newest", permission: "workflow.submit", blockedByCitationErrors: true, event: "workflow.submitted" },
  withdraw: { name: "withdraw", label: "Withdraw from review", from: ["SUBMITTED"], to: "DRAFT", target: "newest", permission: "workflow.withdraw", authorOnly: true, event: "workflow.withdrawn" },
  start_review: { name: "start_review", label: "Start review", from: ["SUBMITTED"], to: "UNDER_REVIEW", target: "newest", permission: "workflow.review", event: "workflow.review_started" },
  request_changes: { name: "request_changes", label: "Request changes", from: ["UNDER_REVIEW"], to: "CHANGES_REQUESTED", target: "newest", permission: "workflow.review", requires: "comment", event: "workflow.changes_requested" },
  approve: { name: "approve", label: "Approve and sign", from: ["UNDER_REVIEW"], to: "APPROVED", target: "newest", permission: "workflow.approve", requires: "signature", notByContributors: true, blockedByCitationErrors: true, event: "workflow.approved" },
  publish: { name: "publish", label: "Publish", from: ["APPROVED"], to: null, target: "named", permission: "workflow.publish", event: "workflow.published" },
  unpublish: { name: "unpublish", label: "Unpublish", from: ["APPROVED"], to: null, target: "live", permission: "workflow.publish", requires: "reason", event: "workflow.unpublished" },
};

export const transitionNames = Object.keys(transitions) as TransitionName[];

/** States whose content is locked while reviewers look at it. */
export const IN_REVIEW: RevisionState[] = statesWhere("lockedForEditing");
