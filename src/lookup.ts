// Tables keyed by names people type (audience address names, reference keys, form field
// names). A plain `{}` inherits from Object.prototype, so a name like "constructor" finds a
// function instead of nothing; these tables have no prototype, so a name is only ever its
// own entry. Use a Map where a template does not need to index the table.

export function lookupTable<V>(entries: Iterable<readonly [string, V]> = []): Record<string, V> {
  const table = Object.create(null) as Record<string, V>;
  for (const [key, value] of entries) table[key] = value;
  return table;
}
