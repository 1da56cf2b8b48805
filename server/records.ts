/** Run-log records ⇄ decoded RunRecords: one decoder for the live path's stored bytes and for replay. */
import { decodeFrame, parseIngestMessage, ProtocolError, type RunMeta } from '../lib/protocol';
import { RunState, type RunRecord, type ServerEvent } from './run-state';
import { RecordKind } from './storage/run-log-format';
import { readRunLog } from './storage/run-log-reader';

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

/** A stored run's state, rebuilt from its log's JSON records with the code live ingest uses (frames are not read). */
export async function readRunState(file: string, meta: RunMeta): Promise<RunState> {
  const state = new RunState(meta);
  for await (const rec of readRunLog(file, { kinds: [RECORD_KIND.message, RECORD_KIND.event] })) {
    const record = decodeRecord(rec.kind, rec.time, rec.payload);
    if (record) state.apply(record);
  }
  return state;
}
