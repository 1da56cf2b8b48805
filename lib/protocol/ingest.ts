/** Messages on /ingest (trainer ⇄ server): JSON text frames as one tagged union per direction. */
import { z } from 'zod';
import { jsonWithinBounds } from './json-guard';
import { ImageSize } from './images';
import { MAX_SKETCH } from './frame';
import { MAX_WORLD_SIZE, SCALAR_REDUCE } from './ranks';
import { MetricName } from './analysis';

const name = z.string().min(1).max(200);
const runId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'run ids are 1-64 of a-z 0-9 - _');
const step = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const finite = z.number().finite();
const rank = z
  .number()
  .int()
  .min(0)
  .max(MAX_WORLD_SIZE - 1);
const freeJson = z.unknown().refine((v) => jsonWithinBounds(v), 'nested too deep or too large (32 levels, 10,000 values)');

export const LayerKind = z.enum(['dense', 'conv', 'attention', 'logits', 'other']);

/** One declared layer; order in the `layers` message is input side first. */
export const LayerDecl = z.strictObject({
  name,
  units: z.number().int().min(1),
  kind: LayerKind.default('dense'),
  /** Present when the client sends spatial maps (units × examples × h × w) for dissection. */
  spatial: z.strictObject({ h: z.number().int().min(1).max(4096), w: z.number().int().min(1).max(4096) }).optional(),
  /** Present when the client sends this layer as sketches of at most K directions (frames of kind "sketch", shape [K', m], K' ≤ K). */
  sketch: z.number().int().min(1).max(MAX_SKETCH).optional(),
});
export type LayerDecl = z.infer<typeof LayerDecl>;

export const ConceptDecl = z.strictObject({ name, category: z.string().min(1).max(64) });
export type ConceptDecl = z.infer<typeof ConceptDecl>;

/** Run options the trainer may set in its hello (defaults documented in docs/protocol.md). */
export const RunOptions = z.strictObject({
  advice: z
    .strictObject({
      enabled: z.boolean().default(true),
      metric: MetricName.optional(),
      /** The similarity to its advised state the layer must be projected to keep until the end of training. */
      threshold: z.number().min(0).max(1).optional(),
      /** At least this many earlier checkpoints in the evidence window. */
      window: z.number().int().min(1).max(1000).optional(),
      /** The evidence window reaches back over this share of the steps so far. */
      minSpan: z.number().min(0).max(1).optional(),
      /** Change since the first checkpoint (1 − similarity) a layer needs before it can be advised. */
      minMove: z.number().min(0).max(1).optional(),
      /** Change per step over the window, as a fraction of the layer's peak change per step, at most. */
      rateFraction: z.number().min(0).max(1).optional(),
      /** Doublings of training assumed still to come when totalSteps is not given. */
      horizon: z.number().min(0).max(64).optional(),
      /** The planned number of training steps, when the trainer knows it: the horizon is then known. */
      totalSteps: z.number().int().min(1).optional(),
      allowOutOfOrder: z.boolean().optional(),
    })
    .optional(),
  analysis: z
    .strictObject({
      k: z.number().int().min(1).max(4096).optional(),
      threshold: z.number().gt(0).max(1).optional(),
      conceptQuantile: z.number().gt(0).lt(1).optional(),
    })
    .optional(),
  /** How the server stores this run's raw activation frames: "float16" halves the disk (docs/storage.md, "float16 store"); default: the server's --store-dtype. */
  storage: z.strictObject({ dtype: z.enum(['float32', 'float16']) }).optional(),
  /** Distributed runs: how long a step waits for ranks that have not given their value (default DEFAULT_RANK_WAIT_MS). */
  distributed: z.strictObject({ waitMs: z.number().int().min(0).max(3_600_000).optional() }).optional(),
});
export type RunOptions = z.infer<typeof RunOptions>;

export const Hello = z.strictObject({
  type: z.literal('hello'),
  protocol: z.number().int(),
  token: z.string().max(1024).optional(),
  client: z.string().max(200).optional(),
  run: z
    .strictObject({
      id: runId.optional(),
      name: name.optional(),
      project: z.string().max(200).optional(),
      config: freeJson.optional(),
      /** Which process of a distributed run this connection speaks for (lib/protocol/ranks.ts); rank 0 owns the run. */
      rank: rank.optional(),
      /** How many processes the distributed run has; given with `rank`. */
      worldSize: z.number().int().min(1).max(MAX_WORLD_SIZE).optional(),
    })
    .superRefine((run, ctx) => {
      if ((run.rank === undefined) !== (run.worldSize === undefined)) ctx.addIssue({ code: 'custom', message: 'rank and worldSize go together' });
      else if (run.rank !== undefined && run.rank >= run.worldSize!)
        ctx.addIssue({ code: 'custom', message: `rank ${run.rank} is not below worldSize ${run.worldSize}` });
      else if (run.rank !== undefined && run.rank > 0 && run.id === undefined)
        ctx.addIssue({ code: 'custom', message: "a rank other than 0 attaches to rank 0's run: give run.id" });
    }),
  /** Append to the run `run.id` if it exists (it is created if not). */
  resume: z.boolean().optional(),
  options: RunOptions.optional(),
});

export const Layers = z.strictObject({
  type: z.literal('layers'),
  layers: z.array(LayerDecl).min(1),
});

export const Probe = z.strictObject({
  type: z.literal('probe'),
  /** m: the number of probe examples; every activation frame has m columns. */
  examples: z.number().int().min(1),
  labels: z.array(z.number().int().min(0)).optional(),
  classNames: z.array(z.string().max(200)).optional(),
  concepts: z.array(ConceptDecl).optional(),
  /** Per example, the indices of the concepts it shows (image-level, multi-label). */
  conceptLabels: z.array(z.array(z.number().int().min(0))).optional(),
  /** Resolution of per-example concept masks, sent as binary frames of kind "masks". */
  maskSize: z.strictObject({ h: z.number().int().min(1).max(4096), w: z.number().int().min(1).max(4096) }).optional(),
  /** Size of the probe images (thumbnails), sent as binary frames of kind "images" (lib/protocol/images.ts). */
  imageSize: ImageSize.optional(),
});

export const Checkpoint = z.strictObject({
  type: z.literal('checkpoint'),
  step,
  /** Trainer wall time, ms since the epoch (the server's receive time is stored too). */
  time: finite.optional(),
  /** The layers whose frames follow, in any order; each exactly once. */
  layers: z.array(name).min(1),
  /** Layers declared with `sketch` whose frame in this checkpoint is raw (kind "activations"/"spatial") instead of a sketch. */
  raw: z.array(name).optional(),
});

export const Scalars = z.strictObject({
  type: z.literal('scalars'),
  step,
  time: finite.optional(),
  values: z.record(name, z.number().nullable()).refine((v) => Object.keys(v).length > 0 && Object.keys(v).length <= 256, '1-256 values'),
  /** Distributed runs: how these values combine across ranks (lib/protocol/ranks.ts); without it, a plain series of rank 0. */
  reduce: z.enum(SCALAR_REDUCE).optional(),
  /** The rank that logged the values: set by the server when it stores a distributed run's scalars (a client may give its own). */
  rank: rank.optional(),
});

export const End = z.strictObject({
  type: z.literal('end'),
  status: z.enum(['finished', 'failed']).default('finished'),
});

export const Ping = z.strictObject({ type: z.literal('ping'), id: z.number().optional() });

/** The trainer confirms it froze a layer (stopped training it) at its step `step`: what the views call "frozen", as against "advised". */
export const Frozen = z.strictObject({ type: z.literal('frozen'), layer: name, step });

/** Every JSON message a trainer may send. */
export const IngestClientMessage = z.discriminatedUnion('type', [Hello, Layers, Probe, Checkpoint, Scalars, End, Ping, Frozen]);
export type IngestClientMessage = z.infer<typeof IngestClientMessage>;
export type Hello = z.infer<typeof Hello>;
export type Layers = z.infer<typeof Layers>;
export type Probe = z.infer<typeof Probe>;
export type Checkpoint = z.infer<typeof Checkpoint>;
export type Scalars = z.infer<typeof Scalars>;
export type End = z.infer<typeof End>;
export type Frozen = z.infer<typeof Frozen>;
export const INGEST_CLIENT_TYPES = ['hello', 'layers', 'probe', 'checkpoint', 'scalars', 'end', 'ping', 'frozen'] as const;

/** `masks`: one concept-masks frame (see lib/protocol/concepts.ts); `images`: one probe-images frame (lib/protocol/images.ts); `gradcam`: one Grad-CAM frame (lib/protocol/gradcam.ts). */
export const AckOf = z.enum(['layers', 'probe', 'checkpoint', 'scalars', 'end', 'masks', 'images', 'gradcam', 'frozen']);
export type AckOf = z.infer<typeof AckOf>;

/** Why the server advised freezing a layer (the `advice` message, and the run log's advice events). */
export const AdviceEvidence = z.object({
  metric: z.string(),
  threshold: z.number(),
  window: z.number(),
  /** Earlier checkpoints of the window, oldest first, and the layer's similarity to each of them at the advised step. */
  steps: z.array(z.number()),
  stability: z.array(z.number()),
  /** 1 − similarity to the first checkpoint (the criterion's readings, advice-criterion.ts; absent in advice stored before they existed). */
  moved: z.number().optional(),
  /** Change per step over the window, and the layer's peak change per step between consecutive checkpoints. */
  rate: z.number().optional(),
  peakRate: z.number().optional(),
  /** Doublings of training the projection assumed still to come, and the similarity to the advised state it projects for the end. */
  horizon: z.number().optional(),
  projected: z.number().optional(),
});
export type AdviceEvidence = z.infer<typeof AdviceEvidence>;

export const IngestLimits = z.object({
  maxFrameBytes: z.number(),
  maxLayers: z.number(),
  maxUnits: z.number(),
  maxExamples: z.number(),
  /** Classes per probe set: class names, or the largest label + 1 when no names are given. */
  maxClasses: z.number(),
  /** Concepts per probe set. */
  maxConcepts: z.number(),
  maxRunBytes: z.number(),
  maxMessagesPerSecond: z.number(),
});
export type IngestLimits = z.infer<typeof IngestLimits>;

/** Server → trainer messages (non-strict: a client ignores fields a newer server adds). */
export const IngestServerMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('welcome'),
    protocol: z.number(),
    server: z.string(),
    runId: z.string(),
    resumed: z.boolean(),
    /** Last stored checkpoint step, so a resuming client knows what to resend. */
    lastStep: z.number().nullable(),
    checkpoints: z.number(),
    limits: IngestLimits,
  }),
  z.object({ type: z.literal('ack'), of: AckOf, step: z.number().optional(), duplicate: z.boolean().optional() }),
  z.object({
    type: z.literal('error'),
    code: z.string(),
    message: z.string(),
    fatal: z.boolean(),
    /** Set when the error answers a message (instead of its ack): every layers/probe/checkpoint/scalars/end gets exactly one reply. */
    of: AckOf.optional(),
    step: z.number().optional(),
    layer: z.string().optional(),
  }),
  z.object({ type: z.literal('warning'), code: z.literal('NON_FINITE'), message: z.string(), step: z.number(), layer: z.string() }),
  z.object({ type: z.literal('advice'), runId: z.string(), layer: z.string(), step: z.number(), action: z.literal('freeze'), evidence: AdviceEvidence }),
  z.object({ type: z.literal('pong'), id: z.number().optional() }),
]);
export type IngestServerMessage = z.infer<typeof IngestServerMessage>;
