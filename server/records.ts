/** Run-log records ⇄ decoded RunRecords: one decoder for the live path's stored bytes and for replay. */
import { decodeFrame, parseIngestMessage, ProtocolError } from '../lib/protocol';
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
