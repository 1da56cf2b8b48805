import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readRunLog } from '../../../server/storage/run-log-reader';
import { replayRecords } from '../../../server/storage/replay';
import { RunLogWriter } from '../../../server/storage/run-log-writer';
import { buildRecords, tempDir } from './helpers';

let dir = '';
let cleanup = async () => {};
let file = '';
before(async () => {
  ({ dir, cleanup } = await tempDir());
  file = path.join(dir, 'log.lwlog');
  const w = await RunLogWriter.open(file);
  // 11 records 100 ms apart: 1 s of original time.
  for (const r of buildRecords({ seed: 31, count: 11 }).map((r, i) => ({ ...r, time: 5000 + i * 100 }))) w.append(r.kind, r.payload, r.time);
  await w.close();
});
after(() => cleanup());

test('replay at Infinity yields exactly what readRunLog yields, at once', async () => {
  const direct = [];
  for await (const r of readRunLog(file)) direct.push(r);
  const t = performance.now();
  const replayed = [];
  for await (const r of replayRecords(file, { speed: Infinity })) replayed.push(r);
  assert.ok(performance.now() - t < 200);
  assert.deepEqual(replayed, direct);
});

test('replay paces records by their timestamps divided by speed', async () => {
  const t = performance.now();
  const arrivals: number[] = [];
  for await (const _ of replayRecords(file, { speed: 10 })) arrivals.push(performance.now() - t);
  assert.equal(arrivals.length, 11);
  // 1 s of original time at 10×: the last record is due at 100 ms.
  assert.ok(arrivals[10] >= 95, `finished at ${arrivals[10]} ms`);
  assert.ok(arrivals[10] < 600, `finished at ${arrivals[10]} ms`);
  assert.ok(arrivals[5] >= 45);
});

test('maxGapMs caps long pauses and an abort signal stops the replay with its reason', async () => {
  const t = performance.now();
  for await (const _ of replayRecords(file, { speed: 1, maxGapMs: 1 })) void 0;
  assert.ok(performance.now() - t < 300);
  const ac = new AbortController();
  const seen: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const r of replayRecords(file, { speed: 1, signal: ac.signal })) {
        seen.push(r.time);
        if (seen.length === 2) ac.abort(new Error('stop'));
      }
    })(),
    /stop/,
  );
  assert.equal(seen.length, 2);
  await assert.rejects(async () => {
    for await (const _ of replayRecords(file, { speed: 0 })) void 0;
  }, RangeError);
});
