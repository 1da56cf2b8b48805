/**
 * bench/freeze-replay: the freeze-advice criterion replayed offline over real runs. Reads each stored run's
 * activations, computes svcca-k between every pair of its checkpoints, and feeds the AdviceTracker as the server
 * does (bottom-up, column by column), with and without `totalSteps`; every advice is checked against the layer's
 * similarity to its own final state. docs/analysis.md "Freeze advice" has the figures it gave.
 *
 *   node --import tsx bench/freeze-replay.ts DATA_DIR RUN… [--out FILE.json]   (--out keeps the matrices: a fixture)
 *   node --import tsx bench/freeze-replay.ts --in FILE.json
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { compare } from '../lib/analysis';
import type { AdviceEvent, LayerDecl } from '../lib/protocol';
import { AdviceTracker, resolveAdvice } from '../server/analysis/advice';
import { sketchOf } from '../server/analysis/jobs';
import { readLayout } from '../server/analysis/offline';
import { prepareStoredFrame } from '../server/analysis/prepare-frame';
import { DEFAULT_LIMITS } from '../server/http/limits';
import { decodeRecord, RECORD_KIND } from '../server/runs/records';
import { readRunLog } from '../server/storage/run-log-reader';
import { strArg } from './helpers';
import { HINDSIGHT } from './freeze-hindsight';

/** One run's dynamics: sim[l][a][b] = svcca-k of layer l between checkpoints a and b. */
export interface RunDynamics {
  run: string;
  layers: Array<Pick<LayerDecl, 'name' | 'kind'>>;
  steps: number[];
  sim: number[][][];
}

export interface ReplayedAdvice {
  layer: string;
  step: number;
  share: number;
  toFinal: number;
  ok: boolean;
}

/** The advice the server would give on these dynamics (server defaults, `totalSteps` = the last step when asked). */
export function replayAdvice(d: RunDynamics, withTotal: boolean): ReplayedAdvice[] {
  const last = d.steps.at(-1)!;
  const config = resolveAdvice(withTotal ? { enabled: true, totalSteps: last } : undefined, ['svcca-k']);
  const given: AdviceEvent[] = [];
  const tracker = new AdviceTracker(config, d.layers, [], (a) => given.push(a));
  const n = d.steps.length;
  for (let c = 0; c < n - 1; c++) {
    for (let l = 0; l < d.layers.length; l++) {
      const stability = d.sim[l].map((row, x) => (x > 0 && x <= c ? row[x - 1] : null));
      tracker.onEvidence(l, c, d.steps, new Map(d.sim[l][c].slice(0, c).map((v, x) => [x, v])), stability);
    }
  }
  return given.map((a) => {
    const l = d.layers.findIndex((x) => x.name === a.layer);
    const toFinal = d.sim[l][d.steps.indexOf(a.step)][n - 1];
    return { layer: a.layer, step: a.step, share: a.step / last, toFinal, ok: toFinal >= HINDSIGHT };
  });
}

/** Reads a stored run and computes svcca-k between every pair of its checkpoints, per layer. */
export async function readDynamics(dataDir: string, run: string): Promise<RunDynamics> {
  const file = path.join(dataDir, 'runs', run, 'log.lwlog');
  const lay = await readLayout(file, DEFAULT_LIMITS);
  let decls: RunDynamics['layers'] = [];
  for await (const rec of readRunLog(file, { kinds: [RECORD_KIND.message] })) {
    const r = decodeRecord(rec.kind, rec.time, rec.payload);
    if (r?.kind === 'message' && r.message.type === 'layers') {
      decls = r.message.layers.map((l) => ({ name: l.name, kind: l.kind }));
      break;
    }
  }
  const n = lay.steps.length;
  const round = (v: number) => Math.round(v * 1e5) / 1e5;
  const sim = lay.layers.map((layer, l) => {
    const prepared = lay.frames[l].map((ref, c) => {
      if (!ref) throw new Error(`${run}: layer ${layer.name} has no frame at checkpoint ${lay.steps[c]}`);
      return prepareStoredFrame({ file, ...ref, ...sketchOf(layer) }, 'svcca-k', {});
    });
    const m = Array.from({ length: n }, () => new Array<number>(n).fill(1));
    for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) m[a][b] = m[b][a] = round(compare(prepared[a], prepared[b], 'svcca-k', {}).value);
    return m;
  });
  return { run, layers: decls, steps: lay.steps, sim };
}

function report(d: RunDynamics): string {
  const text = (a: ReplayedAdvice[]) =>
    a.map((x) => `${x.layer} @ ${x.step} (${(100 * x.share).toFixed(0)}%, ${x.toFinal.toFixed(3)}${x.ok ? '' : ', FALSE'})`).join(', ') || 'no advice';
  return `${d.run}: without totalSteps: ${text(replayAdvice(d, false))}; with: ${text(replayAdvice(d, true))}`;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const input = strArg('in');
  let runs: RunDynamics[];
  if (input) {
    runs = JSON.parse(readFileSync(input, 'utf8')) as RunDynamics[];
  } else {
    const [dataDir, ...ids] = process.argv.slice(2).filter((a, i, all) => a !== '--out' && all[i - 1] !== '--out');
    runs = [];
    for (const id of ids) runs.push(await readDynamics(dataDir, id));
    const out = strArg('out');
    if (out) writeFileSync(out, JSON.stringify(runs));
  }
  for (const d of runs) console.log(report(d));
}
