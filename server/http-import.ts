/** POST /api/import: a run log uploaded from the browser (dropped on the run list) becomes a run, all or nothing. */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { RunMeta } from '../lib/protocol';
import { importRun } from './import-run';
import type { RunRegistry } from './run-registry';

/** Largest upload accepted (a log beyond this is imported with `layerwatch import` instead). */
export const MAX_IMPORT_BYTES = 4 * 1024 ** 3;

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** Receives the body into a temp file, validates and imports it; errors answer 4xx with a stable code and leave no run behind. */
export async function handleImport(req: IncomingMessage, res: ServerResponse, registry: RunRegistry, announce: (meta: RunMeta) => void): Promise<void> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > MAX_IMPORT_BYTES) {
    req.resume();
    return reply(res, 413, { error: { code: 'LIMIT_IMPORT_BYTES', message: `the file is larger than ${MAX_IMPORT_BYTES} bytes; use \`layerwatch import\`` } });
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'layerwatch-upload-'));
  // The file name is only a hint for the run id; it never becomes a path.
  const hint = String(req.headers['x-filename'] ?? 'upload.lwlog').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80) || 'upload.lwlog';
  const file = path.join(dir, hint.endsWith('.lwlog') ? hint : `${hint}.lwlog`);
  try {
    let received = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _enc, done) {
        received += chunk.length;
        if (received > MAX_IMPORT_BYTES) return done(Object.assign(new Error('upload too large'), { code: 'LIMIT_IMPORT_BYTES' }));
        done(null, chunk);
      },
    });
    await pipeline(req, limit, createWriteStream(file));
    const meta = (await importRun(registry.dataDir, file, { index: registry.index })) as RunMeta;
    announce(meta);
    reply(res, 200, { run: meta });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    const code = typeof e.code === 'string' && /^[A-Z_]+$/.test(e.code) ? e.code : 'IMPORT_FAILED';
    reply(res, code === 'LIMIT_IMPORT_BYTES' ? 413 : code === 'RUN_EXISTS' ? 409 : 400, { error: { code, message: e.message ?? 'import failed' } });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
