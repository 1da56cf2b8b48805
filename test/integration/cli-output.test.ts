/**
 * What the CLI prints (issue 21): user data never reaches the terminal as control characters (item 7), refusals are one
 * line with a code and never a stack trace, and the exit codes follow one rule: 2 for a wrong command line, 1 for a
 * well-formed one naming something invalid or unavailable.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { IngestClient } from '../../clients/node/ingest-client';
import { buildCheckpoint, buildRun } from '../fixtures/build-run';
import { CLI, startTestServer, tempDir, type TestServer } from './helpers/server';

const exec = promisify(execFile);
/** Clear screen, red, an OSC window title, a one-byte C1 CSI, and a right-to-left override. */
const HOSTILE_NAME = '\u001b[2J\u001b[31mred\u001b]0;pwned\u0007 \u009b31m \u202eevil';
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
let server: TestServer;
let runId: string;

before(async () => {
  server = await startTestServer();
  const built = buildRun({ layers: 2, units: 4, examples: 10 });
  const c = await IngestClient.connect({ url: server.ingestUrl, run: { name: HOSTILE_NAME } });
  await c.declare(built.layers, built.probe);
  await c.checkpoint(1, buildCheckpoint(built, 1));
  await c.end();
  await c.close();
  runId = c.runId;
  await server.registry.index.flush();
});
after(async () => {
  await server.close();
});

const cli = (args: string[]) =>
  exec(process.execPath, [CLI, ...args], { timeout: 120_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

test('runs: a run name with ESC sequences, an OSC title, C1 and bidi controls is printed escaped, in the table and in --json', async () => {
  const table = await cli(['runs', '--data', server.dataDir]);
  assert.equal(table.code, 0, table.stderr);
  assert.doesNotMatch(table.stdout, RAW_CONTROL);
  assert.ok(table.stdout.includes('\\x1b[2J\\x1b[31mred\\x1b]0;pwned\\x07 \\x9b31m \\u202eevil'), table.stdout);
  const json = await cli(['runs', '--data', server.dataDir, '--json']);
  assert.doesNotMatch(json.stdout, RAW_CONTROL);
  assert.equal(JSON.parse(json.stdout).runs[0].name, HOSTILE_NAME, 'JSON keeps the exact name (as \\u escapes)');
});

test('export, import and their errors print user data escaped too', async () => {
  const exported = await cli(['export', runId, '--data', server.dataDir, '--json']);
  assert.equal(exported.code, 0, exported.stderr);
  assert.doesNotMatch(exported.stdout, RAW_CONTROL);
  assert.equal(JSON.parse(exported.stdout).run.name, HOSTILE_NAME);
  const dir = await tempDir();
  const file = path.join(dir, '\u001b[2Jlog\u009b.lwlog');
  await copyFile(path.join(server.dataDir, 'runs', runId, 'log.lwlog'), file);
  const imported = await cli(['import', file, '--data', await tempDir()]);
  assert.equal(imported.code, 0, imported.stderr);
  assert.doesNotMatch(imported.stdout, RAW_CONTROL);
  assert.match(imported.stdout, /\\x1b\[2Jlog\\x9b\.lwlog/);
  const missing = await cli(['import', path.join(dir, '\u001b]0;title\u0007.lwlog'), '--data', dir]);
  assert.equal(missing.code, 1);
  assert.doesNotMatch(missing.stderr, RAW_CONTROL);
  assert.match(missing.stderr, /^layerwatch import: NOT_A_LOG: .*\\x1b\]0;title\\x07\.lwlog/);
});

test('exit codes: 2 for a wrong command line, 1 with a code for a bad value (export and import alike)', async () => {
  const cases: Array<[string[], number, RegExp]> = [
    [['export', '--data', server.dataDir, '--json'], 2, /a run id is needed/],
    [['export', runId, '--data', server.dataDir, '--bogus'], 2, /unknown flag --bogus/],
    [['export', 'Bad/Id', '--data', server.dataDir, '--json'], 1, /^layerwatch export: BAD_RUN_ID: /],
    [['export', 'no-such-run', '--data', server.dataDir, '--json'], 1, /^layerwatch export: RUN_NOT_FOUND: /],
    [['export', runId, '--data', '/nonexistent/layerwatch', '--json'], 1, /^layerwatch export: NO_DATA_DIR: /],
    [['import', '/nonexistent/x.lwlog', '--data', server.dataDir, '--id', 'Bad/Id'], 1, /^layerwatch import: BAD_RUN_ID: /],
    [['simulate', '--url', 'http://not-a-websocket'], 2, /--url must be a ws:\/\/ or wss:\/\/ address/],
  ];
  for (const [args, code, stderr] of cases) {
    const r = await cli(args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, stderr);
    if (code === 1) assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
});

test('simulate against a server that refuses it (HTTP 503 from a proxy, SERVER_FULL from a full collector): one line with a code, exit 1, no stack trace', async () => {
  const proxy = createServer((_req, res) => {
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end('upstream unavailable\n');
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  const full = await startTestServer({ connectionLimits: { maxIngestConnections: 1 } });
  const holder = await IngestClient.connect({ url: full.ingestUrl, run: { name: 'holds the only slot' } });
  try {
    const port = (proxy.address() as AddressInfo).port;
    const refused = await cli(['simulate', '--url', `ws://127.0.0.1:${port}/ingest`, '--checkpoints', '1', '--quiet']);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr.trim(), 'layerwatch simulate: UPGRADE_REFUSED: the server refused the websocket (HTTP 503 upstream unavailable)');
    const busy = await cli(['simulate', '--url', full.ingestUrl, '--checkpoints', '1', '--quiet']);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr.trim(), /^layerwatch simulate: SERVER_FULL: the server already serves 1 trainers \(--max-ingest-connections\); reconnect later$/);
  } finally {
    await holder.close();
    await full.close();
    await new Promise((r) => proxy.close(r));
  }
});
