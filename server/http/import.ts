/**
 * POST /api/import: a run log uploaded from the browser (dropped on the run list) becomes a run, all or nothing. The
 * body is checked record by record as it arrives (framing, CRCs, contents under the server's limits) and written into
 * the data directory's staging area; the first record that cannot be valid ends the upload: the server answers and
 * closes the connection instead of reading (or storing) the rest.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RunMeta } from '../../lib/protocol';
import { importRunStream } from '../runs/import-run';
import { LogContentCheck, type LogCheckLimits } from '../runs/log-content-check';
import type { RunRegistry } from '../runs/registry';
import { replyJson } from './reply';

/** Largest upload accepted (a log beyond this is imported with `layerwatch import` instead). */
export const MAX_IMPORT_BYTES = 4 * 1024 ** 3;

/**
 * The largest rest of a refused upload that is still read (and dropped) before the answer: clients send their whole
 * body before they read (fetch, curl, Python's requests), and closing a socket with unread input resets it, so they
 * would get EPIPE or ECONNRESET instead of the answer. A body announced larger, or of unannounced length, is answered at
 * once and its connection closed.
 */
const DRAIN_AFTER_REFUSAL = 32 * 1024 ** 2;
/** A refused upload that sends nothing for this long while its body is unfinished is answered and closed. */
const DRAIN_IDLE_MS = 10_000;

/** Receives the body straight into a staging run, checking it as it comes; errors answer 4xx with a stable code and leave no run behind. */
export async function handleImport(
  req: IncomingMessage,
  res: ServerResponse,
  registry: RunRegistry,
  announce: (meta: RunMeta) => void,
  limits: LogCheckLimits,
): Promise<void> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > MAX_IMPORT_BYTES) {
    return refuseUpload(req, res, 413, 'LIMIT_IMPORT_BYTES', `the file is larger than ${MAX_IMPORT_BYTES} bytes; use \`layerwatch import\``);
  }
  // The file name is only a hint for the run id; it never becomes a path.
  const hint =
    String(req.headers['x-filename'] ?? 'upload.lwlog')
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .slice(0, 80) || 'upload.lwlog';
  try {
    const meta = await importRunStream(registry.dataDir, bounded(req), hint, { index: registry.index, check: new LogContentCheck(limits) });
    announce(meta);
    replyJson(res, 200, { run: meta });
  } catch (err) {
    const e = err as { code?: string; message?: string; details?: { reason?: string } };
    const code = typeof e.code === 'string' && /^[A-Z_]+$/.test(e.code) ? e.code : 'IMPORT_FAILED';
    const status = code === 'LIMIT_IMPORT_BYTES' ? 413 : code === 'RUN_EXISTS' ? 409 : 400;
    refuseUpload(req, res, status, code, e.message ?? 'import failed', e.details?.reason);
  }
}

/** The request body, ending the import with LIMIT_IMPORT_BYTES past the limit; leaving it early does not destroy the request (the answer still goes out). */
async function* bounded(req: IncomingMessage): AsyncGenerator<Buffer> {
  let received = 0;
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > MAX_IMPORT_BYTES)
      throw Object.assign(new Error(`the upload is larger than ${MAX_IMPORT_BYTES} bytes; use \`layerwatch import\``), { code: 'LIMIT_IMPORT_BYTES' });
    yield chunk;
  }
}

/**
 * Answers an error. When the body was not read to its end and its announced length is at most DRAIN_AFTER_REFUSAL, the
 * rest is read and dropped first, so that a client still sending reads the answer; otherwise, or when the client
 * stalls, the answer goes out at once and the connection is closed.
 */
function refuseUpload(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string, reason?: string): void {
  const body = { error: { code, message, ...(reason ? { reason } : {}) } };
  if (req.complete) return replyJson(res, status, body);
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (!(declared <= DRAIN_AFTER_REFUSAL)) return replyJson(res, status, body, { close: true });
  let answered = false;
  const answer = (close: boolean) => {
    if (answered) return;
    answered = true;
    clearTimeout(idle);
    replyJson(res, status, body, { close });
  };
  const idle = setTimeout(() => answer(true), DRAIN_IDLE_MS).unref();
  req.on('data', () => idle.refresh());
  req.once('end', () => answer(false));
  req.once('close', () => clearTimeout(idle));
  req.resume();
  req.socket.resume(); // the HTTP parser may have paused the socket while the import was not reading
}
