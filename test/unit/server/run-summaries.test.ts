/** The overview's summary index: pages, sorts, filters, counts, keys in use, chart points and deltas. */
import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import type { RunMeta } from '../../../lib/protocol';
import { Rng } from '../../../lib/random';
import { firstInOrder, RunSummaries, type SummaryQuery } from '../../../server/runs/summaries';
import { parseSummaryQuery } from '../../../server/http/summary-query';

const meta = (i: number, over: Partial<RunMeta> = {}): RunMeta => ({
  id: `r-${String(i).padStart(3, '0')}`,
  name: `run ${i}`,
  status: i % 10 === 3 ? 'failed' : 'finished',
  createdAt: 1000 + i,
  checkpoints: i,
  lastStep: i * 10,
  layers: 2,
  bytes: 0,
  config: { optimizer: { lr: [0.1, 0.01, 0.001][i % 3] }, batch: 32 * (1 + (i % 2)) },
  latest: { loss: 1 / (1 + i) },
  ...over,
});
const ALL: SummaryQuery = { q: '', brush: '', status: 'all', sort: 'created', dir: 'desc', liveFirst: false, offset: 0, limit: 50, axes: [] };
const ids = (rows: RunMeta[]) => rows.map((r) => r.id);

describe('RunSummaries', () => {
  const runs = Array.from({ length: 120 }, (_, i) => meta(i));
  const index = new RunSummaries(runs);

  it('answers one page, newest first, with the total and per-status counts', () => {
    const page = index.query({ ...ALL, offset: 50, limit: 20 });
    assert.equal(page.total, 120);
    assert.equal(page.matched, 120);
    assert.deepEqual(
      ids(page.rows),
      runs
        .slice()
        .reverse()
        .slice(50, 70)
        .map((r) => r.id),
    );
    assert.deepEqual(page.counts, { all: 120, live: 0, finished: 108, failed: 12, interrupted: 0 });
  });

  it('filters with the query language and the status, sorts by a config column', () => {
    const page = index.query({ ...ALL, q: 'lr>=0.01 batch=64', status: 'finished', sort: 'c:optimizer.lr', dir: 'asc', limit: 200 });
    const want = runs.filter((r, i) => [0.1, 0.01, 0.001][i % 3] >= 0.01 && i % 2 === 1 && r.status === 'finished');
    assert.equal(page.matched, want.length);
    assert.deepEqual(new Set(ids(page.rows)), new Set(ids(want)));
    const lrs = page.rows.map((r) => (r.config as { optimizer: { lr: number } }).optimizer.lr);
    assert.deepEqual(
      lrs,
      [...lrs].sort((a, b) => a - b),
    );
    assert.equal(page.counts.failed, 0 + runs.filter((r, i) => [0.1, 0.01, 0.001][i % 3] >= 0.01 && i % 2 === 1 && r.status === 'failed').length);
  });

  it('lists the keys in use and the chart points; the brush selects rows but keeps every line', () => {
    const page = index.query({ ...ALL, q: 'batch=32', brush: 'config.optimizer.lr>=0.05', axes: ['c:optimizer.lr', 's:loss', 'c:missing'], limit: 5 });
    assert.deepEqual(page.keys, { config: ['c:batch', 'c:optimizer.lr'], scalars: ['s:loss'], layers: [] });
    const p = page.points!;
    assert.equal(p.ids.length, 60);
    assert.equal(p.selected.filter(Boolean).length, page.matched);
    assert.equal(page.matched, runs.filter((_, i) => i % 2 === 0 && i % 3 === 0).length);
    assert.deepEqual(p.values[p.ids.indexOf('r-000')], [0.1, 1, null]);
  });

  it('follows run-list deltas: a new run, a change of tags, a removal', () => {
    const idx = new RunSummaries(runs.slice(0, 3));
    idx.apply({ kind: 'run', meta: meta(500, { tags: ['baseline'] }) });
    assert.deepEqual(ids(idx.query({ ...ALL, q: 'tag:baseline' }).rows), ['r-500']);
    idx.apply({ kind: 'run', meta: meta(500, { tags: [] }) });
    assert.equal(idx.query({ ...ALL, q: 'tag:baseline' }).matched, 0);
    idx.apply({ kind: 'removed', id: 'r-500' });
    assert.equal(idx.query(ALL).total, 3);
  });
});

describe('GET /api/overview parameters', () => {
  it('reads defaults and refuses what is out of range with a message', () => {
    assert.deepEqual(parseSummaryQuery(new URLSearchParams('')), ALL);
    assert.equal((parseSummaryQuery(new URLSearchParams('group=live&axes=a,b')) as SummaryQuery).liveFirst, true);
    for (const bad of ['limit=201', 'limit=-1', 'offset=1.5', 'dir=up', 'status=dead', `q=${'x'.repeat(2001)}`, `axes=${Array(17).fill('a').join(',')}`]) {
      assert.ok('error' in parseSummaryQuery(new URLSearchParams(bad)), bad);
    }
  });
});

test('firstInOrder gives the first n of a stable sort, ties included, for every n', () => {
  const rng = new Rng(7);
  // Few distinct keys, so ties are common; `i` records the original position.
  const items = Array.from({ length: 500 }, (_, i) => ({ key: Math.floor(rng.next() * 20), i }));
  const order = (a: { key: number }, b: { key: number }) => a.key - b.key;
  const sorted = [...items].sort(order);
  for (const n of [0, 1, 7, 50, 124, 125, 126, 499, 500, 600]) {
    assert.deepEqual(firstInOrder([...items], n, order), sorted.slice(0, n), `n = ${n}`);
  }
});
