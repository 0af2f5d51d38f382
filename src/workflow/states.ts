// The review states as data, beside the transitions: every fact about a state is
// written here once and read from here by the editor, the public page, the
// dashboard and the database rule that keeps one revision per article in review
// (test/workflow-model.test.ts checks that partial index against this table).
//
// A state says what the board did with a revision, never whether it is live: the
// live revision is article.published_revision_id, and only that.
import type { RevisionState } from "../generated/prisma/client.js";

export interface StateFacts {
  label: string;
  /** Reviewers are looking at it: nobody may save over it (withdraw first). */
  lockedForEditing: boolean;
  /** May be shown to the public, under a caution banner, while nothing is published. */
  visibleWhilePending: boolean;
  /** Its step on the public review tracker (0 Submitted, 1 Under Review, 2 Approved); null = not on it. */
  trackerStep: number | null;
}

export const states = {
  DRAFT: { label: "Draft", lockedForEditing: false, visibleWhilePending: false, trackerStep: null },
  SUBMITTED: { label: "Submitted", lockedForEditing: true, visibleWhilePending: true, trackerStep: 0 },
  UNDER_REVIEW: { label: "Under review", lockedForEditing: true, visibleWhilePending: true, trackerStep: 1 },
  // Shown on the tracker as still under review (with a note); not shown to the public while pending:
  // when a reviewer has flagged content, the conservative choice is to stop showing it.
  CHANGES_REQUESTED: { label: "Changes requested", lockedForEditing: false, visibleWhilePending: false, trackerStep: 1 },
  APPROVED: { label: "Approved", lockedForEditing: false, visibleWhilePending: false, trackerStep: 2 },
} as const satisfies Record<RevisionState, StateFacts>;

export const revisionStates = Object.keys(states) as RevisionState[];

export const trackerSteps = ["Submitted", "Under Review", "Approved"] as const;

export const stateLabels = Object.fromEntries(revisionStates.map((s) => [s, states[s].label])) as Record<RevisionState, string>;

/** The states that have a given fact, e.g. statesWhere("lockedForEditing"). */
export function statesWhere(fact: "lockedForEditing" | "visibleWhilePending"): RevisionState[] {
  return revisionStates.filter((s) => states[s][fact]);
}

export function isRevisionState(value: string): value is RevisionState {
  return Object.hasOwn(states, value);
}

/** The label shown for an article's newest revision: its review state, or "Published" when it is the live one. */
export function displayState(revision: { id: string; state: RevisionState }, publishedRevisionId: string | null): string {
  return revision.id === publishedRevisionId ? "Published" : states[revision.state].label;
}
