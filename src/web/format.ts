// Helpers available in every template.
export { formatDate, formatDateTime } from "../dates.js";

// State facts come from the workflow's state table; templates read them through these names.
export { revisionStates, stateLabels, trackerSteps, displayState, states } from "../workflow/states.js";
export { scheduleStatusLabels } from "../services/publishing/index.js";
export { dayAndTime, scheduleInWords } from "../time.js";
import { states, isRevisionState } from "../workflow/states.js";

/** The public tracker's step for a revision state (-1: not on the tracker). */
export function trackerStep(state: string): number {
  return isRevisionState(state) ? (states[state].trackerStep ?? -1) : -1;
}
