/** Bench: SVCCA time per kernel and engine, whole CLI process, and numpy's two recipes on the same seeded data; prints the table and the targets (median of runs). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../lib/random';
import { selectKernel, kernelInfo } from '../lib/analysis/kernel';
import { similarity } from '../lib/analysis/similarity';
import type { Activations } from '../lib/analysis/types';
import { writeNpy } from '../lib/codecs/npy';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const smoke = process.argv.includes('--smoke');
const PYTHON = '/usr/bin/python3';
const JS_LIMIT_S = 60;

/** Two related float32 layers: decaying neuron scales (so the 99% rule keeps fewer than all) and B = A + noise. */
function pair(units: number, examples: number, seed: number): [Activations, Activations] {
  const rng = new Rng(seed);
  const a = new Float32Array(units * examples),
    b = new Float32Array(units * examples);
  for (let i = 0; i < units; i++) {
    const scale = 1 / (1 + i / 32);
    for (let j = 0; j < examples; j++) {
      const x = scale * rng.normal();
      a[i * examples + j] = x + 3;
      b[i * examples + j] = x + 0.5 * scale * rng.normal();
    }
  }
  return [
    { data: a, units, examples },
    { data: b, units, examples },
  ];
}

/** Median (the machine is shared: single runs swing by 2×). */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b),
    h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

function timeIt(fn: () => number, reps: number): { s: number; value: number } {
  const times: number[] = [];
  let value = NaN;
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    value = fn();
    times.push((performance.now() - t) / 1000);
  }
  return { s: median(times), value };
}

/** One timed run of `layerwatch similarity` (seconds and its SVCCA). */
function cliOnce(a: string, b: string, env: NodeJS.ProcessEnv): { s: number; value: number } {
  const t = performance.now();
  const res = spawnSync(process.execPath, [join(root, 'bin/layerwatch.mjs'), 'similarity', a, b, '--metric', 'svcca', '--json'], { env, encoding: 'utf8' });
  const s = (performance.now() - t) / 1000;
  if (res.status !== 0) throw new Error(`CLI failed: ${res.stderr}`);
  return { s, value: JSON.parse(res.stdout).svcca.value };
}

/** One timed python process that loads the files and runs the Gram route once (seconds), or undefined when it fails. */
function numpyOnce(a: string, b: string): number | undefined {
  const t = performance.now();
  const res = spawnSync(PYTHON, [join(root, 'bench/svcca_numpy.py'), a, b, '--gram-once'], { encoding: 'utf8' });
  return res.status === 0 ? (performance.now() - t) / 1000 : undefined;
}

/**
 * Whole processes, ours and numpy's, interleaved run by run (a shared machine's load then hits both alike), after
 * one untimed run of each (file cache, page cache of the interpreters); medians.
 */
function processes(a: string, b: string, env: NodeJS.ProcessEnv, reps: number): { cli: { s: number; value: number }; numpy?: number } {
  const ours: number[] = [],
    theirs: number[] = [];
  let value = NaN;
  const py = existsSync(PYTHON);
  cliOnce(a, b, env);
  if (py) numpyOnce(a, b);
  for (let r = 0; r < reps; r++) {
    const run = cliOnce(a, b, env);
    ours.push(run.s);
    value = run.value;
    const np = py ? numpyOnce(a, b) : undefined;
    if (np !== undefined) theirs.push(np);
  }
  return { cli: { s: median(ours), value }, numpy: theirs.length === reps ? median(theirs) : undefined };
}

function numpy(a: string, b: string, reps: number): { google: number; gram: number; svcca_gram: number } | string {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const res = spawnSync(PYTHON, [join(root, 'bench/svcca_numpy.py'), a, b, String(reps)], { encoding: 'utf8' });
  if (res.status !== 0) return (res.stderr || 'failed').trim().split('\n').pop() as string;
  return JSON.parse(res.stdout);
}

const fmt = (s: number | undefined) => (s === undefined ? '—' : s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(2)} s`);
const ratio = (x: number | undefined, y: number | undefined) => (x === undefined || y === undefined ? '—' : `${(x / y).toFixed(2)}×`);

const sizes: [number, number][] = smoke
  ? [
      [16, 200],
      [48, 600],
    ]
  : [
      [128, 2000],
      [512, 4096],
      [1024, 8192],
    ];
const repsArg = process.argv.find((x) => x.startsWith('--reps='));
const native = (() => {
  try {
    return selectKernel('native-openblas').name;
  } catch {
    return undefined;
  }
})();
const portable = selectKernel('js').engine;
const dir = mkdtempSync(join(tmpdir(), 'layerwatch-bench-'));
if (!smoke) {
  // The CLI is timed as installed: from its esbuild bundle (bin/layerwatch.mjs runs the TypeScript through tsx when the
  // bundle is older than the sources, ~0.15 s slower). Not in --smoke, which runs beside tests that start the CLI.
  const built = spawnSync(process.execPath, [join(root, 'scripts/build-cli.mjs')], { encoding: 'utf8' });
  console.log(built.stdout.trim());
}
console.log(
  `SVCCA (99%) of two float32 layers, neurons × datapoints; median of runs. native kernel: ${native ?? `unavailable (${selectKernel('auto').reason})`}; portable kernel 'js' on ${portable}`,
);
console.log(
  `| size | native (in-process) | js (in-process, ${portable}) | js on plain JS (in-process) | CLI process (native) | numpy google/svcca recipe | numpy Gram route | numpy Gram process | gram ÷ native | gram process ÷ CLI process | google ÷ CLI process | google ÷ js | max abs Δ vs numpy |`,
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
let plainEstimate = 0;
const verdicts: string[] = [];
try {
  for (const [units, examples] of sizes) {
    const [a, b] = pair(units, examples, units * 7919 + examples);
    const fa = join(dir, `a_${units}.npy`),
      fb = join(dir, `b_${units}.npy`);
    writeFileSync(fa, writeNpy(a.data, [units, examples]));
    writeFileSync(fb, writeNpy(b.data, [units, examples]));
    const reps = repsArg ? Number(repsArg.slice(7)) : smoke || units <= 128 ? 3 : units <= 512 ? 3 : 1;
    let nat: { s: number; value: number } | undefined;
    if (native) {
      selectKernel('native-openblas');
      nat = timeIt(() => similarity(a, b, 'svcca').value, reps);
    }
    selectKernel('js');
    const js = timeIt(() => similarity(a, b, 'svcca').value, reps);
    let plain: { s: number; value: number } | undefined;
    let jsNote = '';
    if (portable === 'plain-js') plain = js;
    else if (plainEstimate * 8 > JS_LIMIT_S) jsNote = ` (plain JS skipped: estimated ${(plainEstimate * 8).toFixed(0)} s > ${JS_LIMIT_S} s)`;
    else {
      selectKernel('js', { wasm: false });
      plain = timeIt(() => similarity(a, b, 'svcca').value, units >= 512 ? 1 : reps);
      plainEstimate = plain.s;
    }
    const env = { ...process.env };
    delete env.LAYERWATCH_KERNEL;
    const np = numpy(fa, fb, reps);
    const npOk = typeof np === 'string' ? undefined : np;
    const procs = native ? processes(fa, fb, env, smoke ? 1 : Math.max(reps, 5)) : undefined;
    const proc = procs?.cli;
    const npProc = npOk ? procs?.numpy : undefined;
    const ours = [nat?.value, js.value, plain?.value, proc?.value].filter((v): v is number => v !== undefined);
    const delta = npOk ? Math.max(...ours.map((v) => Math.abs(v - npOk.svcca_gram))) : undefined;
    const met = (r: number | undefined, target: number) => (r === undefined ? 'not measured' : `${r.toFixed(2)}× (${r >= target ? 'met' : 'NOT met'})`);
    const r = (x: number | undefined, y: number | undefined) => (x === undefined || y === undefined ? undefined : x / y);
    verdicts.push(
      `${units}×${examples}: whole processes ${met(r(npProc, proc?.s), 1)}, in-process ${met(r(npOk?.gram, nat?.s), 1)}, vs google/svcca ${met(r(npOk?.google, proc?.s), 6)}; portable ${met(r(npOk?.google, js.s), 1)}`,
    );
    console.log(
      `| ${units}×${examples} | ${fmt(nat?.s)} | ${fmt(js.s)} | ${plain ? fmt(plain.s) : 'skipped'} | ${fmt(proc?.s)} | ${fmt(npOk?.google)} | ${fmt(npOk?.gram)} | ${fmt(npProc)} | ${ratio(npOk?.gram, nat?.s)} | ${ratio(npProc, proc?.s)} | ${ratio(npOk?.google, proc?.s)} | ${ratio(npOk?.google, js.s)} | ${delta === undefined ? '—' : delta.toExponential(1)} |${jsNote}${typeof np === 'string' ? ` numpy: ${np}` : ''}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
selectKernel('auto');
for (const v of verdicts) console.log(v);
console.log('targets: native no slower than the numpy Gram route (gram ÷ native ≥ 1; whole processes: gram process ÷ CLI process ≥ 1),');
console.log(
  '         CLI process ≥ 6× faster than the google/svcca recipe (google ÷ CLI process ≥ 6); js no slower than the google/svcca recipe (google ÷ js ≥ 1).',
);
console.log(
  `numpy times are compute only (data already in memory) unless marked process; CLI process = node bin/layerwatch.mjs similarity A B --metric svcca --json. kernel now: ${kernelInfo().name} (${kernelInfo().engine}). --reps=N sets the runs per cell.`,
);
