/**
 * Websocket heartbeats: ping every interval, terminate peers that neither answered the previous ping nor sent anything
 * since. Bytes arriving count as an answer: a trainer sending a 1 GB checkpoint queues its pong behind the checkpoint's
 * frames, so on a slow link the pong can arrive after the next ping although the peer never stopped talking.
 */
import type { WebSocketServer, WebSocket } from 'ws';

const alive = new WeakSet<WebSocket>();

/** Starts heartbeats over the given servers; returns a stop function. */
export function startHeartbeat(servers: WebSocketServer[], intervalMs: number): () => void {
  for (const wss of servers) {
    wss.on('connection', (ws, req) => {
      alive.add(ws);
      ws.on('pong', () => alive.add(ws));
      req.socket.on('data', () => alive.add(ws));
    });
  }
  const timer = setInterval(() => {
    for (const wss of servers) {
      for (const ws of wss.clients) {
        // A socket we paused (a hello being answered, a writer catching up) cannot read its peer's pong: not dead.
        if (ws.isPaused) continue;
        if (!alive.has(ws)) {
          ws.terminate();
          continue;
        }
        alive.delete(ws);
        ws.ping();
      }
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
