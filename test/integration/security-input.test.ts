/** Input hygiene: run ids at every entry point, NaN/Inf flagged and kept out of analysis, malformed .npy and log files rejected with a message. */
import assert from 'node:assert/strict';
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { IngestClient } from '../../clients/node/ingest-client';
import { LiveClient } from '../../clients/node/live-client';
import { writeNpy } from '../../lib/codecs/npy';
import type { ConvergenceGrid } from '../../lib/protocol';
import { buildCheckpoint, buildRun } from '../fixtures/build-run';
import { rawSocket } from './helpers/raw-socket';
import { runCli, startTestServer, tempDir, type TestServer } from './helpers/server';

let server: TestServer;
let finishedRun: string;

before(async () => {
  server = await startTestServer();
  const c = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'plain' } });
  const built = buildRun({ layers: 2, units: 4, examples: 10 });
  await c.declare(built.layers, built.probe);
  await c.checkpoint(1, buildCheckpoint(built, 1));
  await c.end();
  await c.close();
  finishedRun = c.runId;
});
after(async () => {
  await server.close();
});

const cli = runCli;

test('hello: run ids that are device names or paths are refused and create nothing', async () => {
  for (const id of ['con', 'nul', 'com1', 'lpt9', '../etc', '/abs', 'a/b', 'A-upper', '.hidden', 'x'.repeat(65), 'ünï']) {
    const c = await rawSocket(server.ingestUrl);
    c.ws.send(JSON.stringify({ type: 'hello', protocol: 1, run: { id, name: 'bad id' } }));
    const err = await c.next();
    assert.equal(err.type, 'error', id);
    assert.ok(['BAD_RUN_ID', 'HELLO_REQUIRED'].includes(err.code as string), `${id}: ${err.code}`);
    assert.equal(err.fatal, true);
    await c.closed;
  }
  const dirs = await readdir(path.join(server.dataDir, 'runs'));
  assert.deepEqual(
    dirs.filter((d) => !d.startsWith('.')),
    [finishedRun],
  );
});

test('unicode and path characters in run names become safe ids', async () => {
  for (const name of ['../../etc/passwd', 'CON', '名前 🚀', '\u202eevil', ' ']) {
    const c = await IngestClient.connect({ url: server.ingestUrl, run: { name } });
    assert.match(c.runId, /^[a-z0-9][a-z0-9_-]{0,63}$/);
    assert.equal(server.registry.index.get(c.runId)?.name, name, 'the name is kept as data');
    await c.close();
  }
});

test('HTTP API: traversal, device names and malformed escapes are 400 BAD_RUN_ID, never a file or a 500', async () => {
  for (const p of ['..%2F..%2Fetc%2Fpasswd', '%2e%2e', 'con', 'NUL', '%E0%A4%A', '%00', 'a%2Fb', '..']) {
    for (const suffix of ['', '/log']) {
      const res = await fetch(`${server.url}/api/runs/${p}${suffix}`);
      const body = await res.text();
      assert.ok(res.status === 400 || res.status === 404, `${p}${suffix}: ${res.status}`);
      assert.ok(!body.includes('root:'), 'no file content');
      if (res.status === 400) assert.match(body, /BAD_RUN_ID/);
    }
  }
  const ok = await fetch(`${server.url}/api/runs/${finishedRun}/log`);
  assert.equal(ok.status, 200);
  assert.match(ok.headers.get('content-disposition') ?? '', new RegExp(`filename="${finishedRun}.lwlog"`));
});

test('/live: topics and requests with hostile run ids are answered with errors', async () => {
  const c = await rawSocket(server.liveUrl);
  await c.next();
  c.ws.send(JSON.stringify({ type: 'subscribe', topic: 'run:../../etc' }));
  assert.equal((await c.next()).code, 'BAD_MESSAGE');
  c.ws.send(JSON.stringify({ type: 'subscribe', topic: 'run:con' }));
  assert.equal((await c.next()).code, 'BAD_TOPIC');
  c.ws.send(JSON.stringify({ type: 'request', id: 1, what: 'layer-matrix', run: '../../etc/passwd', params: { step: 1, metric: 'cka' } }));
  const r = await c.next();
  assert.deepEqual([r.type, r.ok, r.code], ['response', false, 'BAD_REQUEST']);
  // A well-formed id that names no run is RUN_NOT_FOUND for every request that takes a run.
  const asks: Array<[string, Record<string, unknown>]> = [
    ['layer-matrix', { step: 1, metric: 'cka' }],
    ['run-at', { step: 1 }],
    ['series', { name: 'loss' }],
    ['unit-examples', { layer: 'fc', unit: 0 }],
    ['reanalyse', { metric: 'cka' }],
  ];
  for (const [i, [what, params]] of asks.entries()) {
    c.ws.send(JSON.stringify({ type: 'request', id: 10 + i, what, run: 'no-such-run', params }));
    const reply = await c.next();
    assert.deepEqual([reply.id, reply.ok, reply.code], [10 + i, false, 'RUN_NOT_FOUND'], what);
  }
  // A request that fails validation (a run id over 64 characters, a bad params value) is still answered under its id.
  c.ws.send(JSON.stringify({ type: 'request', id: 41, what: 'series', run: 'r'.repeat(65), params: { name: 'loss' } }));
  c.ws.send(JSON.stringify({ type: 'request', id: 42, what: 'series', run: 'ok', params: { name: ['not', 'a', 'scalar'] } }));
  for (const id of [41, 42]) {
    const reply = await c.next();
    assert.deepEqual([reply.type, reply.id, reply.ok, reply.code], ['response', id, false, 'BAD_REQUEST']);
  }
  c.ws.close();
});

test('import: the id from a hostile file name is a safe slug; --id and export refuse unsafe ids', async () => {
  const src = path.join(server.dataDir, 'runs', finishedRun, 'log.lwlog');
  const dir = await tempDir();
  const data = await tempDir();
  const weird = path.join(dir, '..CON ..\\名前 ✓ $(x).lwlog');
  await copyFile(src, weird);
  const auto = await cli(['import', weird, '--data', data, '--json']);
  assert.equal(auto.code, 0, auto.stderr);
  assert.match(JSON.parse(auto.stdout).run.id, /^[a-z0-9][a-z0-9_-]{0,63}$/);
  const ok = await cli(['import', weird, '--data', data, '--id', 'fine-id', '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).run.id, 'fine-id');
  for (const id of ['con', '../x', '/tmp/x', 'Upper']) {
    const bad = await cli(['import', weird, '--data', data, '--id', id]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /BAD_RUN_ID/);
  }
  // One rule for every command: a well-formed command line naming a bad value exits 1 with its code (import and export alike).
  for (const id of ['../fine-id', 'nul', '/etc/passwd']) {
    const bad = await cli(['export', id, '--data', data, '--log', '-o', path.join(dir, 'out')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^layerwatch export: BAD_RUN_ID: /);
  }
  const special = await cli(['import', '/dev/zero', '--data', data]);
  assert.equal(special.code, 1);
  assert.match(special.stderr, /NOT_A_LOG: \/dev\/zero is not a regular file/);
});

test('malformed logs are rejected by import and replay with a message, and nothing is imported', async () => {
  const src = await readFile(path.join(server.dataDir, 'runs', finishedRun, 'log.lwlog'));
  const dir = await tempDir();
  const data = await tempDir();
  const cases: Array<[string, Buffer, RegExp]> = [
    ['garbage', Buffer.from('not a log at all, just text\n'), /NOT_A_LOG/],
    ['empty', Buffer.alloc(0), /NOT_A_LOG|LOG_TRUNCATED/],
    ['flipped', Buffer.from(src.map((b, i) => (i === 40 ? b ^ 0xff : b))), /LOG_CORRUPT/],
    ['truncated', src.subarray(0, src.length - 5), /LOG_TRUNCATED|LOG_CORRUPT/],
    ['version', Buffer.concat([src.subarray(0, 6), Buffer.from([99, 0]), src.subarray(8)]), /LOG_VERSION|NOT_A_LOG/],
  ];
  for (const [name, bytes, code] of cases) {
    const file = path.join(dir, `${name}.lwlog`);
    await writeFile(file, bytes);
    const imp = await cli(['import', file, '--data', data]);
    assert.equal(imp.code, 1, `${name}: ${imp.stderr}`);
    assert.match(imp.stderr, code, name);
    const rep = await cli(['replay', file, '--no-pages', '--port', '0']);
    assert.equal(rep.code, 1, `${name} replay`);
    assert.match(rep.stderr, code, `${name} replay`);
  }
  const listed = await cli(['runs', '--data', data, '--json']);
  assert.deepEqual(JSON.parse(listed.stdout).runs, []);
});

test('malformed .npy files are rejected with their NPY_ code', async () => {
  const dir = await tempDir();
  const good = writeNpy(
    new Float32Array(12).map((_, i) => Math.sin(i)),
    [3, 4],
  );
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['magic', new TextEncoder().encode('PK\x03\x04 zip file'), /NPY_BAD_MAGIC/],
    ['truncated', good.subarray(0, good.length - 8), /NPY_TRUNCATED/],
    ['header-len', Uint8Array.from([...good.subarray(0, 8), 0xff, 0xff, ...good.subarray(10)]), /NPY_TRUNCATED|NPY_BAD_HEADER/],
    ['dtype', npy("{'descr': '|O', 'fortran_order': False, 'shape': (3, 4), }"), /NPY_UNSUPPORTED_DTYPE/],
    ['huge-shape', npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }"), /NPY_TRUNCATED|NPY_BAD_HEADER/],
    ['bad-shape', npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-3, 4), }"), /NPY_BAD_HEADER/],
    ['fortran', npy("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 4), }"), /NPY_FORTRAN_ORDER/],
    ['trailing', Uint8Array.from([...good, 1, 2, 3, 4]), /NPY_TRAILING_DATA/],
  ];
  const b = path.join(dir, 'b.npy');
  await writeFile(b, good);
  for (const [name, bytes, code] of cases) {
    const a = path.join(dir, `${name}.npy`);
    await writeFile(a, bytes);
    const r = await cli(['similarity', a, b, '--metric', 'cka']);
    assert.notEqual(r.code, 0, name);
    assert.match(r.stderr, code, `${name}: ${r.stderr}`);
  }
});

test('NaN/Inf activations: a per-layer warning to the trainer and the viewer, excluded from analysis, never a NaN in the views', async () => {
  const built = buildRun({ layers: 3, units: 6, examples: 24 });
  const warnings: Array<{ layer: string; step: number }> = [];
  const c = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'nan' }, onWarning: (w) => warnings.push(w) });
  await c.declare(built.layers, built.probe);
  for (let step = 1; step <= 5; step++) {
    const cp = buildCheckpoint(built, step);
    if (step === 3) {
      cp[1].data[0] = Number.NaN;
      cp[1].data[5] = Number.POSITIVE_INFINITY;
    }
    const ack = await c.checkpoint(step, cp);
    assert.equal(ack.step, step, 'the data is still stored');
  }
  await c.end();
  await c.close();
  assert.deepEqual(
    warnings.map((w) => [w.layer, w.step]),
    [['l1', 3]],
  );
  await server.analysis.idle();

  const live = await LiveClient.connect({ url: server.liveUrl });
  live.subscribe(`run:${c.runId}`);
  const snap = await live.waitFor((m) => m.type === 'snapshot');
  live.close();
  assert.equal(snap.type, 'snapshot');
  if (snap.type !== 'snapshot' || !snap.run) return assert.fail('no run snapshot');
  const visible = snap.run.warnings.filter((w) => w.code === 'NON_FINITE');
  assert.equal(visible.length, 1);
  assert.deepEqual([visible[0].layer, visible[0].step], ['l1', 3]);
  assert.match(visible[0].message, /2 of 144 values are NaN or Inf/);
  const grids = snap.run.analysis?.convergence?.grids ?? {};
  assert.ok(Object.keys(grids).length > 0, 'convergence was computed');
  for (const [metric, g] of Object.entries(grids) as Array<[string, ConvergenceGrid]>) {
    const col = g.steps.indexOf(3);
    for (const rows of [g.toNewest, g.stability])
      for (const row of rows) for (const v of row) assert.ok(v === null || Number.isFinite(v), `${metric}: no NaN in the grid`);
    assert.equal(g.toNewest[1][col], null, `${metric}: l1 at step 3 is excluded`);
    assert.ok(typeof g.toNewest[0][col] === 'number', `${metric}: l0 at step 3 is still computed`);
  }
  const exported = await cli(['export', c.runId, '--data', server.dataDir, '--json', '--metric', 'svcca']);
  assert.equal(exported.code, 0, exported.stderr);
  const out = JSON.parse(exported.stdout);
  assert.equal(out.convergence.toFinal[1][2], null, 'offline analysis excludes it too');
  assert.ok(!exported.stdout.includes('NaN'));
});

/** A version-1 .npy header with `dict`, padded as numpy pads it, and no data. */
function npy(dict: string): Buffer {
  const len = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
  const head = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
  head.writeUInt16LE(len, 8);
  return Buffer.concat([head, Buffer.from(`${dict.padEnd(len - 1, ' ')}\n`, 'latin1')]);
}
