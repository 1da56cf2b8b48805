/** The run list's search, status filter and sort. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunMeta } from '../../../lib/protocol/live';
import { configTerms, groupRuns, matchesQuery } from '../../../store/run-filter';

const run = (id: string, over: Partial<RunMeta> = {}): RunMeta => ({ id, name: id, status: 'finished', createdAt: 0, checkpoints: 0, lastStep: null, layers: 3, bytes: 0, ...over });

describe('run filter', () => {
  it('flattens nested config into path=value terms', () => {
    assert.deepEqual(configTerms({ lr: 0.001, opt: { name: 'adam', betas: [0.9, 0.99] }, tag: null }), ['lr=0.001', 'opt.name=adam', 'opt.betas.0=0.9', 'opt.betas.1=0.99', 'tag=null']);
    assert.deepEqual(configTerms(undefined), []);
  });

  it('matches every term in name, project, id or config, case-insensitively', () => {
    const r = run('sweep-07', { name: 'LR sweep 7', project: 'digits', config: { optimizer: 'Adam', lr: 0.01 } });
    assert.ok(matchesQuery(r, 'adam'));
    assert.ok(matchesQuery(r, 'lr=0.01 DIGITS'));
    assert.ok(matchesQuery(r, 'sweep-07'));
    assert.ok(!matchesQuery(r, 'adam sgd'));
    assert.ok(matchesQuery(r, '   '));
  });

  it('puts live runs first, filters by status and sorts within groups', () => {
    const runs = [
      run('a', { createdAt: 1, name: 'b-run' }),
      run('b', { createdAt: 2, status: 'live', name: 'z-live' }),
      run('c', { createdAt: 3, status: 'failed', name: 'a-run', lastStep: 50 }),
      run('d', { createdAt: 4, status: 'live', name: 'a-live' }),
    ];
    const g = groupRuns(runs, '', 'all', 'newest');
    assert.deepEqual(g.live.map((r) => r.id), ['d', 'b']);
    assert.deepEqual(g.past.map((r) => r.id), ['c', 'a']);
    assert.deepEqual(g.counts, { all: 4, live: 2, finished: 1, failed: 1, interrupted: 0 });
    assert.deepEqual(groupRuns(runs, '', 'all', 'name').past.map((r) => r.id), ['c', 'a']);
    assert.deepEqual(groupRuns(runs, '', 'all', 'name-desc').live.map((r) => r.id), ['b', 'd']);
    assert.deepEqual(groupRuns(runs, '', 'failed', 'newest').past.map((r) => r.id), ['c']);
    assert.equal(groupRuns(runs, '', 'failed', 'newest').live.length, 0);
    assert.deepEqual(groupRuns(runs, 'live', 'all', 'oldest').live.map((r) => r.id), ['b', 'd']);
  });
});
