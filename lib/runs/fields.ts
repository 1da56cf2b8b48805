/**
 * A run as the overview's table sees it: named fields (built-ins, flattened config keys, last scalar values, layer
 * settle steps) and the text free search looks in. One definition for the server's summary index and the browser.
 */
import type { RunMeta } from '../protocol/live';

export type FieldValue = string | number | boolean;

/** Column keys: built-ins as they are, config keys as `c:optimizer.lr`, scalars `s:loss`, settle steps `l:fc1`. */
export const BUILTIN_FIELDS = ['name', 'status', 'project', 'id', 'created', 'step', 'checkpoints', 'layers', 'tags'] as const;
export type BuiltinField = (typeof BUILTIN_FIELDS)[number];

/** Config values per run the index keeps (deeper or wider configs are cut, as the search always was). */
export const MAX_CONFIG_FIELDS = 200;

/**
 * A run's config flattened to [path, value] pairs ("optimizer.lr", 0.001; arrays by index, "optimizer.betas.0"; null as
 * "null"), at most `limit` pairs: the one flattening for the table's columns, search, and the compare view's diff.
 */
export function flattenConfig(config: unknown, limit = MAX_CONFIG_FIELDS): Array<[string, FieldValue]> {
  const out: Array<[string, FieldValue]> = [];
  const walk = (v: unknown, prefix: string): void => {
    if (out.length >= limit) return;
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, prefix ? `${prefix}.${i}` : String(i)));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, prefix ? `${prefix}.${k}` : k);
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.push([prefix, v]);
    else if (v === null) out.push([prefix, 'null']);
  };
  walk(config, '');
  return out;
}

/** Every field of a run by column key (a Map: config keys are untrusted and may be "__proto__"). */
export function runFields(meta: RunMeta): Map<string, FieldValue> {
  const f = new Map<string, FieldValue>([
    ['name', meta.name],
    ['status', meta.status],
    ['id', meta.id],
    ['created', meta.createdAt],
    ['checkpoints', meta.checkpoints],
    ['layers', meta.layers],
  ]);
  if (meta.project !== undefined) f.set('project', meta.project);
  if (meta.lastStep !== null) f.set('step', meta.lastStep);
  if (meta.tags?.length) f.set('tags', meta.tags.join(' '));
  for (const [k, v] of flattenConfig(meta.config)) if (k) f.set(`c:${k}`, v);
  for (const [k, v] of Object.entries(meta.latest ?? {})) f.set(`s:${k}`, v);
  if (meta.lastScalar && !f.has(`s:${meta.lastScalar.name}`)) f.set(`s:${meta.lastScalar.name}`, meta.lastScalar.value);
  for (const { layer, step } of meta.settle ?? []) if (step !== null) f.set(`l:${layer}`, step);
  return f;
}

/** The lower-case text free search looks in: name, project, id, tags, notes and every config path=value. */
export function runSearchText(meta: RunMeta): string {
  const config = flattenConfig(meta.config).map(([k, v]) => `${k}=${String(v)}`);
  return [meta.name, meta.project ?? '', meta.id, ...(meta.tags ?? []), meta.notes ?? '', ...config].join('\n').toLowerCase();
}

/** A column key as a person reads it: `optimizer.lr`, `loss (last)`, `fc1 settled at`. */
export function columnLabel(key: string): string {
  if (key.startsWith('c:')) return key.slice(2);
  if (key.startsWith('s:')) return `${key.slice(2)} (last)`;
  if (key.startsWith('l:')) return `${key.slice(2)} settled at`;
  return key;
}
