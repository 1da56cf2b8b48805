/**
 * Issue 22 on a real run: bench/concepts-real.ts --smoke trains the Fashion-MNIST CNN (real concepts, conv2's maps
 * dissected against pixel masks, Grad-CAM of conv2) and checks its concept claims in hindsight; this test asserts on the
 * figures it prints.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { wellAbove } from '../../bench/concepts-real';
import type { Hindsight } from '../../bench/concept-hindsight';
import { ROOT } from './helpers/server';

const exec = promisify(execFile);

test('a real Fashion CNN run: every detector is well above its concept’s base rate; parts are scored on pixels; Grad-CAM maps at every checkpoint', {
  skip: !existsSync('/usr/bin/python3') && 'no /usr/bin/python3',
}, async () => {
  const { stdout } = await exec(process.execPath, ['--import', 'tsx', 'bench/concepts-real.ts', '--smoke', '--json'], {
    cwd: ROOT,
    timeout: 600_000,
    maxBuffer: 1 << 26,
  });
  const out = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    runs: Hindsight[];
    cost: { gradcam_ms: number; probe_pass_ms: number };
    met: Record<string, boolean>;
  };
  const [run] = out.runs;
  // 1. The example's concepts reach the analysis: conv2 is dissected against the pixel masks at every checkpoint (the
  // masks follow the first checkpoint's frames; its conv2 job waits for them), parts among the detectors.
  const conv2 = run.emergence.find((e) => e.layer === 'conv2')!;
  assert.deepEqual(
    conv2.modes,
    conv2.steps.map(() => 'mask'),
  );
  assert.ok(
    run.precision.some((r) => r.layer === 'conv2' && r.measure === 'pixels'),
    'some conv2 unit detects a part',
  );
  assert.ok(
    run.precision.some((r) => r.category === 'object'),
    'some unit detects a garment group',
  );
  // 2. Every detector shown, at every step: its concept is well above the base rate among its top examples (or on-pixels).
  assert.ok(run.precision.length > 10);
  for (const r of run.precision)
    assert.ok(r.min >= wellAbove(r.base) - 1e-9, `${r.layer} ${r.concept}: lowest share ${r.min.toFixed(3)}, base ${r.base.toFixed(3)}`);
  for (const layer of ['conv2', 'fc']) {
    const e = run.emergence.find((x) => x.layer === layer)!;
    assert.ok(e.unique.at(-1)! > (e.chanceUnique ?? Infinity), `${layer}: ${e.unique.at(-1)} unique vs chance ${e.chanceUnique}`);
  }
  // 3. Grad-CAM maps at every checkpoint, for the true and the predicted class: the same map whenever they agree.
  // (Whether the maps move onto the item is reported by the bench, not asserted: on this CNN they do not, docs/concepts.md.)
  const g = run.gradcam!;
  assert.deepEqual(g.steps, conv2.steps);
  assert.ok(
    g.inside.every((row) => row.length === 2 && row.every((v) => v >= 0 && v <= 1)),
    JSON.stringify(g.inside),
  );
  assert.ok(g.agree.of > 16 && g.agree.identical === g.agree.of, `identical maps where the classes agree: ${g.agree.identical} of ${g.agree.of}`);
  assert.ok(out.cost.gradcam_ms > 0 && out.cost.probe_pass_ms > 0);
  assert.equal(out.met.precise, true);
  assert.equal(out.met.emerged, true);
});
