/** Messages on /live (browser ⇄ server): subscriptions, snapshots and numbered deltas. */
import { z } from 'zod';
import { AdviceEvidence, LayerDecl, ConceptDecl } from './ingest';
import { AnalysisBacklog, AnalysisProgress, ConvergencePatch, ConvergenceState, ReanalysisProgress } from './analysis';
import { ConceptPatch, ConceptState } from './concepts';
import { ImageSize, MAX_IMAGE_SIDE } from './images';

export const RunStatus = z.enum(['live', 'finished', 'failed', 'interrupted']);
export type RunStatus = z.infer<typeof RunStatus>;

export const RunMeta = z.object({
  id: z.string(),
  name: z.string(),
  project: z.string().optional(),
  config: z.unknown().optional(),
  status: RunStatus,
  createdAt: z.number(),
  endedAt: z.number().optional(),
  checkpoints: z.number(),
  lastStep: z.number().nullable(),
  layers: z.number(),
  bytes: z.number(),
  lastScalar: z.object({ name: z.string(), step: z.number(), value: z.number() }).optional(),
  /** The last value of each scalar the run logged (at most 64 names): the overview's scalar columns. */
  latest: z.record(z.string(), z.number()).optional(),
  /** Per layer, the checkpoint step from which it settled (null: it did not), from the stored analysis of an ended run. */
  settle: z.array(z.object({ layer: z.string(), step: z.number().nullable() })).optional(),
  /** A person's tags and notes (the run log's last `annotation` event); absent when never written. */
  tags: z.array(z.string()).optional(),
  notes: z.string().optional(),
});
export type RunMeta = z.infer<typeof RunMeta>;

/**
 * A scalar series as two parallel arrays (steps ascending). `total` is present when the series is a min/max-decimated
 * view (snapshots carry at most SNAPSHOT_SERIES_POINTS per series) and says how many points it stands for; the
 * `series` request returns any step range at any resolution up to the full series.
 */
export const Series = z.object({ steps: z.array(z.number()), values: z.array(z.number().nullable()), total: z.number().int().optional() });

/** Points per series in a run snapshot; longer series are min/max-decimated (their `total` says so). */
export const SNAPSHOT_SERIES_POINTS = 4096;
export type Series = z.infer<typeof Series>;

export const ProbeInfo = z.object({
  examples: z.number(),
  classNames: z.array(z.string()).optional(),
  classCounts: z.array(z.number()).optional(),
  concepts: z.array(ConceptDecl).optional(),
});
export type ProbeInfo = z.infer<typeof ProbeInfo>;

export const Warning = z.object({ code: z.string(), message: z.string(), step: z.number().optional(), layer: z.string().optional() });
export type Warning = z.infer<typeof Warning>;

/** Freeze advice the server gave for a layer (stored in the run log, so it survives restarts). */
export const AdviceEvent = z.object({
  layer: z.string(),
  step: z.number(),
  action: z.literal('freeze'),
  evidence: AdviceEvidence,
});
export type AdviceEvent = z.infer<typeof AdviceEvent>;

/** A layer the trainer confirmed frozen (its `frozen` message), at the trainer's step. */
export const FrozenLayer = z.object({ layer: z.string(), step: z.number() });
export type FrozenLayer = z.infer<typeof FrozenLayer>;

export const RunSnapshot = z.object({
  meta: RunMeta,
  layers: z.array(LayerDecl),
  probe: ProbeInfo.nullable(),
  checkpoints: z.object({ steps: z.array(z.number()), times: z.array(z.number()) }),
  scalars: z.record(z.string(), Series),
  warnings: z.array(Warning),
  advice: z.array(AdviceEvent).default([]),
  /** Layers the trainer confirmed frozen, in the order confirmed (advice alone freezes nothing). */
  frozen: z.array(FrozenLayer).default([]),
  /** Analysis state; each key is filled by its analysis (concepts and advice join convergence later). */
  analysis: z
    .object({
      convergence: ConvergenceState.optional(),
      concepts: ConceptState.optional(),
      progress: AnalysisProgress.optional(),
      backlog: AnalysisBacklog.optional(),
    })
    .optional(),
});
export type RunSnapshot = z.infer<typeof RunSnapshot>;

/** Every change a run topic can announce. */
export const RunDelta = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('meta'), meta: RunMeta }),
  z.object({ kind: z.literal('layers'), layers: z.array(LayerDecl) }),
  z.object({ kind: z.literal('probe'), probe: ProbeInfo }),
  z.object({ kind: z.literal('checkpoint'), step: z.number(), time: z.number() }),
  z.object({ kind: z.literal('scalars'), series: z.record(z.string(), Series) }),
  z.object({ kind: z.literal('warning'), warning: Warning }),
  z.object({ kind: z.literal('advice'), advice: AdviceEvent }),
  z.object({ kind: z.literal('frozen'), frozen: FrozenLayer }),
  z.object({ kind: z.literal('reanalysis'), progress: ReanalysisProgress }),
  z.object({ kind: z.literal('analysis-progress'), progress: AnalysisProgress }),
  z.object({ kind: z.literal('analysis-backlog'), backlog: AnalysisBacklog }),
  z.object({ kind: z.literal('convergence'), patch: ConvergencePatch }),
  z.object({ kind: z.literal('concepts'), patch: ConceptPatch }),
  /** Grad-CAM maps of a checkpoint were stored (fetch them with the `gradcam` request). */
  z.object({ kind: z.literal('gradcam'), step: z.number(), layer: z.string() }),
]);
export type RunDelta = z.infer<typeof RunDelta>;

export const RunsDelta = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('run'), meta: RunMeta }),
  z.object({ kind: z.literal('removed'), id: z.string() }),
]);
export type RunsDelta = z.infer<typeof RunsDelta>;

/** The run list's deltas without its snapshot: the overview pages the list over HTTP and refetches on these. */
export const RUNS_CHANGES_TOPIC = 'runs-changes';

/** Topics: "runs" (the run list), "runs-changes" (its deltas only) or "run:<id>". */
export const Topic = z.string().regex(/^(runs|runs-changes|run:[a-z0-9][a-z0-9_-]{0,63})$/);

const RUN_TOPIC_PREFIX = 'run:';

/** The topic of one run's view. */
export function runTopic(runId: string): string {
  return `${RUN_TOPIC_PREFIX}${runId}`;
}

/** The run id a "run:<id>" topic names, or null for the run-list topics. */
export function topicRunId(topic: string): string | null {
  return topic.startsWith(RUN_TOPIC_PREFIX) ? topic.slice(RUN_TOPIC_PREFIX.length) : null;
}

export const Subscribe = z.strictObject({
  type: z.literal('subscribe'),
  topic: Topic,
  /** Resume point: the epoch and last sequence number this client saw. */
  since: z.strictObject({ epoch: z.string().max(64), seq: z.number().int().min(0) }).optional(),
});
export const Unsubscribe = z.strictObject({ type: z.literal('unsubscribe'), topic: Topic });
export const LivePing = z.strictObject({ type: z.literal('ping'), id: z.number().optional() });
export const Request = z.strictObject({
  type: z.literal('request'),
  id: z.number().int(),
  what: z.string().max(64),
  run: z.string().max(64),
  params: z.record(z.string(), z.union([z.string().max(200), z.number(), z.boolean()])).optional(),
});

/** Most examples a `unit-examples` request may ask for, and the default. */
export const MAX_UNIT_EXAMPLES = 64;
export const DEFAULT_UNIT_EXAMPLES = 12;

/** Params of the `unit-examples` request: one unit's top-activating probe examples at a checkpoint (the newest without `step`). */
export const UnitExamplesParams = z.object({
  layer: z.string().min(1).max(200),
  unit: z.number().int().min(0),
  step: z.number().int().min(0).optional(),
  k: z.number().int().min(1).max(MAX_UNIT_EXAMPLES).default(DEFAULT_UNIT_EXAMPLES),
});
export type UnitExamplesParams = z.infer<typeof UnitExamplesParams>;

export const UnitExample = z.object({
  example: z.number().int().min(0),
  /** The unit's activation on the example (spatial layers: the maximum over h × w). */
  value: z.number(),
  /** The example's class (probe label) and its name, when the probe has labels. */
  label: z.number().int().optional(),
  className: z.string().optional(),
  /** Base64 of h·w·channels bytes (row-major, round(x · 255)), when the run has probe images. */
  pixels: z.string().optional(),
});
export type UnitExample = z.infer<typeof UnitExample>;

/** Answer to `unit-examples`: highest value first (ties: lower example first); NaN/Inf values are left out. */
export const UnitExamples = z.object({
  layer: z.string(),
  unit: z.number().int(),
  step: z.number(),
  /** "max": a spatial layer's maps reduced to their maximum; "none": one value per unit and example. */
  pooling: z.enum(['none', 'max']),
  examples: z.array(UnitExample),
  /** Present when the examples carry pixels. */
  imageSize: z
    .object({ h: z.number().int().min(1).max(MAX_IMAGE_SIDE), w: z.number().int().min(1).max(MAX_IMAGE_SIDE), channels: ImageSize.shape.channels })
    .optional(),
});
export type UnitExamples = z.infer<typeof UnitExamples>;

export const LiveClientMessage = z.discriminatedUnion('type', [Subscribe, Unsubscribe, LivePing, Request]);
export type LiveClientMessage = z.infer<typeof LiveClientMessage>;
export type Subscribe = z.infer<typeof Subscribe>;
export type LiveRequest = z.infer<typeof Request>;

export const LiveServerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('welcome'), protocol: z.number(), epoch: z.string(), server: z.string(), kernel: z.string() }),
  z.object({
    type: z.literal('snapshot'),
    topic: z.string(),
    epoch: z.string(),
    seq: z.number(),
    run: RunSnapshot.optional(),
    runs: z.array(RunMeta).optional(),
  }),
  z.object({ type: z.literal('delta'), topic: z.string(), seq: z.number(), run: RunDelta.optional(), runs: RunsDelta.optional() }),
  z.object({
    type: z.literal('response'),
    id: z.number(),
    ok: z.boolean(),
    data: z.unknown().optional(),
    code: z.string().optional(),
    message: z.string().optional(),
  }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string(), fatal: z.boolean(), topic: z.string().optional() }),
  z.object({ type: z.literal('pong'), id: z.number().optional() }),
]);
export type LiveServerMessage = z.infer<typeof LiveServerMessage>;
