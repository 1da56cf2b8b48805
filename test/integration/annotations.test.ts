/**
 * PATCH /api/runs/RUN (tags and notes): stored in the run's log and meta, survives a restart and export → import,
 * listed by `layerwatch runs --json`; bad input (huge notes, control characters, 10,000 tags, a huge body, a wrong
 * token, a cross-site request) gets one-line errors with stable codes and changes nothing.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { IngestClient } from '../../clients/node/ingest-client';
import { MAX_NOTES_CHARS, type RunMeta } from '../../lib/protocol';
import { RECORD_KIND } from '../../server/runs/records';
import { readRunLog } from '../../server/storage/run-log-reader';
import { buildCheckpoint, buildRun } from '../fixtures/build-run';
import { runCli, startTestServer, tempDir, type TestServer } from './helpers/server';

let server: TestServer;

/** A small finished run with a config and two scalars. */
async function streamRun(url: string, name: string, opts: { end?: boolean } = {}): Promise<{ id: string; client: IngestClient }> {
  const built = buildRun({ layers: 2, units: 4, examples: 12 });
  const client = await IngestClient.connect({ url, run: { name, config: { optimizer: { lr: 0.01 } } } });
  await client.declare(built.layers, built.probe);
  await client.checkpoint(1, buildCheckpoint(built, 1));
  await client.log(1, { loss: 0.5, acc: 0.8 });
  if (opts.end !== false) {
    await client.end();
    await client.close();
  }
  return { id: client.runId, client };
}

interface Answer {
  status: number;
  body: { run?: RunMeta; error?: { code: string; message: string } };
}

/** A raw PATCH (http.request: Host and Origin as a browser would send them). */
function patch(base: string, id: string, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(`/api/runs/${id}`, base);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'PATCH', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer['body'] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function annotationsInLog(file: string): Promise<number> {
  let n = 0;
  for await (const rec of readRunLog(file, { kinds: [RECORD_KIND.event] })) if (JSON.parse(Buffer.from(rec.payload).toString()).type === 'annotation') n++;
  return n;
}

before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.close();
});

test('PATCH sets tags and notes: answered, in GET /api/runs/RUN, in the run list topic and in the log', async () => {
  const { id } = await streamRun(server.ingestUrl, 'tagged');
  const res = await patch(server.url, id, JSON.stringify({ tags: ['baseline', ' lr-sweep ', 'baseline'], notes: 'first try\n\twith a tab' }));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body.run?.tags, ['baseline', 'lr-sweep']);
  assert.equal(res.body.run?.notes, 'first try\n\twith a tab');
  const got = (await (await fetch(`${server.url}/api/runs/${id}`)).json()) as { run: RunMeta };
  assert.deepEqual([got.run.tags, got.run.notes], [['baseline', 'lr-sweep'], 'first try\n\twith a tab']);
  assert.deepEqual(got.run.latest, { loss: 0.5, acc: 0.8 });
  assert.equal(await annotationsInLog(server.registry.logPath(id)), 1);
  // Searchable at once: the overview's index heard the change.
  const found = (await (await fetch(`${server.url}/api/overview?q=${encodeURIComponent('tag:lr-sweep first')}`)).json()) as { rows: RunMeta[] };
  assert.deepEqual(
    found.rows.map((r) => r.id),
    [id],
  );
  // Only the notes: the tags stay.
  const notesOnly = await patch(server.url, id, JSON.stringify({ notes: 'second' }));
  assert.deepEqual([notesOnly.body.run?.tags, notesOnly.body.run?.notes], [['baseline', 'lr-sweep'], 'second']);
  // The run's state (a view opened now) reads the log's last annotation.
  const state = await server.registry.load(id);
  assert.deepEqual([state?.meta.tags, state?.meta.notes], [['baseline', 'lr-sweep'], 'second']);
});

test('bad input: one-line errors with stable codes; nothing changes', async () => {
  const { id } = await streamRun(server.ingestUrl, 'guarded');
  assert.equal((await patch(server.url, id, JSON.stringify({ tags: ['keep'], notes: 'kept' }))).status, 200);
  const cases: Array<[string, string, Record<string, string>, number, string]> = [
    ['huge notes', JSON.stringify({ notes: 'x'.repeat(MAX_NOTES_CHARS + 1) }), {}, 400, 'NOTES_TOO_LONG'],
    ['a control character in the notes', JSON.stringify({ notes: 'bell\u0007' }), {}, 400, 'CONTROL_CHARACTER'],
    ['an escape sequence in the notes', JSON.stringify({ notes: '\u001b[31mred' }), {}, 400, 'CONTROL_CHARACTER'],
    ['a control character in a tag', JSON.stringify({ tags: ['a\u0000b'] }), {}, 400, 'BAD_TAG'],
    ['a tag with a space', JSON.stringify({ tags: ['two words'] }), {}, 400, 'BAD_TAG'],
    ['an empty tag', JSON.stringify({ tags: ['  '] }), {}, 400, 'BAD_TAG'],
    ['a 65-character tag', JSON.stringify({ tags: ['t'.repeat(65)] }), {}, 400, 'BAD_TAG'],
    ['10,000 tags', JSON.stringify({ tags: Array.from({ length: 10_000 }, (_, i) => `t${i}`) }), {}, 400, 'TOO_MANY_TAGS'],
    ['a tag that is a number', JSON.stringify({ tags: [1] }), {}, 400, 'BAD_ANNOTATION'],
    ['an unknown field', JSON.stringify({ tags: [], colour: 'red' }), {}, 400, 'BAD_ANNOTATION'],
    ['an empty patch', '{}', {}, 400, 'BAD_ANNOTATION'],
    ['an array body', '[]', {}, 400, 'BAD_ANNOTATION'],
    ['not JSON', '{"tags": [', {}, 400, 'BAD_JSON'],
    ['a form post', 'tags=a', { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'BAD_CONTENT_TYPE'],
    ['a 1 MiB body', JSON.stringify({ notes: 'y'.repeat(1 << 20) }), {}, 413, 'BODY_TOO_LARGE'],
    ['a cross-site request', JSON.stringify({ tags: ['evil'] }), { origin: 'http://evil.example' }, 403, 'CROSS_ORIGIN'],
  ];
  for (const [what, body, headers, status, code] of cases) {
    const res = await patch(server.url, id, body, headers);
    assert.deepEqual([res.status, res.body.error?.code], [status, code], `${what}: ${JSON.stringify(res.body).slice(0, 200)}`);
    assert.ok(res.body.error!.message.length > 0 && !res.body.error!.message.includes('\n') && res.body.error!.message.length < 300, `${what}: one short line`);
  }
  assert.deepEqual((await patch(server.url, 'no-such-run', '{"tags":[]}')).body.error?.code, 'RUN_NOT_FOUND');
  assert.deepEqual((await patch(server.url, '..%2Fetc', '{"tags":[]}')).body.error?.code, 'BAD_RUN_ID');
  const meta = server.registry.index.get(id)!;
  assert.deepEqual([meta.tags, meta.notes], [['keep'], 'kept']);
  assert.equal(await annotationsInLog(server.registry.logPath(id)), 1);
});

test("a live run: the annotation joins its log between the trainer's records and survives a restart", async () => {
  const dataDir = await tempDir();
  const first = await startTestServer({ dataDir });
  const { id, client } = await streamRun(first.ingestUrl, 'streaming', { end: false });
  const res = await patch(first.url, id, JSON.stringify({ tags: ['live'] }));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.run?.status, 'live');
  await client.log(2, { loss: 0.25 });
  await client.end();
  await client.close();
  await first.close();
  const second = await startTestServer({ dataDir });
  try {
    const meta = second.registry.index.get(id)!;
    assert.deepEqual([meta.status, meta.tags, meta.notes, meta.latest?.loss], ['finished', ['live'], '', 0.25]);
  } finally {
    await second.close();
  }
});

test('a wrong or missing view token is 401 and changes nothing; the right one works', async () => {
  const guarded = await startTestServer({ viewToken: 'secret-view' });
  try {
    const { id } = await streamRun(guarded.ingestUrl, 'private');
    const body = JSON.stringify({ tags: ['x'] });
    assert.deepEqual((await patch(guarded.url, id, body)).body.error?.code, 'UNAUTHORIZED');
    assert.equal((await patch(guarded.url, id, body, { authorization: 'Bearer wrong' })).status, 401);
    assert.equal(guarded.registry.index.get(id)!.tags, undefined);
    const ok = await patch(guarded.url, id, body, { authorization: 'Bearer secret-view' });
    assert.deepEqual([ok.status, ok.body.run?.tags], [200, ['x']]);
  } finally {
    await guarded.close();
  }
});

test('tags and notes survive export → import; `layerwatch runs --json` lists them', async () => {
  const { id } = await streamRun(server.ingestUrl, 'exported');
  await patch(server.url, id, JSON.stringify({ tags: ['baseline', 'ünïcode'], notes: 'carried over' }));
  const out = path.join(await tempDir(), 'run.lwlog');
  const exported = await runCli(['export', id, '--data', server.dataDir, '--log', '-o', out]);
  assert.equal(exported.code, 0, exported.stderr);
  const other = await tempDir();
  const imported = await runCli(['import', out, '--data', other]);
  assert.equal(imported.code, 0, imported.stderr);
  const listed = await runCli(['runs', '--data', other, '--json']);
  const runs = (JSON.parse(listed.stdout) as { runs: Array<{ name: string; tags: string[]; notes: string }> }).runs;
  assert.deepEqual(
    runs.map((r) => [r.name, r.tags, r.notes]),
    [['exported', ['baseline', 'ünïcode'], 'carried over']],
  );
});
