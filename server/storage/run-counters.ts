/**
 * Recomputing a run's counters (checkpoints, last step, layers, last scalars, tags and
 * notes) from its log, for crash recovery and import. Only kind-1 and kind-3 records are
 * read; binary frames are skipped by seeking. The collector can plug in its protocol parser.
 */
import type { LogRecord } from './run-log-reader';
import { readRunLog } from './run-log-reader';
import { RecordKind } from './run-log-format';

/** What a record means for the counters; null when it does not count. */
export type RecordClass =
  | { type: 'hello'; run: { id?: string; name?: string; project?: string; config?: unknown } }
  | { type: 'layers'; count: number }
  | { type: 'checkpoint'; step: number }
  | { type: 'scalars'; step: number; values: Record<string, number | null> }
  | { type: 'end'; status: 'finished' | 'failed' }
  | { type: 'annotation'; tags: string[]; notes: string };

/** Classifies a stored record; the default one JSON-parses kind-1 records and ignores the rest. */
export type Classify = (record: LogRecord) => RecordClass | null;

/** The counters a log yields, plus what its first hello said. */
export interface RunCounters {
  checkpoints: number;
  /** The last stored checkpoint's step (as welcome.lastStep), or null: scalars do not move it. */
  lastStep: number | null;
  layers: number;
  lastScalar?: { name: string; step: number; value: number };
  /** The last value of each scalar (at most MAX_LATEST_SCALARS names, the first seen). */
  latest: Record<string, number>;
  /** The last annotation event's tags and notes. */
  annotation?: { tags: string[]; notes: string };
  hello?: Extract<RecordClass, { type: 'hello' }>['run'];
  end?: 'finished' | 'failed';
  firstTime: number | null;
  lastTime: number | null;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Scalar names whose last value a run's meta keeps (the overview's columns); a run logging more keeps the first. */
export const MAX_LATEST_SCALARS = 64;

/** Recognises hello, layers, checkpoint, scalars and end in kind-1 JSON records and annotations in kind-3, loosely. */
export const defaultClassify: Classify = (record) => {
  if (record.kind === RecordKind.Event) return classifyEvent(record.payload);
  if (record.kind !== RecordKind.Json) return null;
  let msg: unknown;
  try {
    msg = JSON.parse(decoder.decode(record.payload));
  } catch {
    return null;
  }
  if (typeof msg !== 'object' || msg === null) return null;
  const m = msg as Record<string, unknown>;
  const step = typeof m.step === 'number' && Number.isFinite(m.step) ? m.step : null;
  switch (m.type) {
    case 'hello':
      return typeof m.run === 'object' && m.run !== null ? { type: 'hello', run: m.run as RunCounters['hello'] & object } : null;
    case 'layers':
      return Array.isArray(m.layers) ? { type: 'layers', count: m.layers.length } : null;
    case 'checkpoint':
      return step === null ? null : { type: 'checkpoint', step };
    case 'scalars':
      return step === null || typeof m.values !== 'object' || m.values === null
        ? null
        : { type: 'scalars', step, values: m.values as Record<string, number | null> };
    case 'end':
      return { type: 'end', status: m.status === 'failed' ? 'failed' : 'finished' };
    default:
      return null;
  }
};

/** An annotation event's tags and notes (loosely: the content check validates them where it matters). */
function classifyEvent(payload: Uint8Array): RecordClass | null {
  let e: unknown;
  try {
    e = JSON.parse(decoder.decode(payload));
  } catch {
    return null;
  }
  const m = e as { type?: unknown; tags?: unknown; notes?: unknown } | null;
  if (m?.type !== 'annotation' || !Array.isArray(m.tags) || !m.tags.every((t) => typeof t === 'string') || typeof m.notes !== 'string') return null;
  return { type: 'annotation', tags: m.tags as string[], notes: m.notes };
}

/** Records a scalars message's finite values as the latest per name, within the name bound. */
export function noteLatest(latest: Record<string, number>, values: Record<string, number | null>): void {
  let names = Object.keys(latest).length;
  for (const [name, v] of Object.entries(values)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (!Object.hasOwn(latest, name)) {
      if (names >= MAX_LATEST_SCALARS) continue;
      names++;
    }
    latest[name] = v;
  }
}

/** Reads a log's JSON and event records and recomputes the run's counters. */
export async function countRunLog(path: string, classify: Classify = defaultClassify, to?: number): Promise<RunCounters> {
  const c: RunCounters = { checkpoints: 0, lastStep: null, layers: 0, latest: Object.create(null) as Record<string, number>, firstTime: null, lastTime: null };
  for await (const rec of readRunLog(path, { kinds: [RecordKind.Json, RecordKind.Event], to })) {
    c.firstTime ??= rec.time;
    c.lastTime = rec.time;
    const cls = classify(rec);
    if (!cls) continue;
    switch (cls.type) {
      case 'hello':
        c.hello ??= cls.run;
        // A resumed run appends a new hello: the run is live again until its next end.
        c.end = undefined;
        break;
      case 'layers':
        c.layers = cls.count;
        break;
      case 'checkpoint':
        c.checkpoints++;
        c.lastStep = Math.max(c.lastStep ?? cls.step, cls.step);
        break;
      case 'scalars': {
        // lastStep is the last stored *checkpoint* (what the resume handshake reports), never a scalar's step.
        const entries = Object.entries(cls.values).filter((e): e is [string, number] => typeof e[1] === 'number');
        const main = entries.find(([name]) => name === 'loss') ?? entries[0];
        if (main) c.lastScalar = { name: main[0], step: cls.step, value: main[1] };
        noteLatest(c.latest, cls.values);
        break;
      }
      case 'annotation':
        c.annotation = { tags: cls.tags, notes: cls.notes };
        break;
      case 'end':
        c.end = cls.status;
        break;
      default: {
        const _exhaustive: never = cls;
        return _exhaustive;
      }
    }
  }
  return c;
}

/** The meta fields a log's counters give beyond the basic counters: latest scalar values, tags and notes. */
export function summaryFields(c: RunCounters): { latest?: Record<string, number>; tags?: string[]; notes?: string } {
  return {
    ...(Object.keys(c.latest).length ? { latest: { ...c.latest } } : {}),
    ...(c.annotation ? { tags: c.annotation.tags, notes: c.annotation.notes } : {}),
  };
}
