/** One run's in-memory view, built by applying its records in order: the same code for live ingest and for replay. */
import type {
  AdviceEvent,
  DecodedFrame,
  FrozenLayer,
  IngestClientMessage,
  RunOptions,
  LayerDecl,
  ProbeInfo,
  RunDelta,
  RunMeta,
  RunSnapshot,
  ServerEvent,
  Warning,
} from '../../lib/protocol';
import { SNAPSHOT_SERIES_POINTS, probeClassCount, rankSeriesName } from '../../lib/protocol';
import { isSystemSeries } from '../../lib/chart/system-series';
import { GrowableSeries } from './series';
import { noteLatest } from '../storage/run-counters';

/** A decoded log record, as the collector sees it live or the replay reader yields it. */
export type RunRecord =
  | { kind: 'message'; time: number; message: IngestClientMessage }
  /** `finite` is set by the collector, which has already scanned the values (the registry need not scan again). */
  | { kind: 'frame'; time: number; frame: DecodedFrame; finite?: boolean }
  | { kind: 'event'; time: number; event: ServerEvent };

const MAX_WARNINGS = 200;

export class RunState {
  layers: LayerDecl[] = [];
  probe: ProbeInfo | null = null;
  labels: number[] | null = null;
  /** The probe declaration as received (concept labels and mask size for the concept statistics). */
  probeDecl: Extract<IngestClientMessage, { type: 'probe' }> | null = null;
  readonly steps: number[] = [];
  readonly times: number[] = [];
  readonly scalars = new Map<string, GrowableSeries>();
  readonly warnings: Warning[] = [];
  /** Freeze advice given so far, one per layer at most. */
  readonly advice: AdviceEvent[] = [];
  /** Layers the trainer confirmed frozen, once per layer (the first confirmation counts). */
  readonly frozen: FrozenLayer[] = [];
  readonly events: ServerEvent[] = [];
  /** The trainer's run options from its (latest) hello. */
  options: RunOptions = {};

  constructor(public meta: RunMeta) {}

  get lastStep(): number | null {
    return this.steps.length ? this.steps[this.steps.length - 1] : null;
  }

  /** Applies one record and returns the deltas it causes (empty for frames: analysis consumes those). */
  apply(record: RunRecord): RunDelta[] {
    switch (record.kind) {
      case 'message':
        return this.applyMessage(record.message, record.time);
      case 'frame':
        return [];
      case 'event':
        return this.applyEvent(record.event);
      default: {
        const _exhaustive: never = record;
        return _exhaustive;
      }
    }
  }

  private applyMessage(msg: IngestClientMessage, time: number): RunDelta[] {
    switch (msg.type) {
      case 'hello':
        if (msg.options) this.options = msg.options;
        return [];
      case 'ping':
        return [];
      case 'layers':
        this.layers = msg.layers;
        this.meta = { ...this.meta, layers: msg.layers.length };
        return [{ kind: 'layers', layers: msg.layers }];
      case 'probe': {
        // Sized by the class count: only probes that passed probeDeclProblem (ingest-rules.ts) reach this point.
        const classCounts = msg.labels ? countClasses(msg.labels, probeClassCount(msg)) : undefined;
        this.labels = msg.labels ?? null;
        this.probeDecl = msg;
        this.probe = {
          examples: msg.examples,
          ...(msg.classNames ? { classNames: msg.classNames } : {}),
          ...(classCounts ? { classCounts } : {}),
          ...(msg.concepts ? { concepts: msg.concepts } : {}),
        };
        return [{ kind: 'probe', probe: this.probe }];
      }
      case 'checkpoint': {
        this.steps.push(msg.step);
        this.times.push(time);
        this.meta = { ...this.meta, checkpoints: this.steps.length, lastStep: msg.step };
        return [{ kind: 'checkpoint', step: msg.step, time }];
      }
      case 'scalars':
        // A rank's share of a combined value stays in the log; the 'combined' event that follows makes the series point.
        if (msg.reduce !== undefined && msg.reduce !== 'none') return [];
        return this.pushScalars(msg.step, msg.reduce === 'none' ? perRank(msg.values, msg.rank ?? 0) : msg.values);
      case 'end':
        this.meta = { ...this.meta, status: msg.status, endedAt: time };
        return [{ kind: 'meta', meta: this.meta }];
      case 'frozen': {
        if (this.frozen.some((f) => f.layer === msg.layer)) return [];
        const frozen = { layer: msg.layer, step: msg.step };
        this.frozen.push(frozen);
        return [{ kind: 'frozen', frozen }];
      }
      default: {
        const _exhaustive: never = msg;
        return _exhaustive;
      }
    }
  }

  private applyEvent(event: ServerEvent): RunDelta[] {
    this.events.push(event);
    switch (event.type) {
      case 'status':
        this.meta = { ...this.meta, status: event.status, ...(event.status === 'live' ? {} : { endedAt: this.meta.endedAt ?? Date.now() }) };
        return [{ kind: 'meta', meta: this.meta }];
      case 'resumed':
        this.meta = { ...this.meta, status: 'live', endedAt: undefined };
        return [{ kind: 'meta', meta: this.meta }];
      case 'warning':
        if (this.warnings.length < MAX_WARNINGS) this.warnings.push(event.warning);
        return [{ kind: 'warning', warning: event.warning }];
      case 'advice':
        if (this.advice.some((a) => a.layer === event.advice.layer)) return [];
        this.advice.push(event.advice);
        return [{ kind: 'advice', advice: event.advice }];
      case 'annotation':
        this.meta = { ...this.meta, tags: event.tags, notes: event.notes };
        return [{ kind: 'meta', meta: this.meta }];
      case 'combined':
        return this.pushScalars(event.step, event.values);
      case 'rank':
        return [];
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  }

  /** Appends one step of scalars to their series (a point that would go back in time is left out) and returns the delta. */
  private pushScalars(step: number, values: Record<string, number | null>): RunDelta[] {
    const series: Record<string, { steps: number[]; values: Array<number | null> }> = {};
    for (const [name, value] of Object.entries(values)) {
      let s = this.scalars.get(name);
      if (!s) this.scalars.set(name, (s = new GrowableSeries()));
      if (step < s.lastStep) continue;
      s.push(step, value);
      series[name] = { steps: [step], values: [value !== null && Number.isFinite(value) ? value : null] };
    }
    const main = mainScalar(this.scalars);
    const latest = Object.assign(Object.create(null) as Record<string, number>, this.meta.latest);
    noteLatest(latest, values);
    this.meta = { ...this.meta, latest, ...(main ? { lastScalar: main } : {}) };
    return [{ kind: 'scalars', series }];
  }

  /** The whole view for a new subscriber. */
  snapshot(analysis?: RunSnapshot['analysis']): RunSnapshot {
    const scalars: RunSnapshot['scalars'] = {};
    // Decimated: a million-point series would make a 25 MB snapshot that blocks the event loop while it is built.
    for (const [name, s] of this.scalars) scalars[name] = s.view(SNAPSHOT_SERIES_POINTS);
    return {
      meta: this.meta,
      layers: this.layers,
      probe: this.probe,
      checkpoints: { steps: [...this.steps], times: [...this.times] },
      scalars,
      warnings: [...this.warnings],
      advice: [...this.advice],
      frozen: [...this.frozen],
      ...(analysis ? { analysis } : {}),
    };
  }
}

/** Values kept per rank, under their per-rank series names. */
function perRank(values: Record<string, number | null>, rank: number): Record<string, number | null> {
  return Object.fromEntries(Object.entries(values).map(([name, v]) => [rankSeriesName(name, rank), v]));
}

function countClasses(labels: number[], classes: number): number[] {
  const counts = new Array<number>(Math.max(classes, 0)).fill(0);
  for (const l of labels) if (l < counts.length) counts[l]++;
  return counts;
}

/** The series a run list shows: "loss" if logged, else the first series that is not a system metric. */
export function mainScalar(scalars: Map<string, GrowableSeries>): RunMeta['lastScalar'] | undefined {
  let name: string | undefined = scalars.has('loss') ? 'loss' : undefined;
  if (name === undefined) {
    for (const n of scalars.keys()) {
      if (!isSystemSeries(n)) {
        name = n;
        break;
      }
    }
  }
  if (name === undefined) return undefined;
  const s = scalars.get(name)!;
  if (!s.length || !Number.isFinite(s.lastValue)) return undefined;
  return { name, step: s.lastStep, value: s.lastValue };
}
