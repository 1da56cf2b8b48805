/** The run list's config lines (the search is tested in test/unit/runs/query.test.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configTerms } from '../../../store/run-filter';

describe('run filter', () => {
  it('flattens nested config into path=value terms', () => {
    assert.deepEqual(configTerms({ lr: 0.001, opt: { name: 'adam', betas: [0.9, 0.99] }, tag: null }), [
      'lr=0.001',
      'opt.name=adam',
      'opt.betas.0=0.9',
      'opt.betas.1=0.99',
      'tag=null',
    ]);
    assert.deepEqual(configTerms(undefined), []);
  });
});
