/**
 * Cross-site websocket hijacking (issue 21, item 2): a browser sends Origin with every websocket upgrade, so a web page
 * elsewhere is refused on /ingest and /live (403 CROSS_ORIGIN, before any message) even on a server without tokens.
 * Trainers (no Origin), the server's own pages (Origin host = Host) and --allowed-origins pass. The Chromium side of
 * this is test/e2e/cross-origin.spec.ts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { IngestClient } from '../../clients/node/ingest-client';
import { buildCheckpoint, buildRun } from '../fixtures/build-run';
import { rawSocket } from './helpers/raw-socket';
import { CLI, startChildServer, startTestServer, tempDir, type TestServer } from './helpers/server';

const exec = promisify(execFile);
const built = buildRun({ layers: 2, units: 4, examples: 10 });
let server: TestServer;

before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.close();
});

/** The upgrade's outcome: 'open' (the server's /live welcome or an /ingest socket), or the HTTP status that refused it. */
async function upgrade(url: string, origin?: string): Promise<'open' | number> {
  return rawSocket(url, origin === undefined ? {} : { headers: { origin } }).then(
    (c) => {
      c.ws.close();
      return 'open' as const;
    },
    (err: { status?: number }) => err.status ?? -1,
  );
}

test('a page on another origin gets 403 on /ingest and /live, without tokens; no run is created', async () => {
  const before = server.registry.list().length;
  for (const origin of ['http://evil.example', 'http://127.0.0.1.evil.example', `http://localhost:${server.port + 1}`, 'null', 'file://', 'not a url']) {
    assert.equal(await upgrade(server.ingestUrl, origin), 403, origin);
    assert.equal(await upgrade(server.liveUrl, origin), 403, origin);
  }
  assert.equal(server.registry.list().length, before);
});

test("trainers (no Origin) and the server's own pages (Origin host = Host) are let in", async () => {
  const host = new URL(server.url).host;
  assert.equal(await upgrade(server.liveUrl), 'open');
  assert.equal(await upgrade(server.liveUrl, `http://${host}`), 'open');
  assert.equal(await upgrade(server.ingestUrl, `http://${host}`), 'open');
  const client = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'no origin' } });
  await client.declare(built.layers, built.probe);
  assert.equal((await client.checkpoint(1, buildCheckpoint(built, 1))).step, 1);
  await client.end();
  await client.close();
});

test('--allowed-origins lets named origins in (exactly: scheme, host and port), * lets any in', async () => {
  const named = await startTestServer({ allowedOrigins: ['http://localhost:5173'] });
  const any = await startTestServer({ allowedOrigins: ['*'] });
  try {
    assert.equal(await upgrade(named.liveUrl, 'http://localhost:5173'), 'open');
    assert.equal(await upgrade(named.ingestUrl, 'http://localhost:5173'), 'open');
    assert.equal(await upgrade(named.liveUrl, 'http://localhost:5174'), 403);
    assert.equal(await upgrade(named.liveUrl, 'https://localhost:5173'), 403);
    assert.equal(await upgrade(any.liveUrl, 'http://evil.example'), 'open');
  } finally {
    await named.close();
    await any.close();
  }
});

test('serve: --allowed-origins and LAYERWATCH_ALLOWED_ORIGINS reach the server; a malformed origin is a usage error', async () => {
  const dataDir = await tempDir();
  const child = await startChildServer(dataDir, [], 0, { LAYERWATCH_ALLOWED_ORIGINS: 'http://tool.test:8080, http://localhost:5173' });
  try {
    assert.equal(await upgrade(child.liveUrl, 'http://tool.test:8080'), 'open');
    assert.equal(await upgrade(child.liveUrl, 'http://evil.example'), 403);
  } finally {
    child.child.kill('SIGKILL');
  }
  for (const bad of ['localhost:5173', 'http://x.test/path', 'ftp://x.test', '']) {
    const r = await exec(process.execPath, [CLI, 'serve', '--no-pages', '--port', '0', '--data', dataDir, '--allowed-origins', bad]).then(
      () => assert.fail(`should refuse ${bad}`),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(r.code, 2, bad);
    assert.match(r.stderr, /--allowed-origins takes a comma-separated list of origins/);
  }
});
