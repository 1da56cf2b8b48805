/**
 * The freeze-advice criterion on the dynamics of real runs (test/fixtures/advice-dynamics.json: svcca-k between every
 * pair of checkpoints, per layer, computed by bench/freeze-replay.ts from runs of the examples on real data — the digits
 * MLP, 20 epochs, seed 0; the Fashion CNN, 2 and 6 epochs, seed 2), replayed as the server runs it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { replayAdvice, type RunDynamics } from '../../../bench/freeze-replay';

const runs = JSON.parse(readFileSync(path.join(import.meta.dirname, '../../fixtures/advice-dynamics.json'), 'utf8')) as RunDynamics[];
const byName = (prefix: string) => runs.find((r) => r.run.startsWith(prefix))!;
const toFinal = (d: RunDynamics, layer: string, step: number) => d.sim[d.layers.findIndex((l) => l.name === layer)][d.steps.indexOf(step)][d.steps.length - 1];

test("every advice on real dynamics is ≥ 0.95 to the layer's final state, with and without totalSteps", () => {
  for (const d of runs) {
    for (const withTotal of [false, true]) {
      for (const a of replayAdvice(d, withTotal))
        assert.ok(a.ok, `${d.run} (totalSteps ${withTotal}): ${a.layer} @ ${a.step} was ${a.toFinal} to its final state`);
    }
  }
});

test("the Fashion CNN's fc, still learning at step 141 of 188, is not advised (it was, at 0.939 to final)", () => {
  const fashion = byName('trace-e2-s2');
  assert.ok(toFinal(fashion, 'fc', 141) < 0.95, 'the fixture holds the case');
  const advice = replayAdvice(fashion, true);
  assert.ok(!advice.some((a) => a.layer === 'fc'), JSON.stringify(advice));
  assert.deepEqual(replayAdvice(fashion, false), [], 'without totalSteps, nothing at 2 epochs');
});

test('advice is still given where layers settle: the digits MLP, and the Fashion CNN at 6 epochs with totalSteps', () => {
  const digits = byName('digits_mlp');
  assert.deepEqual(
    replayAdvice(digits, false).map((a) => a.layer),
    ['h1'],
  );
  const all = replayAdvice(digits, true);
  assert.deepEqual(
    all.map((a) => a.layer),
    ['h1', 'h2', 'h3'],
  );
  assert.ok(
    all.every((a) => a.share < 0.8),
    JSON.stringify(all),
  );
  assert.ok(replayAdvice(byName('trace-e6-s2'), true).some((a) => a.layer === 'conv1'));
});
