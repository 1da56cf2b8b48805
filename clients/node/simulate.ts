/** Streams a seeded synthetic run (lib/sim) through the Node client: the simulator behind `layerwatch simulate`. */
import { activationsAt, finalState, planRun, progressAt, scalarsAt, type SimOptions } from '../../lib/sim/synthetic-run';
import type { RunOptions } from '../../lib/protocol';
import { addConceptSignal, planConcepts } from '../../lib/sim/concepts';
import { SIM_IMAGE_SIZE, simImages } from '../../lib/sim/images';
import { IngestClient, type IngestClientOptions } from './ingest-client';

export interface SimulateOptions extends SimOptions {
  url: string;
  name?: string;
  project?: string;
  token?: string;
  /** Milliseconds between checkpoints (scalars are spread in between). */
  intervalMs?: number;
  /** Scalar points logged per checkpoint interval. */
  scalarsPerCheckpoint?: number;
  /** Leave the run without `end` (as a crashed trainer would). */
  noEnd?: boolean;
  signal?: AbortSignal;
  onCheckpoint?: (step: number, index: number) => void;
  /** Awaited before checkpoint `index` and its scalars are streamed (lets a test hold a run live while a page opens it). */
  beforeCheckpoint?: (index: number) => Promise<void> | void;
  /** Run options sent in the hello (advice settings, analysis options). */
  options?: RunOptions;
  onAdvice?: IngestClientOptions['onAdvice'];
  onRun?: (runId: string) => void;
  /** Plant concept detectors and send concept labels (lib/sim/concepts.ts); off unless asked. */
  concepts?: boolean;
  /** Send seeded 8×8 probe images showing the planted concepts (lib/sim/images.ts); default: with concepts. */
  images?: boolean;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/** Runs a simulation to the end (or until aborted); resolves with the run id. */
export async function simulateRun(opts: SimulateOptions): Promise<string> {
  const plan = planRun(opts);
  const conceptPlan = opts.concepts ? planConcepts(plan) : null;
  const images = conceptPlan && opts.images !== false ? simImages(conceptPlan, opts.seed) : null;
  const client = await IngestClient.connect({
    url: opts.url,
    token: opts.token,
    run: {
      name: opts.name ?? `simulated-${opts.seed}`,
      ...(opts.project ? { project: opts.project } : {}),
      config: {
        simulated: true,
        seed: opts.seed,
        layers: opts.layers,
        units: opts.units,
        examples: opts.examples,
        checkpoints: opts.checkpoints,
        settle: plan.layers.map((l) => l.settle),
        ...(conceptPlan ? { concepts: true } : {}),
      },
    },
    client: 'layerwatch-simulate/0.1.0',
    ...(opts.options ? { options: opts.options } : {}),
    ...(opts.onAdvice ? { onAdvice: opts.onAdvice } : {}),
  });
  opts.onRun?.(client.runId);
  await client.declare(
    plan.layers.map((l) => ({ name: l.name, units: l.units, kind: l.kind })),
    {
      examples: opts.examples,
      labels: plan.labels,
      classNames: plan.classNames,
      ...(conceptPlan ? { concepts: conceptPlan.concepts, conceptLabels: conceptPlan.conceptLabels } : {}),
      ...(images ? { imageSize: { ...SIM_IMAGE_SIZE } } : {}),
    },
  );
  if (images) await client.sendImages(images, [opts.examples, SIM_IMAGE_SIZE.h, SIM_IMAGE_SIZE.w, SIM_IMAGE_SIZE.channels], 256);
  const finals = plan.layers.map((_, l) => finalState(plan, l));
  const perCheckpoint = Math.max(1, opts.scalarsPerCheckpoint ?? 5);
  const interval = opts.intervalMs ?? 0;
  let jitter = 0;
  for (let i = 0; i < plan.steps.length && !opts.signal?.aborted; i++) {
    await opts.beforeCheckpoint?.(i);
    if (opts.signal?.aborted) break;
    const step = plan.steps[i];
    const stepsBetween = plan.options.stepsPerCheckpoint;
    for (let s = 0; s < perCheckpoint; s++) {
      const sStep = step - stepsBetween + Math.round(((s + 1) * stepsBetween) / perCheckpoint);
      const progress = Math.max(0, progressAt(plan, i) - (1 - (s + 1) / perCheckpoint) / Math.max(1, plan.steps.length - 1));
      const pending = client.log(sStep, scalarsAt(plan, progress, jitter++));
      if (interval > 0) {
        await pending;
        await sleep(interval / (perCheckpoint + 1), opts.signal);
      }
    }
    await client.checkpoint(
      step,
      plan.layers.map((l, li) => {
        const data = activationsAt(plan, li, i, finals[li]);
        if (conceptPlan) addConceptSignal(conceptPlan, li, i, data, opts.examples);
        return { layer: l.name, data, shape: [l.units, opts.examples] };
      }),
    );
    opts.onCheckpoint?.(step, i);
    if (interval > 0) await sleep(interval / (perCheckpoint + 1), opts.signal);
  }
  if (!opts.noEnd && !opts.signal?.aborted) await client.end('finished');
  await client.close();
  return client.runId;
}
