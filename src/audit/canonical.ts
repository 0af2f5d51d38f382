// Canonical JSON (keys sorted at every level) so a hash computed when an event is
// written can be recomputed from what PostgreSQL's jsonb gives back.
// Written as plain loops: verifying a million events calls it for every payload.
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i ? "," : "") + canonicalJson(value[i]);
    return out + "]";
  }
  // The default sort compares UTF-16 code units, the same order as `<`.
  const keys = Object.keys(value).sort();
  let out = "{";
  for (const key of keys) {
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined) continue;
    out += (out.length > 1 ? "," : "") + JSON.stringify(key) + ":" + canonicalJson(item);
  }
  return out + "}";
}
