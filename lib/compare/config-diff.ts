/** The config diff of the compare view: runs' configs flattened as the overview's table flattens them, and the keys whose values differ. */
import { flattenConfig, type FieldValue } from '../runs/fields';

export interface ConfigDiffRow {
  key: string;
  /** One value per run, `undefined` where the run's config lacks the key. */
  values: Array<FieldValue | undefined>;
}

/** The keys whose values are not the same in every run (a key missing from some runs differs), sorted by key. */
export function configDiff(configs: readonly unknown[]): { rows: ConfigDiffRow[]; same: number } {
  // Maps, not objects: config keys are untrusted and may be "__proto__". Every key is compared, not the table's first 200.
  const flat = configs.map((c) => new Map(flattenConfig(c, Infinity)));
  const keys = [...new Set(flat.flatMap((f) => [...f.keys()]))].sort();
  const rows: ConfigDiffRow[] = [];
  let same = 0;
  for (const key of keys) {
    const values = flat.map((f) => f.get(key));
    const first = identity(values[0]);
    if (values.every((v) => identity(v) === first)) same++;
    else rows.push({ key, values });
  }
  return { rows, same };
}

/** A comparable form of a value: JSON (so 1 and "1" differ), a marker for a missing key. */
function identity(v: FieldValue | undefined): string {
  return v === undefined ? '\u0000missing' : JSON.stringify(v);
}

/** A flattened value as the diff table shows it ("—" where the run has no such key). */
export function formatConfigValue(v: FieldValue | undefined): string {
  return v === undefined ? '—' : String(v);
}
