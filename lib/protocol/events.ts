/**
 * Server events stored in a run log (record kind 3): status changes, resumes, warnings, freeze advice, a person's
 * tags and notes, and in a distributed run the scalars combined across ranks and the ranks' comings and goings
 * (ranks.ts). They never cross a websocket as such, but a stored log is untrusted input like any message (an
 * imported file, a hand-edited data directory), so they are parsed with a schema too.
 */
import { z } from 'zod';
import { AdviceEvent, RunStatus, Warning } from './live';
import { MAX_WORLD_SIZE, SCALAR_REDUCE } from './ranks';
import { Annotation } from './annotations';

const rank = z
  .number()
  .int()
  .min(0)
  .max(MAX_WORLD_SIZE - 1);

export const ServerEvent = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('status'), status: RunStatus, reason: z.string().max(1000).optional() }),
  z.strictObject({ type: z.literal('resumed') }),
  z.strictObject({ type: z.literal('warning'), warning: Warning }),
  z.strictObject({ type: z.literal('advice'), advice: AdviceEvent }),
  /** A person's tags and notes (PATCH /api/runs/RUN); the last one in the log is the run's. */
  z.strictObject({ type: z.literal('annotation'), ...Annotation.shape }),
  /** One step of scalars combined across the ranks that gave a value (`ranks`): what the series shows. */
  z.strictObject({
    type: z.literal('combined'),
    step: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    reduce: z.enum(SCALAR_REDUCE).exclude(['none']),
    values: z.record(z.string().min(1).max(200), z.number().nullable()).refine((v) => Object.keys(v).length <= 256, 'at most 256 values'),
    ranks: z.array(rank).max(MAX_WORLD_SIZE),
    worldSize: z.number().int().min(1).max(MAX_WORLD_SIZE),
  }),
  /** A rank other than 0 attached to the run, sent its own `end`, or disconnected without it. */
  z.strictObject({ type: z.literal('rank'), rank, state: z.enum(['joined', 'ended', 'left']) }),
]);
export type ServerEvent = z.infer<typeof ServerEvent>;
