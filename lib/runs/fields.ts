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

/** A run's config flattened to [path, value] pairs ("optimizer.lr", 0.001), at most MAX_CONFIG_FIELDS. */
export function flattenConfig(config: unknown, prefix = '', out: Array<[string, FieldValue]> = []): Array<[string, FieldValue]> {
  if (out.length >= MAX_CONFIG_FIELDS) return out;
  if (Array.isArray(config)) config.forEach((v, i) => flattenConfig(v, prefix ? `${prefix}.${i}` : String(i), out));
  else if (config !== null && typeof config === 'object') {
    for (const [k, v] of Object.entries(config as Record<string, unknown>)) flattenConfig(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (typeof config === 'string' || typeof config === 'number' || typeof config === 'boolean') out.push([prefix, config]);
  else if (config === null) out.push([prefix, 'null']);
  return out.length > MAX_CONFIG_FIELDS ? out.slice(0, MAX_CONFIG_FIELDS) : out;
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
