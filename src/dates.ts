// How dates read, everywhere a person reads one: pages, notifications, e-mail and the
// history. One formatter, so an e-mail says "December 13, 2026" as the page does.
const dateFormat = new Intl.DateTimeFormat("en-US", { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" });
const dateTimeFormat = new Intl.DateTimeFormat("en-GB", {
  year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: "UTC", timeZoneName: "short",
});

/** "December 13, 2026". Accepts a Date, an ISO timestamp or a calendar day ("2026-12-13", read as that day in UTC). */
export function formatDate(value: Date | string | null | undefined): string {
  if (!value) return "";
  const date = typeof value === "string" ? new Date(value.length === 10 ? `${value}T00:00:00Z` : value) : value;
  return dateFormat.format(date);
}

/** "13 Dec 2026, 14:05:00 UTC". */
export function formatDateTime(value: Date | string | null | undefined): string {
  if (!value) return "";
  return dateTimeFormat.format(typeof value === "string" ? new Date(value) : value);
}
