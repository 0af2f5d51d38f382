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

export const revisionStates = ["DRAFT", "SUBMITTED", "UNDER_REVIEW", "CHANGES_REQUESTED", "APPROVED", "PUBLISHED"] as const;

export const stateLabels: Record<string, string> = {
  DRAFT: "Draft",
  SUBMITTED: "Submitted",
  UNDER_REVIEW: "Under review",
  CHANGES_REQUESTED: "Changes requested",
  APPROVED: "Approved",
  PUBLISHED: "Published",
};

/** The public tracker's three steps and which one a revision state reaches. */
export const trackerSteps = ["Submitted", "Under Review", "Approved"] as const;
export function trackerStep(state: string): number {
  switch (state) {
    case "SUBMITTED":
      return 0;
    case "UNDER_REVIEW":
    case "CHANGES_REQUESTED":
      return 1;
    case "APPROVED":
    case "PUBLISHED":
      return 2;
    default:
      return -1;
  }
}
