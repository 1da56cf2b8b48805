/** Chance baseline: seeded, reproducible, and well above 0 with few datapoints per neuron. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chanceBaseline } from '../../../lib/analysis/index';

describe('chanceBaseline', () => {
  it('is reproducible from its seed and changes with it', () => {
    const x = chanceBaseline(10, 12, 60, 'svcca', undefined, 42, 3);
    const y = chanceBaseline(10, 12, 60, 'svcca', undefined, 42, 3);
    const z = chanceBaseline(10, 12, 60, 'svcca', undefined, 43, 3);
    assert.deepEqual(x, y);
    assert.notEqual(x.mean, z.mean);
    assert.equal(x.samples, 3);
    assert.ok(x.sd > 0);
  });

  it('is far above 0 for few datapoints per neuron and falls with more', () => {
    const few = chanceBaseline(20, 20, 30, 'svcca', undefined, 7, 4);
    const many = chanceBaseline(20, 20, 2000, 'svcca', undefined, 7, 4);
    assert.ok(few.mean > 0.4, `few ${few.mean}`);
    assert.ok(many.mean < few.mean / 3, `many ${many.mean} vs few ${few.mean}`);
    for (const metric of ['pwcca', 'cka', 'svcca-k'] as const) {
      const r = chanceBaseline(20, 20, 30, metric, { k: 5 }, 7, 2);
      assert.ok(r.mean > 0.1 && r.mean < 1, `${metric} ${r.mean}`);
    }
  });
});
