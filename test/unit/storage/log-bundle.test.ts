/** Exported logs: the run log followed by its analysis records, and the split back into the two logs on import. */
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, test } from 'node:test';
import { bundleStream, planBundle, splitBundle } from '../../../server/storage/log-bundle';
import { readRunLog, scanRunLog } from '../../../server/storage/run-log-reader';
import { RunLogWriter } from '../../../server/storage/run-log-writer';
import { buildRecords, bytesOf, tempDir, type RecordSpec } from './helpers';

let dir = '';
let cleanup = async () => {};
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

async function write(file: string, records: RecordSpec[]): Promise<void> {
  const w = await RunLogWriter.open(file);
  for (const r of records) w.append(r.kind, r.payload, r.time);
  await w.close();
}

const analysisRecords = (n: number): RecordSpec[] =>
  Array.from({ length: n }, (_, i) => ({ kind: 4, payload: JSON.stringify({ type: 'convergence', i }), time: 1_800_000_000_000 + i }));

async function records(file: string): Promise<Array<{ kind: number; time: number; payload: string }>> {
  const out = [];
  for await (const r of readRunLog(file, { strict: true })) out.push({ kind: r.kind, time: r.time, payload: r.payload.toString('base64') });
  return out;
}

test('an export is the log, then the valid records of the analysis log; splitting it gives both files back byte for byte', async () => {
  const log = path.join(dir, 'log.lwlog');
  const analysis = path.join(dir, 'analysis.lwlog');
  await write(log, buildRecords({ seed: 3, count: 40, maxBinary: 3000 }));
  await write(analysis, analysisRecords(12));
  const intact = await fs.readFile(analysis);
  // A torn append at the end of the analysis log (a crash while writing) is left out of the export.
  await fs.appendFile(analysis, Buffer.from([0x4c, 0x57, 0x52, 0x31, 9, 9, 9]));

  const plan = await planBundle(log, analysis);
  const out = path.join(dir, 'export.lwlog');
  await pipeline(bundleStream(plan), createWriteStream(out));
  const bytes = await fs.readFile(out);
  assert.equal(bytes.length, plan.size);
  const logBytes = await fs.readFile(log);
  assert.ok(bytes.subarray(0, logBytes.length).equals(logBytes));
  assert.ok(bytes.subarray(logBytes.length).equals(intact.subarray(16)));
  const scan = await scanRunLog(out, { strict: true });
  assert.deepEqual([scan.byKind[4], scan.records], [12, 52], 'a strictly valid log with every record');

  const split = path.join(dir, 'split-analysis.lwlog');
  assert.equal(await splitBundle(out, split), 12);
  assert.ok((await fs.readFile(out)).equals(logBytes), 'the log part, cut at its end');
  assert.ok((await fs.readFile(split)).equals(intact), 'the analysis part, behind a file header');
  assert.equal(await splitBundle(out, path.join(dir, 'none.lwlog')), 0, 'a log without analysis records is left as it is');
  await assert.rejects(fs.stat(path.join(dir, 'none.lwlog')), { code: 'ENOENT' });
});

test('a run without an analysis log exports as its log alone', async () => {
  const log = path.join(dir, 'log.lwlog');
  await write(log, buildRecords({ seed: 4, count: 10 }));
  const plan = await planBundle(log, path.join(dir, 'missing.lwlog'));
  assert.deepEqual(plan.ranges, []);
  assert.equal(plan.size, (await fs.stat(log)).size);
});

test('analysis records mixed in anywhere (another writer) are sorted out record by record, in order', async () => {
  const trainer = buildRecords({ seed: 5, count: 30, maxBinary: 500 });
  const analysis = analysisRecords(5);
  const mixed = [...trainer.slice(0, 7), analysis[0], analysis[1], ...trainer.slice(7, 20), analysis[2], ...trainer.slice(20), analysis[3], analysis[4]];
  const file = path.join(dir, 'mixed.lwlog');
  await write(file, mixed);
  const out = path.join(dir, 'analysis.lwlog');
  assert.equal(await splitBundle(file, out), 5);
  const expect = (specs: RecordSpec[]) => specs.map((r) => ({ kind: r.kind, time: r.time, payload: bytesOf(r.payload).toString('base64') }));
  assert.deepEqual(await records(file), expect(trainer));
  assert.deepEqual(await records(out), expect(analysis));
  assert.deepEqual((await fs.readdir(dir)).sort(), ['analysis.lwlog', 'mixed.lwlog'], 'no temp file left');
});
