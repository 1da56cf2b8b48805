/** PATCH /api/runs/RUN: a run's tags and notes, checked (lib/protocol/annotations.ts) and stored durably in its log. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AnnotationError, applyAnnotationPatch, MAX_ANNOTATION_BODY_BYTES, ProtocolError } from '../../lib/protocol';
import type { RunRegistry } from '../runs/registry';
import { StorageError } from '../storage/storage-error';
import { refuse, replyJson } from './reply';

/** Reads the JSON body (bounded), applies it to the run's annotation and answers `{run}` or `{error: {code, message}}`. */
export async function handleAnnotate(req: IncomingMessage, res: ServerResponse, registry: RunRegistry, id: string): Promise<void> {
  try {
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    if (type !== 'application/json') throw new AnnotationError('BAD_CONTENT_TYPE');
    const text = await readBody(req);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new AnnotationError('BAD_JSON');
    }
    const run = await registry.annotate(id, (current) => applyAnnotationPatch(current, body));
    replyJson(res, 200, { run });
  } catch (err) {
    const { status, code, message } = refusalOf(err);
    // A body left unread (too large) is not drained: the connection closes after the answer.
    refuse(res, status, code, message, { close: !req.complete });
  }
}

const STATUS: Record<string, number> = { BODY_TOO_LARGE: 413, BAD_CONTENT_TYPE: 415, RUN_NOT_FOUND: 404, DISK_FULL: 507, IO_ERROR: 500 };

function refusalOf(err: unknown): { status: number; code: string; message: string } {
  if (err instanceof AnnotationError || err instanceof ProtocolError || err instanceof StorageError) {
    return { status: STATUS[err.code] ?? 400, code: err.code, message: err.message.split('\n')[0] };
  }
  throw err;
}

/** The body as UTF-8 text; BODY_TOO_LARGE as soon as it passes the bound (by header or by count). */
async function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > MAX_ANNOTATION_BODY_BYTES) throw new AnnotationError('BODY_TOO_LARGE');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_ANNOTATION_BODY_BYTES) throw new AnnotationError('BODY_TOO_LARGE');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
