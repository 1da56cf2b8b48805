/** Websocket heartbeats: ping every interval, terminate peers that did not answer the previous ping. */
import type { WebSocketServer, WebSocket } from 'ws';

const alive = new WeakSet<WebSocket>();

/** Starts heartbeats over the given servers; returns a stop function. */
export function startHeartbeat(servers: WebSocketServer[], intervalMs: number): () => void {
  for (const wss of servers) {
    wss.on('connection', (ws) => {
      alive.add(ws);
      ws.on('pong', () => alive.add(ws));
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
