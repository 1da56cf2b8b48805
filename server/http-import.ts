/**
 * POST /api/import: a run log uploaded from the browser (dropped on the run list) becomes a run, all or nothing. The
 * body is checked record by record as it arrives (framing, CRCs, contents under the server's limits) and written into
 * the data directory's staging area; the first record that cannot be valid ends the upload: the server answers and
 * closes the connection instead of reading (or storing) the rest.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RunMeta } from '../lib/protocol';
import { importRunStream } from './import-run';
import { LogContentCheck, type LogCheckLimits } from './log-content-check';
import type { RunRegistry } from './run-registry';

/** Largest upload accepted (a log beyond this is imported with `layerwatch import` instead). */
export const MAX_IMPORT_BYTES = 4 * 1024 ** 3;

/** Body bytes still read and dropped after a refusal, so that a client still sending can read the answer before the close. */
const DRAIN_AFTER_REFUSAL = 256 * 1024;

function reply(res: ServerResponse, status: number, body: unknown, close = false): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...(close ? { connection: 'close' } : {}) });
  res.end(JSON.stringify(body));
}

/** Receives the body straight into a staging run, checking it as it comes; errors answer 4xx with a stable code and leave no run behind. */
export async function handleImport(req: IncomingMessage, res: ServerResponse, registry: RunRegistry, announce: (meta: RunMeta) => void, limits: LogCheckLimits): Promise<void> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > MAX_IMPORT_BYTES) {
    return refuse(req, res, 413, 'LIMIT_IMPORT_BYTES', `the file is larger than ${MAX_IMPORT_BYTES} bytes; use \`layerwatch import\``);
  }
  // The file name is only a hint for the run id; it never becomes a path.
  const hint = String(req.headers['x-filename'] ?? 'upload.lwlog').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80) || 'upload.lwlog';
  try {
    const meta = await importRunStream(registry.dataDir, bounded(req), hint, { index: registry.index, check: new LogContentCheck(limits) });
    announce(meta);
    reply(res, 200, { run: meta });
  } catch (err) {
    const e = err as { code?: string; message?: string; details?: { reason?: string } };
    const code = typeof e.code === 'string' && /^[A-Z_]+$/.test(e.code) ? e.code : 'IMPORT_FAILED';
    const status = code === 'LIMIT_IMPORT_BYTES' ? 413 : code === 'RUN_EXISTS' ? 409 : 400;
    refuse(req, res, status, code, e.message ?? 'import failed', e.details?.reason);
  }
}

/** The request body, ending the import with LIMIT_IMPORT_BYTES past the limit; leaving it early does not destroy the request (the answer still goes out). */
async function* bounded(req: IncomingMessage): AsyncGenerator<Buffer> {
  let received = 0;
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > MAX_IMPORT_BYTES) throw Object.assign(new Error(`the upload is larger than ${MAX_IMPORT_BYTES} bytes; use \`layerwatch import\``), { code: 'LIMIT_IMPORT_BYTES' });
    yield chunk;
  }
}

/** Answers an error; when the body was not read to its end, drops a little more of it (so the client reads the answer), then closes the connection. */
function refuse(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string, reason?: string): void {
  const unread = !req.complete;
  reply(res, status, { error: { code, message, ...(reason ? { reason } : {}) } }, unread);
  if (!unread) return;
  let dropped = 0;
  const close = () => req.socket.destroy();
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DRAIN_AFTER_REFUSAL) close();
  });
  req.resume();
  res.on('finish', () => setTimeout(close, 1000).unref());
}
