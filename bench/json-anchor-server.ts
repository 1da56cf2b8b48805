/**
 * The anchor for bench/ingest: a minimal websocket endpoint that takes activations the way Visdom-style dashboards
 * do, as JSON text of nested number arrays. It parses each message, checks its size, and answers "ok"; it stores
 * nothing and analyses nothing, so it is an upper bound on what that approach can ingest.
 *   node --import tsx bench/json-anchor-server.ts    → prints "listening on PORT"
 */
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 1 << 30, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { layer: string; step: number; data: number[][] };
    let values = 0;
    for (const row of msg.data) values += row.length;
    ws.send(JSON.stringify({ ok: true, step: msg.step, values }));
  });
});
wss.on('listening', () => {
  const addr = wss.address();
  console.log(`listening on ${typeof addr === 'object' && addr ? addr.port : addr}`);
});
process.on('SIGTERM', () => process.exit(0));
