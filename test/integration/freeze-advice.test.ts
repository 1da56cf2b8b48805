/**
 * Freeze advice on real runs (bench/freeze.ts --smoke: the digits MLP, two seeds with default options, one with
 * --freeze-advice): every advice is true in hindsight, advice is given, and the trainer's freezes are confirmed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from './helpers/server';

const exec = promisify(execFile);

test('every advice on real digits runs is ≥ 0.95 to the layer\'s final state; freezes are confirmed bottom-up', { skip: !existsSync('/usr/bin/python3') && 'no /usr/bin/python3', timeout: 900_000 }, async (t) => {
  const { stdout } = await exec(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/freeze.ts'), '--smoke', '--json'], { cwd: ROOT, timeout: 900_000 });
  const out = JSON.parse(stdout.trim().split('\n').at(-1)!);
  t.diagnostic(JSON.stringify(out.results[0].summary));
  const [digits] = out.results;
  assert.equal(digits.seeds.length, 2);
  const checks = digits.seeds.flatMap((s: any) => [s.plain.check, ...(s.frozen ? [s.frozen.check] : [])]);
  for (const c of checks) for (const a of c.advice) assert.ok(a.toFinal >= 0.95, `${c.runId}: ${a.layer} advised at ${a.step} was ${a.toFinal} to its final state`);
  assert.equal(out.hindsight, true);
  const plainAdvice = digits.seeds.flatMap((s: any) => s.plain.check.advice);
  assert.ok(plainAdvice.length >= 1, 'default options still advise');
  for (const a of plainAdvice) assert.equal(a.frozenAt, null, 'a run that froze nothing confirms no freeze');

  const frozen = digits.seeds[0].frozen;
  assert.ok(frozen.layers.length >= 1, 'with --freeze-advice at least one layer is frozen');
  assert.deepEqual(frozen.layers, ['h1', 'h2', 'h3'].slice(0, frozen.layers.length), 'bottom-up');
  for (const a of frozen.check.advice) assert.ok(a.frozenAt !== null && a.frozenAt >= a.step, `${a.layer}: the trainer confirmed the freeze (at ${a.frozenAt}) after the advice (${a.step})`);
  assert.ok(frozen.updatesSkipped > 0);
});
