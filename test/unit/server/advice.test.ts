import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdviceTracker, evidenceStart, resolveAdvice, type AdviceConfig } from '../../../server/analysis/advice';
import { evidenceMiddle, judge, peakRate } from '../../../server/analysis/advice-criterion';
import type { AdviceEvent } from '../../../lib/protocol';

const config = (over: Partial<AdviceConfig> = {}): AdviceConfig => ({ ...resolveAdvice(undefined, ['svcca-k', 'cka']), ...over });
const layers = [
  { name: 'a', kind: 'dense' as const },
  { name: 'b', kind: 'dense' as const },
  { name: 'logits', kind: 'logits' as const },
];
/** The examples' schedule: step 0, then 39 log-spaced steps up to 760 (examples/common.py). */
const logSteps = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19, 23, 28, 33, 39, 47, 55, 66, 79, 94, 111, 133, 158, 188, 224, 267, 318, 378, 450, 536, 638,
  760,
];

/**
 * A layer that moves `amount` radians along one direction with time constant `tau` steps, plus `perDoubling` radians
 * for every doubling of the steps (the slow drift real layers keep): similarity is the cosine of the distance.
 */
function trajectory(amount: number, tau: number, perDoubling = 0) {
  return path((t) => amount * (1 - Math.exp(-t / tau)) + perDoubling * Math.log2(1 + t));
}

/** A layer whose distance from its first state along one direction is at(t) radians. */
function path(at: (t: number) => number) {
  const sim = (x: number, y: number) => Math.cos(Math.abs(at(x) - at(y)));
  /** Similarities of column c to every earlier column, and the stability row up to c. */
  const evidence = (steps: readonly number[], c: number) => ({
    similarity: new Map(steps.slice(0, c + 1).map((s, x) => [x, sim(s, steps[c])] as [number, number | null])),
    stability: steps.map((s, x) => (x === 0 || x > c ? null : sim(steps[x - 1], s))),
  });
  return { sim, evidence };
}

test('defaults come from the first live metric and can be overridden per run', () => {
  assert.deepEqual(resolveAdvice(undefined, ['svcca-k', 'cka']), {
    enabled: true,
    metric: 'svcca-k',
    threshold: 0.975,
    window: 3,
    minSpan: 0.5,
    minMove: 0.03,
    rateFraction: 0.1,
    horizon: 2.5,
    totalSteps: null,
    allowOutOfOrder: false,
  });
  const r = resolveAdvice({ enabled: true, metric: 'cka', threshold: 0.95, window: 5, minMove: 0.1, horizon: 4 }, ['svcca-k', 'cka']);
  assert.deepEqual([r.metric, r.threshold, r.window, r.minMove, r.horizon], ['cka', 0.95, 5, 0.1, 4]);
  assert.equal(resolveAdvice({ enabled: true, metric: 'pwcca' }, ['svcca-k']).metric, 'svcca-k', 'a metric not computed live falls back');
});

test('the evidence window reaches back over a share of the steps so far, and over at least `window` checkpoints', () => {
  const even = [100, 200, 300, 400, 500, 600, 700, 800];
  assert.equal(evidenceStart(config(), even, 2), -1, 'fewer than three earlier checkpoints');
  assert.equal(evidenceStart(config(), even, 7), 3, 'the last half of 800 steps starts at 400');
  assert.equal(evidenceStart(config({ minSpan: 0.25 }), even, 7), 4, 'three checkpoints back is further than a quarter');
  assert.equal(evidenceStart(config(), logSteps, 3), 0, 'at step 3 the window is steps 0..3');
  assert.equal(evidenceStart(config(), logSteps, 39), 35, 'at step 760 the window starts at step 378');
  assert.equal(evidenceStart(config(), [50, 60, 70, 80], 3), -1, 'a first checkpoint after half of the steps: no window yet');
});

test('peakRate is the largest change per step between consecutive checkpoints', () => {
  assert.ok(Math.abs(peakRate([null, 0.99, 0.9, null, 0.98], [0, 1, 11, 12, 14], 4) - 0.01) < 1e-12);
  assert.ok(Math.abs(peakRate([null, 0.99, 0.8], [0, 1, 11], 1) - 0.01) < 1e-12, 'only up to column c');
  assert.equal(peakRate([null, null], [0, 5], 1), 0);
});

test("a layer that has barely moved is never advised, however still it is (the issue's step 3 of 760)", () => {
  const slow = trajectory(0.6, 60);
  const c = 3;
  const e = evidenceStart(config(), logSteps, c);
  const { similarity, stability } = slow.evidence(logSteps, c);
  for (const x of [0, 1, 2]) assert.ok(similarity.get(x)! >= 0.99, 'three checkpoints one step apart are ≥ 0.99 alike');
  const j = judge(config(), logSteps, c, e, similarity.get(0)!, similarity.get(e)!, peakRate(stability, logSteps, c));
  assert.equal(j.ok, false);
  assert.ok(j.moved < 0.03, `moved ${j.moved}`);
  // Later, perfectly still after a jolt at the start: only "it has not moved away from its first state" refuses it.
  const still = trajectory(0.05, 1).evidence(logSteps, 35);
  const e35 = evidenceStart(config(), logSteps, 35);
  const k = judge(config(), logSteps, 35, e35, still.similarity.get(0)!, still.similarity.get(e35)!, peakRate(still.stability, logSteps, 35));
  assert.ok(k.rate <= 0.1 * k.peakRate && k.projected >= 0.975, JSON.stringify(k));
  assert.equal(k.ok, false);
  assert.equal(judge(config({ minMove: 0 }), logSteps, 35, e35, still.similarity.get(0)!, still.similarity.get(e35)!, k.peakRate).ok, true);
});

test('a layer that moved and settled is advised; one still moving at its peak rate is not', () => {
  const settled = trajectory(0.6, 60);
  const c = logSteps.indexOf(450);
  const e = evidenceStart(config(), logSteps, c);
  const read = (t: ReturnType<typeof trajectory>, cfg = config()) => {
    const { similarity, stability } = t.evidence(logSteps, c);
    return judge(cfg, logSteps, c, e, similarity.get(0)!, similarity.get(e)!, peakRate(stability, logSteps, c));
  };
  const j = read(settled);
  assert.equal(j.ok, true, JSON.stringify(j));
  assert.ok(j.projected >= 0.975 && j.horizon === 2.5);
  // Still moving: the same path with a time constant past the end of training.
  const moving = read(trajectory(0.6, 5000));
  assert.equal(moving.ok, false, JSON.stringify(moving));
  assert.ok(moving.rate > 0.1 * moving.peakRate, 'its change per step has not fallen');
  // A slow drift per doubling of training, projected: too much for the default horizon (2.5 doublings), fine when
  // the trainer says 450 of 500 steps are done, too much again when 450 of 450,000 are.
  const drifting = trajectory(0.6, 60, 0.1);
  const d = read(drifting);
  assert.equal(d.ok, false, JSON.stringify(d));
  assert.ok(d.rate <= 0.1 * d.peakRate && d.moved >= 0.03, 'only the projection refuses it');
  assert.equal(read(drifting, config({ totalSteps: 500 })).ok, true, 'little training left');
  assert.equal(read(drifting, config({ totalSteps: 450_000 })).ok, false, 'ten more doublings to come');
  assert.equal(read(settled, config({ totalSteps: 450 })).ok, false, 'no advice at or after the planned end');
});

/** The Fashion CNN's schedule: step 0, then 19 log-spaced steps up to 188 (2 epochs, 20 checkpoints). */
const fashionSteps = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 14, 18, 25, 33, 44, 59, 79, 105, 141, 188];

test('the middle of the evidence window splits it in two halves of log-steps', () => {
  assert.equal(evidenceMiddle(fashionSteps, 15, 18), 16, 'steps 59..141: the geometric middle is 91, the latest at or before it 79');
  assert.equal(evidenceMiddle(logSteps, 35, 39), 36, 'steps 378..760: the middle, 535.98, falls just short of 536: 450');
  assert.equal(evidenceMiddle([0, 10, 20], 0, 2), 1, 'a window from step 0 splits at the first column inside it');
  assert.equal(evidenceMiddle([0, 10], 0, 1), -1, 'no column inside');
});

test("a layer whose drift speeds up in the recent half of the window is not advised (the Fashion CNN's fc at step 141 of 188)", () => {
  // A jolt at the start, then a drift that grows with the steps (still learning): over the whole window from step 59
  // its angle per doubling projects to ≥ 0.975 for the 47 steps left, but its recent half drifts faster, and the
  // truth at the end is below the threshold.
  const learning = path((t) => 0.6 * (1 - Math.exp(-t / 2)) + 1.7e-5 * t * t);
  const c = fashionSteps.indexOf(141);
  const cfg = config({ totalSteps: 188 });
  const e = evidenceStart(cfg, fashionSteps, c);
  assert.equal(fashionSteps[e], 59);
  const { similarity, stability } = learning.evidence(fashionSteps, c);
  const peak = peakRate(stability, fashionSteps, c);
  const wholeOnly = judge(cfg, fashionSteps, c, e, similarity.get(0)!, similarity.get(e)!, peak);
  assert.equal(wholeOnly.ok, true, `without the recent half the window alone would advise it: ${JSON.stringify(wholeOnly)}`);
  const m = evidenceMiddle(fashionSteps, e, c);
  const j = judge(cfg, fashionSteps, c, e, similarity.get(0)!, similarity.get(e)!, peak, { m, similarity: similarity.get(m)! });
  assert.equal(j.ok, false, JSON.stringify(j));
  assert.ok(j.recentPerDoubling! > j.perDoubling && j.projected < 0.975, JSON.stringify(j));
  assert.ok(learning.sim(141, 188) < 0.975, 'and the layer did move on');
  // The tracker reads the recent half too: the same evidence gives no advice.
  const given: AdviceEvent[] = [];
  const t = new AdviceTracker(cfg, [{ name: 'fc', kind: 'dense' }], [], (a) => given.push(a));
  t.onEvidence(0, c, fashionSteps, similarity, stability);
  assert.equal(given.length, 0, JSON.stringify(given));
  // A settled layer on the same schedule is still advised at that step.
  const settled = path((t) => 0.6 * (1 - Math.exp(-t / 10))).evidence(fashionSteps, c);
  t.onEvidence(0, c, fashionSteps, settled.similarity, settled.stability);
  assert.deepEqual(
    given.map((a) => [a.layer, a.step]),
    [['fc', 141]],
  );
});

test('advice goes bottom-up, once per layer, never for logits, with its readings', () => {
  const given: AdviceEvent[] = [];
  const t = new AdviceTracker(config(), layers, [], (a) => given.push(a));
  const settled = trajectory(0.6, 60);
  const at = (step: number) => logSteps.indexOf(step);
  const feed = (l: number, step: number) => {
    const { similarity, stability } = settled.evidence(logSteps, at(step));
    t.onEvidence(l, at(step), logSteps, similarity, stability);
  };
  feed(1, 450);
  assert.equal(given.length, 0, 'b waits for a');
  feed(2, 450);
  feed(0, 536);
  assert.deepEqual(
    given.map((a) => [a.layer, a.step]),
    [
      ['a', 536],
      ['b', 450],
    ],
  );
  assert.deepEqual(given[0].evidence.steps, [267, 318, 378, 450]);
  assert.equal(given[0].evidence.stability.length, 4);
  assert.ok(given[0].evidence.moved! >= 0.03 && given[0].evidence.projected! >= 0.975);
  feed(0, 638);
  assert.equal(given.length, 2, 'once per layer');
});

test('a layer that stops qualifying stops waiting; out-of-order advice when asked for', () => {
  const settled = trajectory(0.6, 60);
  const moving = trajectory(0.6, 5000);
  const c = logSteps.indexOf(450);
  const given: string[] = [];
  const t = new AdviceTracker(config(), layers, [], (a) => given.push(a.layer));
  const s = settled.evidence(logSteps, c);
  const m = moving.evidence(logSteps, c + 1);
  t.onEvidence(1, c, logSteps, s.similarity, s.stability);
  t.onEvidence(1, c + 1, logSteps, m.similarity, m.stability);
  t.onEvidence(0, c + 1, logSteps, settled.evidence(logSteps, c + 1).similarity, settled.evidence(logSteps, c + 1).stability);
  assert.deepEqual(given, ['a'], 'b stopped qualifying after it first qualified');
  const free: string[] = [];
  const u = new AdviceTracker(config({ allowOutOfOrder: true }), layers, [], (a) => free.push(a.layer));
  u.onEvidence(1, c, logSteps, s.similarity, s.stability);
  assert.deepEqual(free, ['b']);
});

test('advice already in the log is not given again; missing evidence decides nothing', () => {
  const settled = trajectory(0.6, 60);
  const c = logSteps.indexOf(450);
  const { similarity, stability } = settled.evidence(logSteps, c);
  const given: string[] = [];
  const earlier: AdviceEvent = {
    layer: 'a',
    step: 300,
    action: 'freeze',
    evidence: { metric: 'svcca-k', threshold: 0.99, window: 3, steps: [], stability: [] },
  };
  const t = new AdviceTracker(config(), layers, [earlier], (a) => given.push(a.layer));
  t.onEvidence(0, c, logSteps, similarity, stability);
  const partial = new Map(similarity);
  partial.delete(0);
  t.onEvidence(1, c, logSteps, partial, stability);
  assert.deepEqual(given, [], 'no similarity to the first checkpoint yet');
  t.onEvidence(1, c, logSteps, similarity, stability);
  assert.deepEqual(given, ['b']);
});

test('the head job covers the window and the first checkpoint', () => {
  const t = new AdviceTracker(config(), layers, [], () => {});
  assert.deepEqual(t.headColumns(logSteps, 39), [39, 38, 37, 36, 35, 0]);
  assert.deepEqual(t.headColumns(logSteps, 2), [2, 1], 'no window yet: just the pair for stability');
  assert.deepEqual(t.headColumns(logSteps, 3), [3, 2, 1, 0]);
});
