/** Small JSON/file API served beside the pages: health, the run list, a run's tags and notes, and its log (with its stored analysis) for download. */
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { analysisPath } from '../analysis/analysis-store';
import { bundleStream, planBundle } from '../storage/log-bundle';
import { isValidRunId } from '../storage/run-id';
import type { RunRegistry } from '../runs/registry';
import { handleImport } from './import';
import { handleAnnotate } from './annotate';
import { parseSummaryQuery } from './summary-query';
import { refuse, replyJson } from './reply';
import type { RunSummaries } from '../runs/summaries';
import type { LogCheckLimits } from '../runs/log-content-check';

export interface ApiContext {
  registry: RunRegistry;
  epoch: string;
  kernel: string;
  /** The overview's index of run summaries (built on first use). */
  summaries: () => RunSummaries;
  /** The limits an imported log is held to (the server's own). */
  logLimits: LogCheckLimits;
  /** One line per problem that does not fail the request (a download cut by a storage error). */
  log?: (line: string) => void;
  /** Present when the server was started with LAYERWATCH_STATS=1 (GET /api/stats; `?reset=1` starts a new window). */
  stats?: (reset: boolean) => unknown;
}

/** Handles /api/* requests; returns false for anything else. */
export async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ApiContext): Promise<boolean> {
  if (!url.pathname.startsWith('/api/')) return false;
  const parts = url.pathname.split('/').filter(Boolean).slice(1);
  if (req.method === 'GET' && parts.length === 1 && parts[0] === 'health') {
    replyJson(res, 200, { ok: true, epoch: ctx.epoch, kernel: ctx.kernel });
    return true;
  }
  if (req.method === 'GET' && parts.length === 1 && parts[0] === 'stats' && ctx.stats) {
    replyJson(res, 200, ctx.stats(url.searchParams.get('reset') === '1'));
    return true;
  }
  if (req.method === 'POST' && parts.length === 1 && parts[0] === 'import') {
    await handleImport(req, res, ctx.registry, (meta) => ctx.registry.publish('runs', { runs: { kind: 'run', meta } }), ctx.logLimits);
    return true;
  }
  if (req.method === 'GET' && parts.length === 1 && parts[0] === 'runs') {
    replyJson(res, 200, { runs: ctx.registry.list() });
    return true;
  }
  if (req.method === 'GET' && parts.length === 1 && parts[0] === 'overview') {
    const query = parseSummaryQuery(url.searchParams);
    if ('error' in query) refuse(res, 400, 'BAD_QUERY', query.error);
    else replyJson(res, 200, ctx.summaries().query(query));
    return true;
  }
  if (parts[0] === 'runs' && parts.length >= 2) {
    let id: string;
    try {
      id = decodeURIComponent(parts[1]);
    } catch {
      id = ''; // a malformed %-escape: answered as a bad id below, not as a 500
    }
    if (!isValidRunId(id)) {
      refuse(res, 400, 'BAD_RUN_ID', 'invalid run id');
      return true;
    }
    const meta = ctx.registry.index.get(id);
    if (!meta) {
      refuse(res, 404, 'RUN_NOT_FOUND', `no run "${id}"`);
      return true;
    }
    if (req.method === 'GET' && parts.length === 2) {
      replyJson(res, 200, { run: meta });
      return true;
    }
    if (req.method === 'PATCH' && parts.length === 2) {
      await handleAnnotate(req, res, ctx.registry, id);
      return true;
    }
    if (req.method === 'GET' && parts.length === 3 && parts[2] === 'log') {
      const file = ctx.registry.logPath(id);
      const live = ctx.registry.getLive(id);
      const plan = await planBundle(file, analysisPath(path.dirname(file)), async () => {
        // A live run keeps growing: send the bytes that exist now, which end on a record boundary after the flush.
        if (live) await live.writer.flush();
        return (await stat(file)).size;
      });
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(plan.size),
        'content-disposition': `attachment; filename="${id}.lwlog"`,
      });
      await pipeline(bundleStream(plan), res).catch((err: unknown) => {
        // A reader that goes away mid-download is routine; anything else is a storage problem worth a line.
        if ((err as { code?: string })?.code !== 'ERR_STREAM_PREMATURE_CLOSE') ctx.log?.(`http: DOWNLOAD_FAILED run ${id}: ${(err as Error)?.message ?? err}`);
        res.destroy();
      });
      return true;
    }
  }
  refuse(res, 404, 'NOT_FOUND', `no API route ${req.method} ${url.pathname}`);
  return true;
}
