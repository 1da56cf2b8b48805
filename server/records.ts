/** Run-log records ⇄ decoded RunRecords: one decoder for the live path's stored bytes and for replay. */
import { declarationProblem, decodeFrame, parseIngestMessage, ProtocolError, type DeclarationLimits, type DeclarationProblem } from '../lib/protocol';
import type { RunRecord, ServerEvent } from './run-state';
import { RecordKind } from './storage/run-log-format';

/** Record kinds of the run log by what they hold here (the format's own names are in run-log-format.ts). */
export const RECORD_KIND = { message: RecordKind.Json, frame: RecordKind.Binary, event: RecordKind.Event, analysis: RecordKind.Analysis } as const;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes one stored record; records that no longer parse (a newer server's, or hand-edited) give null. */
export function decodeRecord(kind: number, time: number, payload: Uint8Array): RunRecord | null {
  try {
    switch (kind) {
      case RECORD_KIND.message:
        return { kind: 'message', time, message: parseIngestMessage(decoder.decode(payload)) };
      case RECORD_KIND.frame:
        return { kind: 'frame', time, frame: decodeFrame(payload) };
      case RECORD_KIND.event:
        return { kind: 'event', time, event: JSON.parse(decoder.decode(payload)) as ServerEvent };
      default:
        return null;
    }
  } catch (err) {
    if (err instanceof ProtocolError || err instanceof SyntaxError || err instanceof TypeError) return null;
    throw err;
  }
}

/** Serialises a server event for the log. */
export function encodeEvent(event: ServerEvent): string {
  return JSON.stringify(event);
}

/**
 * Why a stored record must not be applied under the server's limits (the same check as live ingest), or null. A log
 * written before a limit existed, by a server with larger limits, or by hand, may hold a declaration that would size
 * memory beyond them: the paths that rebuild a run (RunRegistry.load, readLayout) skip it and say so instead.
 */
export function storedRecordProblem(record: RunRecord, limits: DeclarationLimits): StoredRecordProblem | null {
  if (record.kind !== 'message') return null;
  const msg = record.message;
  const problem = msg.type === 'layers' || msg.type === 'probe' ? declarationProblem(msg, limits) : null;
  return problem && { ...problem, what: msg.type };
}

/** A refused stored record: which message it was, and why. */
export interface StoredRecordProblem extends DeclarationProblem {
  what: string;
}

/** Warning code of a stored record that was skipped when the run was rebuilt (shown with the run, like NON_FINITE). */
export const RECORD_SKIPPED = 'RECORD_SKIPPED';

/** The warning a skipped stored record leaves in the run's state. */
export function badRecordEvent(problem: StoredRecordProblem): RunRecord {
  const warning = { code: RECORD_SKIPPED, message: `the stored ${problem.what} record was skipped (${problem.code}: ${problem.message}); the run is shown without it` };
  return { kind: 'event', time: 0, event: { type: 'warning', warning } };
}
