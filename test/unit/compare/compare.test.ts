/** The compare view's pure parts: its run list from the URL, the config diff, which run settled each layer first. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_COMPARE_RUNS, parseCompareRuns, writeCompareRuns } from '../../../lib/compare/compare-runs';
import { configDiff, formatConfigValue } from '../../../lib/compare/config-diff';
import { settleOrder } from '../../../lib/compare/settle-order';

describe('compare run list', () => {
  it('reads runs=, then the older a= and b=, without duplicates', () => {
    assert.deepEqual(parseCompareRuns(new URLSearchParams('runs=r1,r2&runs=r3&a=r2&b=r4')).runs, ['r1', 'r2', 'r3', 'r4']);
    assert.deepEqual(parseCompareRuns(new URLSearchParams('a=x&b=y')).runs, ['x', 'y']);
  });

  it('keeps at most 8 and says which were left out, and which entries are not run ids', () => {
    const ids = Array.from({ length: 10 }, (_, i) => `run-${i}`);
    const list = parseCompareRuns(new URLSearchParams(`runs=${ids.join(',')},../etc,Upper`));
    assert.equal(MAX_COMPARE_RUNS, 8);
    assert.deepEqual(list.runs, ids.slice(0, 8));
    assert.deepEqual(list.overLimit, ['run-8', 'run-9']);
    assert.deepEqual(list.invalid, ['../etc', 'Upper']);
  });

  it('writes one runs= and drops a= and b=', () => {
    const q = new URLSearchParams('a=x&b=y&metric=cka');
    writeCompareRuns(q, ['x', 'y', 'z']);
    assert.equal(q.toString(), 'metric=cka&runs=x%2Cy%2Cz');
  });
});

describe('config diff', () => {
  it('flattens as the overview table does: dotted keys, arrays by index, every key (no 200 cap), "__proto__" kept as data', () => {
    const wide = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i]));
    const diff = configDiff([
      { ...wide, opt: { betas: [0.9, 0.999] } },
      { ...wide, k299: -1, opt: { betas: [0.9, 0.99] } },
    ]);
    assert.deepEqual(
      diff.rows.map((r) => r.key),
      ['k299', 'opt.betas.1'],
    );
    assert.equal(diff.same, 300);
    const hostile = configDiff([JSON.parse('{"__proto__": {"x": 1}}'), JSON.parse('{"__proto__": {"x": 2}}')]);
    assert.deepEqual(hostile.rows, [{ key: '__proto__.x', values: [1, 2] }]);
    assert.equal(({} as Record<string, unknown>).x, undefined, 'nothing reached Object.prototype');
  });

  it('lists only the keys that differ; a key missing from a run differs; 1 and "1" differ', () => {
    const a = { lr: 0.001, optimizer: { name: 'adam', betas: [0.9, 0.999] }, seed: 0, width: 1 };
    const b = { lr: 0.003, optimizer: { name: 'adam', betas: [0.9, 0.999] }, seed: 1, width: '1', extra: null };
    const c = { lr: 0.001, optimizer: { name: 'adam', betas: [0.9, 0.999] }, seed: 2, width: 1 };
    const diff = configDiff([a, b, c]);
    assert.deepEqual(
      diff.rows.map((r) => r.key),
      ['extra', 'lr', 'seed', 'width'],
    );
    assert.deepEqual(diff.rows[0].values, [undefined, 'null', undefined]);
    assert.deepEqual(diff.rows[1].values, [0.001, 0.003, 0.001]);
    assert.equal(diff.same, 3, 'optimizer.name and both betas');
    assert.deepEqual(diff.rows[0].values.map(formatConfigValue), ['—', 'null', '—']);
  });

  it('identical configs have no rows', () => {
    assert.deepEqual(configDiff([{ a: 1 }, { a: 1 }]), { rows: [], same: 1 });
  });
});

describe('settle order', () => {
  it('per layer, the runs that settled it earliest (ties share), none when no run settled it', () => {
    const rows = settleOrder([
      {
        layers: ['h1', 'h2', 'out'],
        settled: new Map([
          ['h1', 120],
          ['h2', 300],
        ]),
      },
      {
        layers: ['h1', 'h2', 'h3', 'out'],
        settled: new Map([
          ['h1', 80],
          ['h2', 300],
          ['h3', 500],
        ]),
      },
    ]);
    assert.deepEqual(
      rows.map((r) => r.layer),
      ['h1', 'h2', 'out', 'h3'],
    );
    assert.deepEqual(rows[0], { layer: 'h1', steps: [120, 80], first: [1] });
    assert.deepEqual(rows[1].first, [0, 1]);
    assert.deepEqual(rows[2], { layer: 'out', steps: [null, null], first: [] });
    assert.deepEqual(rows[3], { layer: 'h3', steps: [null, 500], first: [1] });
  });
});
