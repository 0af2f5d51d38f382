// The editorial workflow as data: named transitions, each with the states it
// leaves from, the state it goes to, the permission it needs and what it asks of
// the user. The UI offers exactly the transitions this table allows.
import type { RevisionState } from "../generated/prisma/client.js";
import type { AuditAction } from "../audit/events.js";
import type { Permission } from "./permissions.js";

export interface Transition {
  name: TransitionName;
  label: string;
  from: RevisionState[];
  to: RevisionState;
  permission: Permission;
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
  submit: { name: "submit", label: "Submit for review", from: ["DRAFT", "CHANGES_REQUESTED"], to: "SUBMITTED", permission: "workflow.submit", blockedByCitationErrors: true, event: "workflow.submitted" },
  withdraw: { name: "withdraw", label: "Withdraw from review", from: ["SUBMITTED"], to: "DRAFT", permission: "workflow.withdraw", authorOnly: true, event: "workflow.withdrawn" },
  start_review: { name: "start_review", label: "Start review", from: ["SUBMITTED"], to: "UNDER_REVIEW", permission: "workflow.review", event: "workflow.review_started" },
  request_changes: { name: "request_changes", label: "Request changes", from: ["UNDER_REVIEW"], to: "CHANGES_REQUESTED", permission: "workflow.review", requires: "comment", event: "workflow.changes_requested" },
  approve: { name: "approve", label: "Approve and sign", from: ["UNDER_REVIEW"], to: "APPROVED", permission: "workflow.approve", requires: "signature", notByContributors: true, blockedByCitationErrors: true, event: "workflow.approved" },
  publish: { name: "publish", label: "Publish", from: ["APPROVED"], to: "PUBLISHED", permission: "workflow.publish", event: "workflow.published" },
  unpublish: { name: "unpublish", label: "Unpublish", from: ["PUBLISHED"], to: "APPROVED", permission: "workflow.publish", requires: "reason", event: "workflow.unpublished" },
};

export const transitionNames = Object.keys(transitions) as TransitionName[];

/** States whose content is locked while reviewers look at it. */
export const IN_REVIEW: RevisionState[] = ["SUBMITTED", "UNDER_REVIEW"];
