/** Analysis worker thread: reads activation frames from run logs, prepares layers once (cached), compares pairs. */
import { parentPort, workerData } from 'node:worker_threads';
import { chanceBaseline, compare, preparedBytes, type Metric, type PreparedLayer, type SimilarityOptions } from '../../lib/analysis';
import { prepareDecodedFrame, prepareStoredFrame } from './prepare-frame';
import { inSharedMemory, layerKey, NORMS_KEPT, SHARE_MAX_BYTES } from './shared-layers';
import type { FrameRef, PairResult, WorkerJob, WorkerResult } from './jobs';
import { runConceptsJob } from './concepts-job';
import { BoundedMap } from '../../lib/bounded-map';
import type { AnalysisWorkerData } from './pool';
import { lowerThisThread } from './thread-priority';

// Background work: below ingest and the trainer (thread-priority.ts); without it, analysis still runs, at the server's priority.
const started = workerData as AnalysisWorkerData | null;
const priorityProblem = lowerThisThread(started?.nice ?? 0);
if (priorityProblem && started?.report) console.error(`layerwatch: analysis workers run at the server's priority (${priorityProblem})`);

const CACHE_BYTES = Number(process.env.LAYERWATCH_ANALYSIS_CACHE_MB ?? 768) * 1024 * 1024;
const cache = new Map<string, { layer: PreparedLayer | Error; bytes: number }>();
let cacheBytes = 0;

/** Small layers this job prepared, handed back in shared memory for the other workers (shared-layers.ts). */
let madeHere: Record<string, PreparedLayer> | undefined;
/** Layers other workers prepared, attached to the current job. */
let provided: Record<string, PreparedLayer> | undefined;
/**
 * CKA normalisers ‖X_cᵀX_c‖_F by frame key, kept after the (large) prepared layer itself is evicted, so preparing a
 * frame again costs its centring, not its n²·m/2 Gram; the ones this job computed go back to the pool for the others.
 */
const norms = new BoundedMap<string, number>(NORMS_KEPT);
let normsHere: Record<string, number> | undefined;

/** The layer prepared (and slimmed) for one metric, from the job, the cache or the log. */
function layerFor(ref: FrameRef, metric: Metric, opts: SimilarityOptions): PreparedLayer {
  const key = layerKey(ref, metric, opts);
  const given = provided?.[key];
  if (given) return given;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    if (hit.layer instanceof Error) throw hit.layer;
    return hit.layer;
  }
  let layer: PreparedLayer | Error;
  try {
    const known = metric === 'cka' ? norms.get(ref.key) : undefined;
    layer = prepareStoredFrame(ref, metric, opts, known === undefined ? undefined : { gramNorm: known });
    if (layer.form === 'basis' && preparedBytes(layer) <= SHARE_MAX_BYTES) (madeHere ??= {})[key] = layer = inSharedMemory(layer);
    if (metric === 'cka' && layer.form === 'data' && known === undefined) {
      norms.set(ref.key, layer.gramNorm);
      (normsHere ??= {})[ref.key] = layer.gramNorm;
    }
  } catch (err) {
    layer = err as Error;
  }
  const bytes = layer instanceof Error ? 256 : preparedBytes(layer);
  cache.set(key, { layer, bytes });
  cacheBytes += bytes;
  for (const [k, v] of cache) {
    if (cacheBytes <= CACHE_BYTES) break;
    cache.delete(k);
    cacheBytes -= v.bytes;
  }
  if (layer instanceof Error) throw layer;
  return layer;
}

function pair(a: FrameRef, b: FrameRef, metric: Metric, opts: SimilarityOptions): PairResult {
  try {
    const r = compare(layerFor(a, metric, opts), layerFor(b, metric, opts), metric, opts);
    return { value: Number.isFinite(r.value) ? r.value : null, ...(r.k ? { k: r.k } : {}) };
  } catch (err) {
    return { value: null, error: (err as Error).message };
  }
}

/** The layer's kept SVCCA directions for the class sensitivity, shared with the similarity cache (null when it has none). */
function conceptDirections(ref: FrameRef, threshold?: number): { basis: PreparedLayer['rows']; k: number } | null {
  try {
    const layer = layerFor(ref, 'svcca', threshold === undefined ? {} : { threshold });
    return { basis: layer.rows, k: layer.rowCount };
  } catch {
    return null;
  }
}

function run(job: WorkerJob): WorkerResult {
  switch (job.op) {
    case 'pairs': {
      provided = job.prepared;
      madeHere = undefined;
      normsHere = undefined;
      for (const [k, v] of Object.entries(job.norms ?? {})) norms.set(k, v);
      try {
        const pairs = job.as.map((a) => pair(a, job.b, job.metric, job.opts));
        return { id: job.id, op: job.op, ok: true, pairs, ...(madeHere ? { shared: madeHere } : {}), ...(normsHere ? { norms: normsHere } : {}) };
      } finally {
        provided = undefined;
      }
    }
    case 'prepare': {
      // Only frames the collector found finite are prepared ahead (connection.ts): no second scan.
      const layer = prepareDecodedFrame(job.frame, job.sketch, job.metric, job.opts, { finite: true });
      const shareable = layer.form === 'basis' && preparedBytes(layer) <= SHARE_MAX_BYTES;
      return { id: job.id, op: job.op, ok: true, layer: shareable ? inSharedMemory(layer) : null };
    }
    case 'chance':
      return {
        id: job.id,
        op: job.op,
        ok: true,
        chance: chanceBaseline(job.units, job.units, job.examples, job.metric, job.opts, job.seed, undefined, job.sketch).mean,
      };
    case 'concepts':
      return { id: job.id, op: job.op, ok: true, concepts: runConceptsJob(job, (ref) => conceptDirections(ref, job.svccaThreshold)) };
    default: {
      const _exhaustive: never = job;
      return _exhaustive;
    }
  }
}

parentPort!.on('message', (job: WorkerJob) => {
  let result: WorkerResult;
  try {
    result = run(job);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    result = { id: job.id, op: job.op, ok: false, code: e.code ?? 'ANALYSIS_FAILED', message: e.message ?? String(err) };
  }
  parentPort!.postMessage(result);
});
