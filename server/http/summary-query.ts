/** The parameters of GET /api/overview, checked at the edge (BAD_QUERY names the first bad one). */
import { MAX_PAGE, type StatusFilter, type SummaryQuery } from '../runs/summaries';

const STATUSES = new Set(['all', 'live', 'finished', 'failed', 'interrupted']);
const MAX_QUERY_CHARS = 2000;
const MAX_AXES = 16;

/** Reads `q, brush, status, sort, dir, group, offset, limit, axes` (all optional) or says what is wrong. */
export function parseSummaryQuery(p: URLSearchParams): SummaryQuery | { error: string } {
  const q = p.get('q') ?? '';
  const brush = p.get('brush') ?? '';
  if (q.length > MAX_QUERY_CHARS || brush.length > MAX_QUERY_CHARS) return { error: `q and brush are at most ${MAX_QUERY_CHARS} characters` };
  const status = p.get('status') ?? 'all';
  if (!STATUSES.has(status)) return { error: `status must be one of ${[...STATUSES].join(', ')}` };
  const dir = p.get('dir') ?? 'desc';
  if (dir !== 'asc' && dir !== 'desc') return { error: 'dir must be asc or desc' };
  const offset = Number(p.get('offset') ?? 0);
  const limit = Number(p.get('limit') ?? 50);
  if (!Number.isInteger(offset) || offset < 0) return { error: 'offset must be a non-negative integer' };
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_PAGE) return { error: `limit must be an integer from 0 to ${MAX_PAGE}` };
  const sort = p.get('sort') ?? 'created';
  const axes = (p.get('axes') ?? '').split(',').filter(Boolean);
  if (sort.length > 300 || axes.length > MAX_AXES || axes.some((a) => a.length > 300))
    return { error: `sort and each of at most ${MAX_AXES} axes are at most 300 characters` };
  return { q, brush, status: status as StatusFilter, sort, dir, liveFirst: p.get('group') === 'live', offset, limit, axes };
}
