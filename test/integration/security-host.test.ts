/** DNS rebinding guard: a loopback server answers HTTP and websocket upgrades only when addressed by a loopback name or an --allowed-hosts name. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { hostHeaderName } from '../../server/http/auth';
import { CLI, startTestServer, type TestServer } from './helpers/server';

const exec = promisify(execFile);

/** A request to the server's socket with a chosen Host header (fetch cannot set Host). Upgrades resolve with 101 or the refusal. */
function withHost(server: TestServer, path: string, host: string | undefined, upgrade = false): Promise<{ status: number; body: string }> {
  const { port } = new URL(server.url);
  const headers: Record<string, string> = upgrade
    ? { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }
    : {};
  if (host !== undefined) headers.host = host;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, setHost: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '' });
    });
    req.on('error', reject);
    req.end();
  });
}

test('host names: ports, IPv6 brackets and case are normalised; garbage is null', () => {
  assert.equal(hostHeaderName('Example.COM:8080'), 'example.com');
  assert.equal(hostHeaderName('[::1]:3000'), '::1');
  assert.equal(hostHeaderName('127.0.0.1'), '127.0.0.1');
  assert.equal(hostHeaderName('a b'), null);
});

test('a loopback server without tokens refuses other host names on /api, pages and both websockets; loopback names pass', async () => {
  const server = await startTestServer();
  try {
    const port = new URL(server.url).port;
    for (const path of ['/api/runs', '/api/health', '/']) {
      const evil = await withHost(server, path, `rebind.evil.example:${port}`);
      assert.equal(evil.status, 403, path);
      assert.equal(JSON.parse(evil.body).error.code, 'HOST_NOT_ALLOWED');
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`, `app.localhost:${port}`]) {
      assert.equal((await withHost(server, '/api/runs', host)).status, 200, host);
    }
    for (const path of ['/live', '/ingest']) {
      assert.equal((await withHost(server, path, `rebind.evil.example:${port}`, true)).status, 403, path);
      assert.equal((await withHost(server, path, `localhost:${port}`, true)).status, 101, path);
    }
  } finally {
    await server.close();
  }
});

test('--allowed-hosts adds names (ports ignored); * turns the check off', async () => {
  const some = await startTestServer({ allowedHosts: ['dash.example', 'tunnel.example:8443'] });
  const any = await startTestServer({ allowedHosts: ['*'] });
  try {
    const port = new URL(some.url).port;
    assert.equal((await withHost(some, '/api/runs', `dash.example:${port}`)).status, 200);
    assert.equal((await withHost(some, '/api/runs', 'tunnel.example')).status, 200);
    assert.equal((await withHost(some, '/api/runs', `other.example:${port}`)).status, 403);
    assert.equal((await withHost(some, '/live', `dash.example:${port}`, true)).status, 101);
    assert.equal((await withHost(any, '/api/runs', 'anything.example')).status, 200);
  } finally {
    await some.close();
    await any.close();
  }
});

test('serve --allowed-hosts rejects a malformed list as a usage error', async () => {
  const res = await exec(process.execPath, [CLI, 'serve', '--no-pages', '--port', '0', '--allowed-hosts', 'bad host!']).catch(
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal((res as { code: number }).code, 2);
  assert.match((res as { stderr: string }).stderr, /--allowed-hosts takes a comma-separated list/);
});
