// Helpers available in every template.
const dateFormat = new Intl.DateTimeFormat("en-US", { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" });
const dateTimeFormat = new Intl.DateTimeFormat("en-GB", {
  year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: "UTC", timeZoneName: "short",
});

export function formatDate(value: Date | string | null | undefined): string {
  if (!value) return "";
  const date = typeof value === "string" ? new Date(value.length === 10 ? `${value}T00:00:00Z` : value) : value;
  return dateFormat.format(date);
}

export function formatDateTime(value: Date | string | null | undefined): string {
  if (!value) return "";
  return dateTimeFormat.format(typeof value === "string" ? new Date(value) : value);
}

// State facts come from the workflow's state table; templates read them through these names.
export { revisionStates, stateLabels, trackerSteps, displayState, states } from "../workflow/states.js";
export { scheduleStatusLabels } from "../services/schedules.js";
export { dayAndTime, scheduleInWords } from "./time.js";
import { states, isRevisionState } from "../workflow/states.js";

/** The public tracker's step for a revision state (-1: not on the tracker). */
export function trackerStep(state: string): number {
  return isRevisionState(state) ? (states[state].trackerStep ?? -1) : -1;
}
