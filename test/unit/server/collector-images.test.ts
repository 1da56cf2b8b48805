/** ImagesIntake: every way an images frame can disagree with the probe, with its code, and chunks accepted in order. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { decodeFrame, encodeFrame, type Probe } from '../../../lib/protocol';
import { ImagesIntake } from '../../../server/ingest/probe-images';

const M = 5;
const PROBE: Probe = { type: 'probe', examples: M, imageSize: { h: 2, w: 3, channels: 1 } };

function frame(layer: string, shape: number[], fill = 0.5, run?: string) {
  const n = shape.reduce((a, b) => a * b, 1);
  return decodeFrame(encodeFrame({ step: 0, layer, shape, kind: 'images', ...(run ? { run } : {}) }, new Float32Array(n).fill(fill)));
}

function intake(probe: Probe = PROBE): ImagesIntake {
  const i = new ImagesIntake();
  i.declare(probe);
  return i;
}

it('accepts chunks in example order and a full resend from example 0', () => {
  const i = intake();
  assert.equal(i.check(frame('__images__', [2, 2, 3, 1]), 'r'), null);
  assert.equal(i.check(frame('__images__@2', [3, 2, 3, 1], 1), 'r'), null);
  assert.equal(i.check(frame('__images__', [M, 2, 3, 1], 0), 'r'), null);
});

it('rejects each mismatch with its code and a message naming it', () => {
  const cases: Array<[string, ImagesIntake, ReturnType<typeof frame>, string, RegExp]> = [
    ['no imageSize', intake({ type: 'probe', examples: M }), frame('__images__', [1, 2, 3, 1]), 'PROBE_MISMATCH', /imageSize/],
    ['no probe at all', new ImagesIntake(), frame('__images__', [1, 2, 3, 1]), 'PROBE_MISMATCH', /imageSize/],
    ['wrong h/w', intake(), frame('__images__', [1, 3, 2, 1]), 'PROBE_MISMATCH', /\[examples, 2, 3, 1\]/],
    ['wrong channels', intake(), frame('__images__', [1, 2, 3, 3]), 'PROBE_MISMATCH', /\[examples, 2, 3, 1\]/],
    ['3-d shape', intake(), frame('__images__', [1, 2, 3]), 'PROBE_MISMATCH', /shape \[1, 2, 3\]/],
    ['out of order', intake(), frame('__images__@2', [1, 2, 3, 1]), 'PROBE_MISMATCH', /next expected is 0/],
    ['past the probe', intake(), frame('__images__', [M + 1, 2, 3, 1]), 'PROBE_MISMATCH', /the probe has 5/],
    ['above 1', intake(), frame('__images__', [1, 2, 3, 1], 1.01), 'PROBE_MISMATCH', /\[0, 1\]/],
    ['below 0', intake(), frame('__images__', [1, 2, 3, 1], -0.1), 'PROBE_MISMATCH', /\[0, 1\]/],
    ['NaN', intake(), frame('__images__', [1, 2, 3, 1], NaN), 'PROBE_MISMATCH', /NaN/],
    ['Infinity', intake(), frame('__images__', [1, 2, 3, 1], Infinity), 'PROBE_MISMATCH', /Infinity/],
    ['bad layer name', intake(), frame('images', [1, 2, 3, 1]), 'PROBE_MISMATCH', /__images__/],
    ['another run', intake(), frame('__images__', [1, 2, 3, 1], 0.5, 'other'), 'UNEXPECTED_FRAME', /run "other"/],
  ];
  for (const [what, i, f, code, message] of cases) {
    const problem = i.check(f, 'r');
    assert.ok(problem, what);
    assert.equal(problem.code, code, what);
    assert.match(problem.message, message, what);
  }
});

it('a rejected chunk does not move the expected next example', () => {
  const i = intake();
  assert.equal(i.check(frame('__images__', [2, 2, 3, 1]), 'r'), null);
  assert.ok(i.check(frame('__images__@2', [2, 2, 3, 1], 2), 'r'));
  assert.equal(i.check(frame('__images__@2', [2, 2, 3, 1]), 'r'), null);
  assert.match(i.check(frame('__images__@2', [1, 2, 3, 1]), 'r')!.message, /next expected is 4/);
});
