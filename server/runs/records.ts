/** Run-log records ⇄ decoded RunRecords: one decoder for the live path's stored bytes and for replay. */
import { decodeFrame, parseIngestMessage, ProtocolError, ServerEvent } from '../../lib/protocol';
import type { RunRecord } from './run-state';
import { RecordKind } from '../storage/run-log-format';

/** Record kinds of the run log by what they hold here (the format's own names are in run-log-format.ts). */
export const RECORD_KIND = { message: RecordKind.Json, frame: RecordKind.Binary, event: RecordKind.Event, analysis: RecordKind.Analysis } as const;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes one stored record; records that do not parse (a newer server's, hand-edited, hostile) give null. */
export function decodeRecord(kind: number, time: number, payload: Uint8Array): RunRecord | null {
  try {
    switch (kind) {
      case RECORD_KIND.message:
        return { kind: 'message', time, message: parseIngestMessage(decoder.decode(payload)) };
      case RECORD_KIND.frame:
        return { kind: 'frame', time, frame: decodeFrame(payload) };
      case RECORD_KIND.event: {
        const event = decodeEvent(payload);
        return event ? { kind: 'event', time, event } : null;
      }
      default:
        return null;
    }
  } catch (err) {
    if (err instanceof ProtocolError || err instanceof SyntaxError || err instanceof TypeError) return null;
    throw err;
  }
}

/** A stored server event, or null when the record is not one (a `null`, a warning whose fields are objects…). */
export function decodeEvent(payload: Uint8Array): ServerEvent | null {
  const parsed = ServerEvent.safeParse(JSON.parse(decoder.decode(payload)));
  return parsed.success ? parsed.data : null;
}

/** Serialises a server event for the log. */
export function encodeEvent(event: ServerEvent): string {
  return JSON.stringify(event);
}
