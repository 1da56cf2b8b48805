/** The overview's query language and columns (lib/runs): parsing, matching against flattened runs, sorting. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunMeta } from '../../../lib/protocol/live';
import { columnLabel, flattenConfig, runFields, runSearchText } from '../../../lib/runs/fields';
import { compareBy, matchesTerms, parseQuery, resolveKey, type Matchable } from '../../../lib/runs/query';

const meta = (id: string, over: Partial<RunMeta> = {}): RunMeta => ({
  id,
  name: id,
  status: 'finished',
  createdAt: 0,
  checkpoints: 0,
  lastStep: null,
  layers: 2,
  bytes: 0,
  ...over,
});
const view = (m: RunMeta): Matchable => ({ fields: runFields(m), text: runSearchText(m), tags: m.tags ?? [] });
const find = (runs: RunMeta[], q: string) => runs.filter((r) => matchesTerms(parseQuery(q), view(r))).map((r) => r.id);

const RUNS = [
  meta('a', {
    name: 'baseline small',
    config: { optimizer: { lr: 0.01, name: 'adam' }, batch: 64 },
    tags: ['baseline'],
    latest: { loss: 0.3 },
    settle: [
      { layer: 'fc1', step: 40 },
      { layer: 'fc2', step: null },
    ],
  }),
  meta('b', {
    name: 'wide',
    config: { optimizer: { lr: 0.0005, name: 'sgd' }, batch: 128 },
    tags: ['sweep', 'Baseline-2'],
    latest: { loss: 0.9 },
    notes: 'diverged after warmup',
  }),
  meta('c', { name: 'no config', status: 'live', lastStep: 7 }),
];

describe('parseQuery', () => {
  it('reads comparisons, tags, quoted text, negation and free words', () => {
    assert.deepEqual(parseQuery('lr>0.001 tag:baseline -tag:sweep "two words" adam -sgd batch<=64 name:"x y" optimizer.name!=sgd'), [
      { kind: 'cmp', key: 'lr', op: '>', value: 0.001, not: false },
      { kind: 'tag', tag: 'baseline', not: false },
      { kind: 'tag', tag: 'sweep', not: true },
      { kind: 'text', text: 'two words', not: false },
      { kind: 'text', text: 'adam', not: false },
      { kind: 'text', text: 'sgd', not: true },
      { kind: 'cmp', key: 'batch', op: '<=', value: 64, not: false },
      { kind: 'cmp', key: 'name', op: '=', value: 'x y', not: false },
      { kind: 'cmp', key: 'optimizer.name', op: '!=', value: 'sgd', not: false },
    ]);
  });

  it('never fails: unfinished input is free text or an open quote', () => {
    assert.deepEqual(parseQuery('lr> "open'), [
      { kind: 'text', text: 'lr>', not: false },
      { kind: 'text', text: 'open', not: false },
    ]);
    assert.deepEqual(parseQuery('  - '), []);
    assert.deepEqual(parseQuery('1e-3'), [{ kind: 'text', text: '1e-3', not: false }]);
  });
});

describe('matching', () => {
  it('compares a bare key against the config key it ends (optimizer.lr) numerically', () => {
    assert.deepEqual(find(RUNS, 'lr>0.001'), ['a']);
    assert.deepEqual(find(RUNS, 'lr<=0.0005'), ['b']);
    assert.deepEqual(find(RUNS, 'optimizer.lr>=1e-4'), ['a', 'b']);
    assert.deepEqual(find(RUNS, 'config.batch=128'), ['b']);
  });

  it('matches tags exactly (case-insensitive), scalars, settle steps, built-ins and negations', () => {
    assert.deepEqual(find(RUNS, 'tag:baseline'), ['a']);
    assert.deepEqual(find(RUNS, 'tag:BASELINE-2'), ['b']);
    assert.deepEqual(find(RUNS, '-tag:baseline'), ['b', 'c']);
    assert.deepEqual(find(RUNS, 'loss<0.5'), ['a']);
    assert.deepEqual(find(RUNS, 'fc1<=40'), ['a']);
    assert.deepEqual(find(RUNS, 'status:live step>5'), ['c']);
    assert.deepEqual(find(RUNS, 'name=WIDE'), ['b']);
  });

  it('free text looks in name, id, tags, notes and config values; a key a run lacks is no match', () => {
    assert.deepEqual(find(RUNS, 'adam'), ['a']);
    assert.deepEqual(find(RUNS, 'diverged'), ['b']);
    assert.deepEqual(find(RUNS, 'sweep'), ['b']);
    assert.deepEqual(find(RUNS, 'momentum>0'), []);
    // A string is never ordered against a number.
    assert.deepEqual(find(RUNS, 'optimizer.name>1'), []);
  });
});

describe('fields and sorting', () => {
  it('flattens nested config and arrays, bounded', () => {
    assert.deepEqual(flattenConfig({ opt: { lr: 1, betas: [0.9, 0.99] }, off: null, on: true }), [
      ['opt.lr', 1],
      ['opt.betas.0', 0.9],
      ['opt.betas.1', 0.99],
      ['off', 'null'],
      ['on', true],
    ]);
    assert.equal(flattenConfig(Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]))).length, 200);
  });

  it('keeps a "__proto__" config key as data', () => {
    const f = runFields(meta('p', { config: JSON.parse('{"__proto__": {"lr": 2}}') }));
    assert.equal(f.get('c:__proto__.lr'), 2);
    assert.equal(resolveKey('lr', f), 'c:__proto__.lr');
  });

  it('sorts numbers by value and text naturally; runs without the field go last both ways', () => {
    const rows = RUNS.map(view);
    const ids = (key: string, dir: 'asc' | 'desc') => [...rows].sort(compareBy(key, dir)).map((r) => r.fields.get('id'));
    assert.deepEqual(ids('c:optimizer.lr', 'asc'), ['b', 'a', 'c']);
    assert.deepEqual(ids('c:optimizer.lr', 'desc'), ['a', 'b', 'c']);
    assert.deepEqual(ids('s:loss', 'desc'), ['b', 'a', 'c']);
    assert.deepEqual(ids('name', 'asc'), ['a', 'c', 'b']);
    assert.equal(columnLabel('c:optimizer.lr'), 'optimizer.lr');
    assert.equal(columnLabel('l:fc1'), 'fc1 settled at');
  });
});
