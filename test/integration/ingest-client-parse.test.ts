/** The Node /ingest client reads server messages through the protocol's schema: an unreadable one is an error with a code, never a cast. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { IngestClient, IngestError } from '../../clients/node/ingest-client';
import { PROTOCOL_VERSION } from '../../lib/protocol';
import { DEFAULT_LIMITS } from '../../server/http/limits';

/** A scripted /ingest server on port 0: `script` answers each connection's hello. */
async function fakeServer(script: (ws: WebSocket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  wss.on('connection', (ws) => ws.once('message', () => script(ws)));
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

const welcome = {
  type: 'welcome',
  protocol: PROTOCOL_VERSION,
  server: 'fake',
  runId: 'r1',
  resumed: false,
  lastStep: null,
  checkpoints: 0,
  limits: DEFAULT_LIMITS,
};

test('a welcome that fails its schema refuses the connection with BAD_MESSAGE naming the field', async () => {
  const server = await fakeServer((ws) => ws.send(JSON.stringify({ ...welcome, runId: 7 })));
  try {
    await assert.rejects(
      IngestClient.connect({ url: server.url, run: { name: 'x' } }),
      (e: unknown) => e instanceof IngestError && e.code === 'BAD_MESSAGE' && e.fatal && /runId/.test(e.message),
    );
  } finally {
    await server.close();
  }
});

test('after the welcome, an unreadable message is reported (not fatal) and the next valid ack still answers', async () => {
  const server = await fakeServer((ws) => {
    ws.send(JSON.stringify(welcome));
    ws.on('message', () => {
      ws.send(JSON.stringify({ type: 'ack', of: 'nonsense' }));
      ws.send('not json');
      ws.send(JSON.stringify({ type: 'ack', of: 'end' }));
    });
  });
  const errors: IngestError[] = [];
  try {
    const client = await IngestClient.connect({ url: server.url, run: { name: 'x' }, onError: (e) => errors.push(e) });
    assert.equal(client.runId, 'r1');
    await client.end();
    assert.deepEqual(
      errors.map((e) => [e.code, e.fatal]),
      [
        ['BAD_MESSAGE', false],
        ['BAD_JSON', false],
      ],
    );
    assert.match(errors[0].message, /of: /);
    await client.close();
  } finally {
    await server.close();
  }
});
