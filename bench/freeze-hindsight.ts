/**
 * The hindsight check of freeze advice: after a run ends, read it back (`layerwatch export RUN --json --metric
 * svcca-k`: its advice, its confirmed freezes and every layer's similarity to its own final state) and check each
 * advice against that similarity at the advised step. Used by bench/freeze.ts and its test.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CLI } from './helpers';

const exec = promisify(execFile);

/** The similarity to its own final state an advised layer must have had at the advised step. */
export const HINDSIGHT = 0.95;

export interface CheckedAdvice {
  layer: string;
  step: number;
  /** The advised step as a share of the run's last step. */
  share: number;
  /** svcca-k of the layer at the advised step to itself at the run's final checkpoint (null: not computed). */
  toFinal: number | null;
  /** The step the trainer confirmed it froze the layer at, if it did. */
  frozenAt: number | null;
  ok: boolean;
}

export interface RunCheck {
  runId: string;
  lastStep: number;
  advice: CheckedAdvice[];
  ok: boolean;
}

interface Exported {
  layers: string[];
  steps: number[];
  convergence: { metric: string; toFinal: Array<Array<number | null>> };
  advice: Array<{ layer: string; step: number }>;
  frozen: Array<{ layer: string; step: number }>;
}

/** Reads a finished run from `dataDir` and checks every advice it holds against the layer's final state. */
export async function checkRun(dataDir: string, runId: string): Promise<RunCheck> {
  const { stdout } = await exec(process.execPath, [CLI, 'export', runId, '--data', dataDir, '--json', '--metric', 'svcca-k'], { maxBuffer: 256 << 20 });
  const run = JSON.parse(stdout) as Exported;
  const lastStep = run.steps.at(-1) ?? 0;
  const advice = run.advice.map((a) => {
    const l = run.layers.indexOf(a.layer);
    const c = run.steps.indexOf(a.step);
    const toFinal = l >= 0 && c >= 0 ? run.convergence.toFinal[l][c] : null;
    const frozenAt = run.frozen.find((f) => f.layer === a.layer)?.step ?? null;
    return { layer: a.layer, step: a.step, share: lastStep ? a.step / lastStep : 0, toFinal, frozenAt, ok: toFinal !== null && toFinal >= HINDSIGHT };
  });
  return { runId, lastStep, advice, ok: advice.every((a) => a.ok) };
}
