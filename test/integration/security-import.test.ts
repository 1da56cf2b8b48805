/**
 * Hostile run logs at every entry point: `layerwatch import`, `layerwatch replay`, POST /api/import (the dashboard's
 * drag-and-drop) and a data directory holding bad records. Each bad log is refused whole with LOG_INVALID and its
 * reason (one line, no stack), nothing is stored, an upload is not read past its first impossible record, and the
 * server stays up and serves a real trainer afterwards.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { IngestClient } from '../../clients/node/ingest-client';
import { LiveClient } from '../../clients/node/live-client';
import { RunSnapshot } from '../../lib/protocol';
import { RunIndex } from '../../server/storage/run-index';
import { buildCheckpoint, buildRun } from '../fixtures/build-run';
import { craftLog, event, msg, validRunRecords } from '../fixtures/craft-log';
import { HOSTILE_LOGS } from '../fixtures/hostile-logs';
import { runCli, startTestServer, tempDir, type TestServer } from './helpers/server';

let server: TestServer;
let files: string;

before(async () => {
  server = await startTestServer();
  files = await tempDir();
});
after(async () => {
  await server.close();
});

const cli = runCli;

const upload = (body: Uint8Array | ReadableStream<Uint8Array>, name = 'x.lwlog', init: RequestInit = {}) =>
  fetch(`${server.url}/api/import`, {
    method: 'POST',
    body: body instanceof Uint8Array ? new Uint8Array(body) : body,
    headers: { 'x-filename': name, 'content-type': 'application/octet-stream' },
    ...init,
  });

/** A real trainer still gets every checkpoint acknowledged. */
async function trainerServed(): Promise<void> {
  const built = buildRun({ layers: 2, units: 4, examples: 12 });
  const c = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'after the hostile logs' } });
  await c.declare(built.layers, built.probe);
  for (let step = 1; step <= 2; step++) assert.equal((await c.checkpoint(step, buildCheckpoint(built, step))).step, step);
  await c.end();
  await c.close();
}

test('POST /api/import: every crafted bad log is 400 LOG_INVALID with its reason; nothing stored; the server serves a trainer after', async () => {
  const before = server.registry.list().length;
  for (const bad of HOSTILE_LOGS) {
    const res = await upload(bad.bytes(), `${bad.name}.lwlog`);
    const body = (await res.json()) as { error?: { code: string; reason?: string; message: string } };
    assert.equal(res.status, 400, bad.name);
    assert.deepEqual([body.error?.code, body.error?.reason], ['LOG_INVALID', bad.reason], `${bad.name}: ${body.error?.message}`);
  }
  assert.equal(server.registry.list().length, before);
  assert.deepEqual(
    (await readdir(server.dataDir)).filter((n) => n.startsWith('.import-')),
    [],
  );
  const ok = await upload(craftLog(validRunRecords({ id: 'uploaded-ok' }).records), 'ok.lwlog');
  assert.equal(ok.status, 200);
  await trainerServed();
});

test('POST /api/import: a gigabyte of zeros after a valid start is refused at the first bad record, without reading the rest of the upload', async () => {
  const start = craftLog(validRunRecords({ id: 'zeros-upload', checkpoints: 1, end: false }).records);
  const chunk = new Uint8Array(1 << 20);
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === 0) controller.enqueue(start);
      if (sent >= 1024 ** 3) return controller.close();
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
  const res = await upload(body, 'zeros.lwlog', { duplex: 'half' } as RequestInit);
  const answer = (await res.json()) as { error: { code: string } };
  assert.equal(res.status, 400);
  assert.equal(answer.error.code, 'LOG_CORRUPT');
  assert.ok(sent < 64 * 1024 ** 2, `the client got to send ${sent} bytes before the answer`);
  assert.equal(server.registry.index.get('zeros-upload'), undefined);
  assert.deepEqual(
    (await readdir(server.dataDir)).filter((n) => n.startsWith('.import-')),
    [],
  );
  await trainerServed();
});

test('POST /api/import: an upload announcing more than 4 GiB is 413 LIMIT_IMPORT_BYTES before any byte is read', async () => {
  const { port } = new URL(server.url);
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/import',
        headers: { 'content-length': String(5 * 1024 ** 3), 'content-type': 'application/octet-stream' },
      },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.write(craftLog([]));
  });
  assert.equal(answer.status, 413);
  assert.equal(JSON.parse(answer.body).error.code, 'LIMIT_IMPORT_BYTES');
});

test('POST /api/import: a client that sends its whole body before reading gets the 400 with its code, not a reset', { timeout: 60_000 }, async () => {
  // A bad file header, then 24 MiB more written chunk by chunk after the server has refused the upload, as fetch, curl
  // or Python's requests do: the server reads and drops the rest, then answers, instead of resetting the socket.
  const { port } = new URL(server.url);
  const rest = 24 * 1024 * 1024;
  const head = Buffer.alloc(64 * 1024, 0x41);
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/api/import',
      headers: { 'content-length': String(head.length + rest), 'content-type': 'application/octet-stream' },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    void (async () => {
      const write = (b: Buffer) => new Promise<void>((ok, fail) => req.write(b, (err) => (err ? fail(err) : ok())));
      await write(head);
      for (let written = 0; written < rest; written += 64 * 1024) await write(Buffer.alloc(64 * 1024));
      req.end();
    })().catch(reject);
  });
  assert.equal(answer.status, 400);
  assert.equal(JSON.parse(answer.body).error.code, 'NOT_A_LOG');
  await trainerServed();
});

test('layerwatch import and replay: the cases of the report are refused with one line naming LOG_INVALID and the reason, no stack', async () => {
  const data = await tempDir();
  const reported = ['header-only', '100k-layers', 'giga-layer', 'shape-mismatch', 'duplicate-checkpoint', 'null-event', 'warning-object-fields', 'deep-config'];
  for (const name of reported) {
    const bad = HOSTILE_LOGS.find((h) => h.name === name)!;
    const file = path.join(files, `${name}.lwlog`);
    await writeFile(file, bad.bytes());
    const imp = await cli(['import', file, '--data', data]);
    assert.equal(imp.code, 1, `${name}: ${imp.stderr}`);
    assert.match(imp.stderr, new RegExp(`^layerwatch import: LOG_INVALID: .*${bad.reason}`), name);
    assert.equal(imp.stderr.trim().split('\n').length, 1, `${name}: one line, no stack: ${imp.stderr}`);
  }
  for (const name of ['null-event', 'deep-config']) {
    const rep = await cli(['replay', path.join(files, `${name}.lwlog`), '--no-pages', '--port', '0']);
    assert.equal(rep.code, 1, `${name} replay`);
    assert.match(rep.stderr, /LOG_INVALID/, `${name} replay`);
  }
  assert.deepEqual(JSON.parse((await cli(['runs', '--data', data, '--json'])).stdout).runs, []);
  // The limits are the serve flags: raised, the log that was too wide imports.
  const wide = path.join(files, 'wide.lwlog');
  await writeFile(wide, craftLog([msg({ type: 'hello', protocol: 1, run: { id: 'wide' } }), msg({ type: 'layers', layers: [{ name: 'w', units: 70_000 }] })]));
  assert.equal((await cli(['import', wide, '--data', data])).code, 1);
  const raised = await cli(['import', wide, '--data', data, '--max-units', '100000', '--json']);
  assert.equal(raised.code, 0, raised.stderr);
  assert.equal(JSON.parse(raised.stdout).run.id, 'wide');
  // --max-classes too (a label is its own class count without class names).
  const labelled = path.join(files, 'labelled.lwlog');
  await writeFile(labelled, craftLog([msg({ type: 'hello', protocol: 1, run: { id: 'labelled' } }), msg({ type: 'probe', examples: 1, labels: [1500] })]));
  assert.match((await cli(['import', labelled, '--data', data])).stderr, /^layerwatch import: LOG_INVALID: .*LIMIT_CLASSES/);
  const moreClasses = await cli(['import', labelled, '--data', data, '--max-classes', '2000', '--json']);
  assert.equal(moreClasses.code, 0, moreClasses.stderr);
});

test('a data directory holding bad records: the run still opens (bad records left out, said in a warning) and the server stays up', async () => {
  const dataDir = await tempDir();
  const { records } = validRunRecords({ id: 'tampered', checkpoints: 2 });
  const tampered = [
    ...records.slice(0, 3),
    event(null),
    event({ type: 'warning', warning: { code: { x: 1 }, message: { y: 2 } } }),
    msg({ type: 'layers', layers: Array.from({ length: 100_000 }, (_, i) => ({ name: `x${i}`, units: 1 })) }),
    ...records.slice(3),
  ];
  const index = await RunIndex.open(dataDir);
  await index.create({ id: 'tampered', name: 'tampered', status: 'finished', createdAt: 1, checkpoints: 2, lastStep: 20, layers: 2, bytes: 0 });
  await index.flush();
  await writeFile(path.join(dataDir, 'runs', 'tampered', 'log.lwlog'), craftLog(tampered));
  const own = await startTestServer({ dataDir });
  try {
    const live = await LiveClient.connect({ url: own.liveUrl, validate: true });
    live.subscribe('run:tampered');
    const snap = await live.waitFor((m) => m.type === 'snapshot' || m.type === 'error');
    live.close();
    assert.equal(snap.type, 'snapshot', JSON.stringify(snap).slice(0, 300));
    const run = RunSnapshot.parse((snap as { run?: unknown }).run);
    assert.deepEqual(
      run.layers.map((l) => l.name),
      ['l0', 'l1'],
    );
    assert.deepEqual(run.checkpoints.steps, [10, 20]);
    const warning = run.warnings.find((w) => w.code === 'BAD_RECORD');
    assert.match(warning?.message ?? '', /^3 stored record\(s\) break the protocol's rules/);
    const c = await IngestClient.connect({ url: own.ingestUrl, run: { name: 'still served' } });
    const built = buildRun({ layers: 1, units: 3, examples: 5 });
    await c.declare(built.layers, built.probe);
    assert.equal((await c.checkpoint(1, buildCheckpoint(built, 1))).step, 1);
    await c.close();
  } finally {
    await own.close();
  }
});
