/**
 * A real torch.distributed run (2 processes, gloo on CPU) through the Python client: one run, every checkpoint from
 * rank 0, the loss combined per step from both ranks, the processes recorded in the config, system metrics present.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { Hello, Scalars, ServerEvent } from '../../lib/protocol';
import { decodeRecord } from '../../server/runs/records';
import type { RunRecord } from '../../server/runs/run-state';
import { readRunLog } from '../../server/storage/run-log-reader';
import { ROOT, runCli, startTestServer, tempDir, type TestServer } from './helpers/server';

const exec = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const CHECKPOINTS = 12;
let server: TestServer;

before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.close();
});

test('DDP digits, 2 ranks: one run, checkpoints from rank 0, loss = mean of both ranks per step', {
  skip: !existsSync(PYTHON) && 'no /usr/bin/python3',
}, async () => {
  const { stdout } = await exec(
    PYTHON,
    [
      path.join(ROOT, 'examples/ddp_digits.py'),
      '--world-size',
      '2',
      '--url',
      server.ingestUrl,
      '--epochs',
      '2',
      '--seed',
      '3',
      '--checkpoints',
      String(CHECKPOINTS),
      '--system-interval',
      '0.3',
      '--json',
    ],
    { timeout: 240_000, env: { ...process.env, PYTHONPATH: path.join(ROOT, 'clients/python') } },
  );
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
  assert.equal(result.world_size, 2);
  assert.ok(result.test_accuracy > 0.7, `test accuracy ${result.test_accuracy}`);

  const runs = server.registry.list();
  assert.deepEqual(
    runs.map((r) => r.id),
    [result.run_id],
    'one run, not one per rank',
  );
  assert.equal(runs[0].status, 'finished');
  assert.equal(runs[0].checkpoints, CHECKPOINTS);

  const recs: RunRecord[] = [];
  for await (const rec of readRunLog(path.join(server.dataDir, 'runs', result.run_id, 'log.lwlog'))) {
    const r = decodeRecord(rec.kind, rec.time, rec.payload);
    if (r) recs.push(r);
  }
  const messages = recs.flatMap((r) => (r.kind === 'message' ? [r.message] : []));
  const hellos = messages.filter((m): m is Hello => m.type === 'hello');
  assert.equal(hellos.length, 1, 'only rank 0 says hello to the run; rank 1 attaches');
  assert.deepEqual([hellos[0].run.rank, hellos[0].run.worldSize], [0, 2]);
  const runtime = (hellos[0].run.config as { runtime: Record<string, unknown> }).runtime;
  assert.deepEqual([runtime.world_size, runtime.backend, runtime.device_types], [2, 'gloo', ['cpu']]);
  assert.equal(messages.filter((m) => m.type === 'checkpoint').length, CHECKPOINTS, 'every scheduled checkpoint, once');

  const events = recs.flatMap((r) => (r.kind === 'event' ? [r.event] : []));
  assert.deepEqual(
    events.filter((e) => e.type === 'rank').map((e) => [(e as { rank: number }).rank, (e as { state: string }).state]),
    [
      [1, 'joined'],
      [1, 'ended'],
    ],
  );
  // Rank 1 sent only its share of the loss; every step both ranks logged is combined from both, as their mean.
  const shares = new Map<number, Map<number, number>>();
  for (const m of messages.filter((m): m is Scalars => m.type === 'scalars' && m.reduce !== undefined)) {
    assert.equal(m.reduce, 'mean');
    assert.deepEqual(Object.keys(m.values), ['loss']);
    if (!shares.has(m.step)) shares.set(m.step, new Map());
    shares.get(m.step)!.set(m.rank!, m.values.loss!);
  }
  const combined = events.filter((e): e is Extract<ServerEvent, { type: 'combined' }> => e.type === 'combined');
  assert.ok(combined.length >= 7, `${combined.length} combined steps`);
  assert.deepEqual(
    combined.map((c) => c.step),
    [...shares.keys()],
  );
  for (const c of combined) {
    const byRank = shares.get(c.step)!;
    assert.deepEqual(c.ranks, [0, 1], `step ${c.step}`);
    assert.ok(Math.abs(c.values.loss! - (byRank.get(0)! + byRank.get(1)!) / 2) < 1e-12, `step ${c.step}`);
    assert.notEqual(byRank.get(0), byRank.get(1), 'the ranks saw different halves of the batch');
  }
  const plain = messages.filter((m): m is Scalars => m.type === 'scalars' && m.reduce === undefined);
  assert.ok(
    plain.every((m) => m.rank === undefined),
    "the plain series (accuracy, system metrics) are rank 0's",
  );

  // System metrics (rank 0): present and plausible.
  const system = plain.filter((m) => 'system/cpu_percent' in m.values);
  assert.ok(system.length >= 1, 'at least one system sample');
  for (const m of system) {
    const cpu = m.values['system/cpu_percent']!;
    assert.ok(cpu >= 0 && cpu <= 100 * os.cpus().length, `cpu ${cpu}`);
    assert.ok(m.values['system/rss_mb']! > 0);
    assert.ok(!Object.keys(m.values).some((k) => k.includes('gpu')), 'no GPU here: no GPU series');
  }

  // The log passes the import checks (the same rules as live ingest): per-rank scalars and the new events included.
  const imported = await runCli(['import', path.join(server.dataDir, 'runs', result.run_id, 'log.lwlog'), '--data', await tempDir(), '--id', 'ddp-copy']);
  assert.equal(imported.code, 0, imported.stderr);
});
