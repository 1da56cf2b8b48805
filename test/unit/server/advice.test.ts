import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdviceTracker, evidenceStart, resolveAdvice, type AdviceConfig } from '../../../server/analysis/advice';
import type { AdviceEvent } from '../../../lib/protocol';

const config = (over: Partial<AdviceConfig> = {}): AdviceConfig => ({ ...resolveAdvice(undefined, ['svcca-k', 'cka']), ...over });
const layers = [
  { name: 'a', kind: 'dense' as const },
  { name: 'b', kind: 'dense' as const },
  { name: 'logits', kind: 'logits' as const },
];
const steps = [100, 200, 300, 400, 500, 600, 700, 800];
const all = (value: number, c: number) => new Map(Array.from({ length: c }, (_, x) => [x, value] as [number, number | null]));

test('defaults come from the first live metric and can be overridden per run', () => {
  assert.deepEqual(resolveAdvice(undefined, ['svcca-k', 'cka']), { enabled: true, metric: 'svcca-k', threshold: 0.99, window: 3, minSpan: 0.25, totalSteps: null, allowOutOfOrder: false });
  const r = resolveAdvice({ enabled: true, metric: 'cka', threshold: 0.95, window: 5 }, ['svcca-k', 'cka']);
  assert.deepEqual([r.metric, r.threshold, r.window], ['cka', 0.95, 5]);
});

test('the evidence spans the window and at least minSpan of the steps so far', () => {
  assert.equal(evidenceStart(config(), steps, 2), -1, 'not enough checkpoints');
  assert.equal(evidenceStart(config(), steps, 3), 0);
  assert.equal(evidenceStart(config(), steps, 7), 4, 'window 3 back from column 7 covers 500..700 ≥ 25% of 800');
  assert.equal(evidenceStart(config({ minSpan: 0.5 }), steps, 7), 3, 'half of the steps: back to 400');
  const dense = [1, 2, 3, 4, 5, 6, 7, 8, 100];
  assert.equal(evidenceStart(config(), dense, 8), 5, 'a big gap covers the span, the window still counts');
  assert.equal(evidenceStart(config(), [1, 2, 3, 4, 5], 4), 1);
  assert.equal(evidenceStart(config({ minSpan: 0.9 }), [1, 2, 3, 4, 5], 4), -1, 'the span cannot be covered yet');
  // With the planned length known, the span is a share of the whole run: early dense checkpoints do not qualify.
  const early = [0, 1, 2, 3, 4, 5, 6, 8, 10, 20, 40, 80, 160];
  assert.equal(evidenceStart(config({ totalSteps: 400 }), early, 5), -1, '5 steps are not 25% of 400');
  assert.equal(evidenceStart(config({ totalSteps: 400 }), early, 12), 9, 'three checkpoints back (step 20) covers 140 ≥ 100');
  assert.equal(evidenceStart(config({ totalSteps: 400, window: 1 }), early, 12), 10, 'a shorter window stops at the span: step 40');
});

test('advice goes bottom-up, once per layer, never for logits', () => {
  const given: AdviceEvent[] = [];
  const t = new AdviceTracker(config(), layers, [], (a) => given.push(a));
  t.onEvidence(1, 4, steps, all(0.999, 4));
  assert.equal(given.length, 0, 'b waits for a');
  t.onEvidence(2, 4, steps, all(1, 4));
  t.onEvidence(0, 5, steps, all(0.995, 5));
  assert.deepEqual(given.map((a) => [a.layer, a.step]), [['a', 600], ['b', 500]]);
  assert.deepEqual(given[0].evidence.steps, [300, 400, 500]);
  assert.deepEqual(given[0].evidence.stability, [0.995, 0.995, 0.995]);
  t.onEvidence(0, 6, steps, all(1, 6));
  assert.equal(given.length, 2, 'once per layer');
});

test('a layer that drops below the threshold stops waiting; out-of-order advice when asked for', () => {
  const given: string[] = [];
  const t = new AdviceTracker(config(), layers, [], (a) => given.push(a.layer));
  t.onEvidence(1, 4, steps, all(0.999, 4));
  t.onEvidence(1, 5, steps, new Map([[2, 0.999], [3, 0.98], [4, 0.999]]));
  t.onEvidence(0, 5, steps, all(0.999, 5));
  assert.deepEqual(given, ['a'], 'b fell below the threshold after it first qualified');
  const free: string[] = [];
  const u = new AdviceTracker(config({ allowOutOfOrder: true }), layers, [], (a) => free.push(a.layer));
  u.onEvidence(1, 4, steps, all(0.999, 4));
  assert.deepEqual(free, ['b']);
});

test('advice already in the log is not given again; missing evidence decides nothing', () => {
  const given: string[] = [];
  const earlier: AdviceEvent = { layer: 'a', step: 300, action: 'freeze', evidence: { metric: 'svcca-k', threshold: 0.99, window: 3, steps: [], stability: [] } };
  const t = new AdviceTracker(config(), layers, [earlier], (a) => given.push(a.layer));
  t.onEvidence(0, 5, steps, all(1, 5));
  t.onEvidence(1, 5, steps, new Map([[2, 1], [3, null], [4, 1]]));
  assert.deepEqual(given, []);
  t.onEvidence(1, 6, steps, all(1, 6));
  assert.deepEqual(given, ['b']);
});
