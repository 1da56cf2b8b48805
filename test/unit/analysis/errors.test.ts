/** Inputs and options no metric can use are rejected with a stable code. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnalysisError, compare, prepare, similarity, slim } from '../../../lib/analysis/index';
import type { Activations, Metric } from '../../../lib/analysis/types';
import { prepareCka } from '../../../lib/analysis/cka';
import { buildLayer } from './fixtures';

const code = (c: string) => (err: unknown) => err instanceof AnalysisError && err.code === c && err.message.length > 0;
const good = buildLayer({ units: 5, examples: 40, seed: 1 });

describe('analysis errors', () => {
  it('EMPTY_INPUT for no units or no examples', () => {
    assert.throws(() => similarity({ data: new Float64Array(0), units: 0, examples: 40 }, good, 'svcca'), code('EMPTY_INPUT'));
    assert.throws(() => prepare({ data: new Float32Array(0), units: 5, examples: 0 }), code('EMPTY_INPUT'));
  });

  it('SHAPE_MISMATCH for a wrong length or different datapoint counts', () => {
    assert.throws(() => prepare({ data: new Float64Array(199), units: 5, examples: 40 }), code('SHAPE_MISMATCH'));
    const other = buildLayer({ units: 5, examples: 41, seed: 2 });
    assert.throws(() => similarity(good, other, 'cka'), code('SHAPE_MISMATCH'));
    assert.throws(() => compare(prepare(good), prepare(other), 'svcca'), code('SHAPE_MISMATCH'));
  });

  it('NON_FINITE for NaN or infinite activations', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const data = Float64Array.from(good.data);
      data[77] = bad;
      assert.throws(() => similarity({ ...good, data }, good, 'svcca'), code('NON_FINITE'));
    }
  });

  it('TOO_FEW_EXAMPLES below 2 datapoints; more neurons than datapoints is analysed on the datapoint side', () => {
    assert.throws(() => prepare({ data: new Float64Array(3), units: 3, examples: 1 }), code('TOO_FEW_EXAMPLES'));
    const wide: Activations = buildLayer({ units: 30, examples: 20, seed: 3 });
    const p = prepare(wide);
    assert.equal(p.values.length, 19); // rank ≤ m − 1 after centring
    assert.ok(Math.abs(similarity(wide, wide, 'svcca').value - 1) < 1e-9);
  });

  it('SLIMMED when a layer prepared without its eigensystem is asked for a CCA metric', () => {
    const p = prepareCka(good);
    assert.throws(() => compare(p, p, 'svcca'), code('SLIMMED'));
  });

  it('BAD_OPTION for a bad k, threshold or metric', () => {
    assert.throws(() => similarity(good, good, 'svcca-k', { k: 0 }), code('BAD_OPTION'));
    assert.throws(() => similarity(good, good, 'svcca-k', { k: 2.5 }), code('BAD_OPTION'));
    assert.throws(() => similarity(good, good, 'svcca', { threshold: 0 }), code('BAD_OPTION'));
    assert.throws(() => similarity(good, good, 'svcca', { threshold: 1.5 }), code('BAD_OPTION'));
    assert.throws(() => similarity(good, good, 'cca' as Metric), code('BAD_OPTION'));
  });

  it('SLIMMED when a slimmed layer is asked for more than it kept', () => {
    const p = prepare(good);
    assert.throws(() => compare(slim(p, 'svcca-k', { k: 2 }), p, 'svcca-k', { k: 4 }), code('SLIMMED'));
    assert.throws(() => compare(slim(p, 'svcca'), p, 'cka'), code('SLIMMED'));
    assert.throws(() => compare(slim(p, 'svcca-k', { k: 5 }), p, 'pwcca'), code('SLIMMED'));
    assert.throws(() => slim(slim(p, 'cka'), 'svcca'), code('SLIMMED'));
  });
});
