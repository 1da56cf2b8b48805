/** The config diff of the compare view: runs' configs flattened to dotted keys, and the keys whose values differ. */

/** A flattened config value: scalars as they are, arrays and other objects as JSON text. */
export type FlatValue = string | number | boolean | null;

/** Nested objects flattened to dotted keys (`optimizer.lr`); arrays stay whole values; a non-object config is `{ "": value }`. */
export function flattenConfig(config: unknown, prefix = '', out: Record<string, FlatValue> = {}): Record<string, FlatValue> {
  if (config === undefined) return out;
  if (config !== null && typeof config === 'object' && !Array.isArray(config)) {
    for (const [k, v] of Object.entries(config as Record<string, unknown>)) flattenConfig(v, prefix ? `${prefix}.${k}` : k, out);
    return out;
  }
  out[prefix] = flatValue(config);
  return out;
}

function flatValue(v: unknown): FlatValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  return JSON.stringify(v) ?? String(v);
}

export interface ConfigDiffRow {
  key: string;
  /** One value per run, `undefined` where the run's config lacks the key. */
  values: Array<FlatValue | undefined>;
}

/** The keys whose values are not the same in every run (a key missing from some runs differs), sorted by key. */
export function configDiff(configs: readonly unknown[]): { rows: ConfigDiffRow[]; same: number } {
  const flat = configs.map((c) => flattenConfig(c));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
  const rows: ConfigDiffRow[] = [];
  let same = 0;
  for (const key of keys) {
    const values = flat.map((f) => (Object.hasOwn(f, key) ? f[key] : undefined));
    const first = identity(values[0]);
    if (values.every((v) => identity(v) === first)) same++;
    else rows.push({ key, values });
  }
  return { rows, same };
}

/** A comparable form of a value: JSON (so 1 and "1" differ), a marker for a missing key. */
function identity(v: FlatValue | undefined): string {
  return v === undefined ? '\u0000missing' : JSON.stringify(v);
}

/** A flattened value as the diff table shows it ("—" where the run has no such key). */
export function formatConfigValue(v: FlatValue | undefined): string {
  if (v === undefined) return '—';
  if (v === null) return 'null';
  return typeof v === 'string' ? v : String(v);
}
