// Times for people who schedule: wall-clock times in the reader's zone read as UTC
// instants, and instants said in words ("in 2 hours, on Sunday 6 December 2026 at
// 14:00 UTC"). The database always stores UTC.

/** A zone the runtime knows by its IANA name ("Europe/Paris", "UTC"). */
export function isTimeZone(zone: string): boolean {
  if (!zone || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Minutes `zone` is ahead of UTC at the instant `at`. */
function offsetMinutes(at: number, zone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" })
      .formatToParts(new Date(at)).map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return Math.round((asUtc - Math.floor(at / 1000) * 1000) / 60_000);
}

/**
 * The UTC instant of a wall-clock time "yyyy-mm-ddThh:mm[:ss]" in `zone`; null when the
 * text is not a real date and time. In a daylight-saving gap the later offset is used
 * (02:30 on a spring-forward night becomes 03:30), in an overlap the earlier instant.
 */
export function wallTimeToUtc(wall: string, zone: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(wall);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  const naive = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(naive);
  if (Number.isNaN(naive) || year >= 3000 || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return null;
  const first = naive - offsetMinutes(naive, zone) * 60_000;
  const second_ = naive - offsetMinutes(first, zone) * 60_000;
  return new Date(Math.min(first, second_));
}

/** "Sunday 6 December 2026 at 14:00" in `zone`. */
export function dayAndTime(at: Date, zone = "UTC"): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", { timeZone: zone, weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(at).map((p) => [p.type, p.value]),
  );
  return `${parts.weekday} ${parts.day} ${parts.month} ${parts.year} at ${parts.hour}:${parts.minute}`;
}

/** "in 2 hours", "in 3 days", "5 minutes ago". */
export function relativeTime(at: Date, now = new Date()): string {
  const minutes = Math.round((at.getTime() - now.getTime()) / 60_000);
  const size = Math.abs(minutes);
  const [count, unit] = size < 60 ? [size, "minute"] : size < 48 * 60 ? [Math.round(size / 60), "hour"] : [Math.round(size / 1440), "day"];
  if (count === 0) return "now";
  const amount = `${count} ${unit}${count === 1 ? "" : "s"}`;
  return minutes > 0 ? `in ${amount}` : `${amount} ago`;
}

/** "in 2 hours, on Sunday 6 December 2026 at 14:00 UTC", plus the local time when the zone is not UTC. */
export function scheduleInWords(at: Date, zone = "UTC", now = new Date()): string {
  const local = zone !== "UTC" && isTimeZone(zone) ? ` (${dayAndTime(at, zone)} ${zone})` : "";
  return `${relativeTime(at, now)}, on ${dayAndTime(at)} UTC${local}`;
}
