/** Tokens: --token gates /ingest, --view-token gates pages, /api and /live; tokens never leak; non-loopback needs tokens. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { IngestClient } from '../../clients/node/ingest-client';
import { startServer } from '../../server/app';
import { exposureProblem, isLoopbackHost, viewCookieValue, VIEW_COOKIE } from '../../server/http/auth';
import { readRunLog } from '../../server/storage/run-log-reader';
import { buildRun } from '../fixtures/build-run';
import { rawSocket } from './helpers/raw-socket';
import { CLI, ROOT, startChildServer, startTestServer, tempDir, type TestServer } from './helpers/server';

const exec = promisify(execFile);
const TOKEN = 'ingest-secret-Zq81';
const VIEW = 'view-secret-Kx42';
const logged: string[] = [];
let server: TestServer;

before(async () => {
  server = await startTestServer({ token: TOKEN, viewToken: VIEW, log: (l) => logged.push(l) });
});
after(async () => {
  await server.close();
});

const get = (p: string, headers: Record<string, string> = {}) => fetch(server.url + p, { headers, redirect: 'manual' });

test('/ingest: a missing or wrong token is UNAUTHORIZED (fatal, 1008); the right one opens a run whose log holds no token', async () => {
  for (const token of [undefined, 'wrong', `${TOKEN} `, '']) {
    const c = await rawSocket(server.ingestUrl);
    c.ws.send(JSON.stringify({ type: 'hello', protocol: 1, run: { name: 'intruder' }, ...(token !== undefined ? { token } : {}) }));
    const err = await c.next();
    assert.deepEqual([err.type, err.code, err.fatal], ['error', 'UNAUTHORIZED', true]);
    assert.ok(!String(err.message).includes(TOKEN));
    assert.equal((await c.closed).code, 1008);
  }
  assert.equal(server.registry.list().length, 0, 'no run was created');
  const client = await IngestClient.connect({ url: server.ingestUrl, token: TOKEN, run: { name: 'allowed' } });
  const built = buildRun({ layers: 1, units: 2, examples: 4 });
  await client.declare(built.layers, built.probe);
  await client.end();
  await client.close();
  const log = await readFile(path.join(server.dataDir, 'runs', client.runId, 'log.lwlog'));
  assert.ok(!log.includes(TOKEN), 'the token never reaches the disk');
  let hello: Record<string, unknown> | null = null;
  for await (const rec of readRunLog(path.join(server.dataDir, 'runs', client.runId, 'log.lwlog'))) {
    if (rec.kind === 1) {
      hello = JSON.parse(rec.payload.toString('utf8'));
      break;
    }
  }
  assert.equal(hello?.type, 'hello');
  assert.equal(hello?.token, undefined);
});

test('HTTP: without the view token pages and /api answer 401 (health stays open); a bearer token works', async () => {
  const api = await get('/api/runs');
  assert.equal(api.status, 401);
  assert.equal((await api.json()).error.code, 'UNAUTHORIZED');
  const page = await get('/runs/anything');
  assert.equal(page.status, 401);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  assert.equal((await get('/api/health')).status, 200);
  assert.equal((await get('/api/runs', { authorization: `Bearer ${VIEW}` })).status, 200);
  assert.equal((await get('/api/runs', { authorization: `Bearer ${TOKEN}` })).status, 401, 'the ingest token is not a view token');
});

test('HTTP: ?token= sets an HttpOnly SameSite=Strict cookie and redirects to the same URL without the token', async () => {
  const res = await get(`/runs/abc?step=5&token=${VIEW}&metric=cka`);
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/runs/abc?step=5&metric=cka');
  const cookie = res.headers.get('set-cookie') ?? '';
  assert.match(cookie, new RegExp(`^${VIEW_COOKIE}=`));
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  assert.match(cookie, /Path=\//);
  assert.ok(!cookie.includes(VIEW), 'the cookie holds an HMAC, not the token');
  const pair = cookie.split(';')[0];
  const ok = await get('/api/runs', { cookie: `other=1; ${pair}` });
  assert.equal(ok.status, 200);
  // Pages are off in this server: past the gate the request reaches the 404 of "pages are disabled".
  assert.equal((await get('/runs/abc', { cookie: pair })).status, 404);
  assert.equal((await get('/api/runs', { cookie: `${VIEW_COOKIE}=${viewCookieValue('other')}` })).status, 401);
});

test('HTTP: a wrong ?token= is a 401 that echoes nothing', async () => {
  const wrong = 'not-the-token-7731';
  for (const p of [`/?token=${wrong}`, `/api/runs?token=${wrong}`]) {
    const res = await get(p);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('set-cookie'), null);
    const body = await res.text();
    assert.ok(!body.includes(wrong) && !body.includes(VIEW) && !body.includes(TOKEN), `${p}: no token in the body`);
  }
});

test('/live: no credential or a wrong one get UNAUTHORIZED and close 1008; a foreign Origin is refused before the upgrade (403 CROSS_ORIGIN); cookie, bearer or ?token= get in', async () => {
  const refused: Array<{ url: string; headers: Record<string, string> }> = [
    { url: server.liveUrl, headers: {} },
    { url: `${server.liveUrl}?token=wrong`, headers: {} },
    { url: server.liveUrl, headers: { cookie: `${VIEW_COOKIE}=forged` } },
    { url: server.liveUrl, headers: { authorization: `Bearer ${TOKEN}` } },
  ];
  for (const { url, headers } of refused) {
    const c = await rawSocket(url, { headers });
    const err = await c.next();
    assert.deepEqual([err.type, err.code, err.fatal], ['error', 'UNAUTHORIZED', true], JSON.stringify(headers));
    assert.equal((await c.closed).code, 1008);
  }
  // Cross-site websocket hijacking: a valid cookie sent by a page on another origin gets no websocket at all.
  await assert.rejects(rawSocket(server.liveUrl, { headers: { cookie: `${VIEW_COOKIE}=${viewCookieValue(VIEW)}`, origin: 'http://evil.example' } }), {
    status: 403,
  });
  const host = new URL(server.url).host;
  const allowed: Array<{ url: string; headers: Record<string, string> }> = [
    { url: server.liveUrl, headers: { cookie: `${VIEW_COOKIE}=${viewCookieValue(VIEW)}`, origin: `http://${host}` } },
    { url: server.liveUrl, headers: { authorization: `Bearer ${VIEW}` } },
    { url: `${server.liveUrl}?token=${encodeURIComponent(VIEW)}`, headers: {} },
  ];
  for (const { url, headers } of allowed) {
    const c = await rawSocket(url, { headers });
    assert.equal((await c.next()).type, 'welcome');
    c.ws.send(JSON.stringify({ type: 'subscribe', topic: 'runs' }));
    assert.equal((await c.next()).type, 'snapshot');
    c.ws.close();
  }
});

test('tokens never appear in the server log', () => {
  const all = logged.join('\n');
  assert.ok(!all.includes(TOKEN) && !all.includes(VIEW));
});

test('a token-less server keeps /live and the API open (loopback default)', async () => {
  const open = await startTestServer();
  try {
    assert.equal((await fetch(`${open.url}/api/runs`)).status, 200);
    const c = await rawSocket(open.liveUrl);
    assert.equal((await c.next()).type, 'welcome');
    c.ws.close();
  } finally {
    await open.close();
  }
});

test('exposure: loopback is fine without tokens; any other host needs both tokens or --insecure', async () => {
  for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['0.0.0.0', '::', '192.168.1.4', 'example.com', '10.0.0.1']) assert.ok(!isLoopbackHost(h), h);
  assert.equal(exposureProblem('0.0.0.0', 't', 'v', false), null);
  assert.match(exposureProblem('0.0.0.0', 't', undefined, false)!, /--view-token/);
  assert.match(exposureProblem('0.0.0.0', undefined, 'v', false)!, /--token/);
  assert.equal(exposureProblem('0.0.0.0', undefined, undefined, true), null);

  const dataDir = await tempDir();
  await assert.rejects(startServer({ host: '0.0.0.0', port: 0, dataDir, pages: false, workers: 1, log: () => {} }), { code: 'INSECURE_BIND' });
  const insecure = await startServer({ host: '0.0.0.0', port: 0, dataDir, pages: false, workers: 1, log: () => {}, insecure: true });
  await insecure.close();

  const cli = await exec(process.execPath, [CLI, 'serve', '--no-pages', '--host', '0.0.0.0', '--port', '0', '--data', dataDir, '--token', TOKEN]).then(
    () => assert.fail('serve should refuse'),
    (err: { code: number; stderr: string; stdout: string }) => err,
  );
  assert.equal(cli.code, 2);
  assert.match(cli.stderr, /refusing to listen on 0\.0\.0\.0.*--view-token/);
  assert.ok(!cli.stderr.includes(TOKEN) && !cli.stdout.includes(TOKEN));
});

test('CLI: serve prints no token; simulate --token streams into it and fails clearly without', async () => {
  const dataDir = await tempDir();
  const child = await startChildServer(dataDir, ['--token', TOKEN, '--view-token', VIEW]);
  try {
    const base = ['simulate', '--url', child.ingestUrl, '--checkpoints', '2', '--layers', '2', '--units', '4', '--examples', '8', '--interval', '0', '--quiet'];
    const ok = await exec(process.execPath, [CLI, ...base, '--token', TOKEN]);
    assert.equal(ok.stderr, '');
    const viaEnv = await exec(process.execPath, [CLI, ...base], { env: { ...process.env, LAYERWATCH_TOKEN: TOKEN } });
    assert.equal(viaEnv.stderr, '');
    const refused = await exec(process.execPath, [CLI, ...base, '--token', 'wrong']).then(
      () => assert.fail('simulate with a wrong token should fail'),
      (err: { code: number; stderr: string }) => err,
    );
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /UNAUTHORIZED/);
    const runs = await fetch(`${child.url}/api/runs`, { headers: { authorization: `Bearer ${VIEW}` } }).then((r) => r.json());
    assert.equal(runs.runs.length, 2);
    const out = child.output();
    assert.match(out, /needs the view token/);
    assert.ok(!out.includes(TOKEN) && !out.includes(VIEW), 'the server output holds no token');
  } finally {
    child.child.kill('SIGKILL');
  }
});

test('the Python client sends token= (and $LAYERWATCH_TOKEN); a wrong one is fatal, not retried', {
  skip: !existsSync('/usr/bin/python3') && 'no /usr/bin/python3',
}, async () => {
  const script = [
    'import json, sys, layerwatch as lw',
    'run = lw.init(sys.argv[1], name="py-token", token=(sys.argv[2] or None), wait=10)',
    'ok = run.id is not None',
    'if ok:',
    '    run.log({"loss": 1.0}, step=1)',
    '    run.finish()',
    'print(json.dumps({"ok": ok, "id": run.id}))',
  ].join('\n');
  const py = (token: string, env: Record<string, string> = {}) =>
    exec('/usr/bin/python3', ['-c', script, server.ingestUrl, token], {
      timeout: 60_000,
      env: { ...process.env, PYTHONPATH: path.join(ROOT, 'clients/python'), ...env },
    });
  const good = JSON.parse((await py(TOKEN)).stdout.trim().split('\n').at(-1)!);
  assert.equal(good.ok, true);
  assert.equal(server.registry.index.get(good.id)?.status, 'finished');
  const viaEnv = JSON.parse((await py('', { LAYERWATCH_TOKEN: TOKEN })).stdout.trim().split('\n').at(-1)!);
  assert.equal(viaEnv.ok, true);
  const bad = await py('wrong');
  assert.equal(JSON.parse(bad.stdout.trim().split('\n').at(-1)!).ok, false);
  assert.ok(!bad.stderr.includes(TOKEN));
});

test('cross-site writes are refused: a POST with a foreign Origin gets 403 CROSS_ORIGIN, even without tokens', async () => {
  const open = await startTestServer();
  try {
    const evil = await fetch(`${open.url}/api/import`, {
      method: 'POST',
      headers: { origin: 'http://evil.example', 'content-type': 'text/plain' },
      body: 'LWLOG',
    });
    assert.equal(evil.status, 403);
    assert.equal((await evil.json()).error.code, 'CROSS_ORIGIN');
    const own = await fetch(`${open.url}/api/import`, { method: 'POST', headers: { origin: open.url }, body: 'not a log' });
    assert.equal(own.status, 400, 'same-origin requests reach the handler (which rejects the bad log)');
    assert.equal(open.registry.list().length, 0);
  } finally {
    await open.close();
  }
});
