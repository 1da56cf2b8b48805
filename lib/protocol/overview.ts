/** GET /api/overview: one page of the run list, filtered and sorted on the server (server/runs/summaries.ts). */
import { z } from 'zod';
import { RunMeta } from './live';

const StatusCounts = z.object({ all: z.number(), live: z.number(), finished: z.number(), failed: z.number(), interrupted: z.number() });

export const OverviewPage = z.object({
  /** Runs in the data directory. */
  total: z.number().int(),
  /** Runs matching the query, brush and status. */
  matched: z.number().int(),
  /** Matches per status before the status filter (the filter's counts). */
  counts: StatusCounts,
  offset: z.number().int(),
  rows: z.array(RunMeta),
  /** Column keys in use, most used first: config `c:K`, last scalar `s:NAME`, settle step `l:LAYER`. */
  keys: z.object({ config: z.array(z.string()), scalars: z.array(z.string()), layers: z.array(z.string()) }),
  /** With `axes`: each run matching the query (not the brush) on those axes, `selected` when the brush keeps it too. */
  points: z
    .object({
      axes: z.array(z.string()),
      ids: z.array(z.string()),
      values: z.array(z.array(z.number().nullable())),
      selected: z.array(z.boolean()),
      truncated: z.boolean(),
    })
    .optional(),
});
export type OverviewPage = z.infer<typeof OverviewPage>;
