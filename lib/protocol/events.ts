/**
 * Server events stored in a run log (record kind 3): status changes, resumes, warnings, freeze advice and a person's
 * tags and notes. They never cross a websocket as such, but a stored log is untrusted input like any message (an
 * imported file, a hand-edited data directory), so they are parsed with a schema too.
 */
import { z } from 'zod';
import { AdviceEvent, RunStatus, Warning } from './live';
import { Annotation } from './annotations';

export const ServerEvent = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('status'), status: RunStatus, reason: z.string().max(1000).optional() }),
  z.strictObject({ type: z.literal('resumed') }),
  z.strictObject({ type: z.literal('warning'), warning: Warning }),
  z.strictObject({ type: z.literal('advice'), advice: AdviceEvent }),
  /** A person's tags and notes (PATCH /api/runs/RUN); the last one in the log is the run's. */
  z.strictObject({ type: z.literal('annotation'), ...Annotation.shape }),
]);
export type ServerEvent = z.infer<typeof ServerEvent>;
