/** Parsing at the edges: raw websocket data in, a typed message or a ProtocolError out. */
import type { z } from 'zod';
import { ProtocolError } from './errors';
import { IngestClientMessage, INGEST_CLIENT_TYPES } from './ingest';
import { LiveClientMessage } from './live';

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = issue.path.length ? issue.path.join('.') : 'message';
  return `${path}: ${issue.message}`;
}

function parseJsonObject(text: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ProtocolError('BAD_JSON', 'text frame is not valid JSON');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ProtocolError('BAD_MESSAGE', 'a message must be a JSON object');
  return raw as Record<string, unknown>;
}

/** Parses one /ingest text frame. */
export function parseIngestMessage(text: string): IngestClientMessage {
  const obj = parseJsonObject(text);
  if (typeof obj.type !== 'string') throw new ProtocolError('BAD_MESSAGE', 'message has no "type" string');
  if (!(INGEST_CLIENT_TYPES as readonly string[]).includes(obj.type)) {
    throw new ProtocolError('UNKNOWN_TYPE', `unknown message type "${obj.type.slice(0, 40)}"`);
  }
  const parsed = IngestClientMessage.safeParse(obj);
  if (!parsed.success) throw new ProtocolError('BAD_MESSAGE', `${obj.type}: ${firstIssue(parsed.error)}`);
  return parsed.data;
}

/** Parses one /live text frame from a browser. */
export function parseLiveMessage(text: string): LiveClientMessage {
  const obj = parseJsonObject(text);
  const parsed = LiveClientMessage.safeParse(obj);
  if (!parsed.success) {
    const known = ['subscribe', 'unsubscribe', 'ping', 'request'];
    if (typeof obj.type === 'string' && !known.includes(obj.type)) throw new ProtocolError('UNKNOWN_TYPE', `unknown message type "${obj.type.slice(0, 40)}"`);
    throw new ProtocolError('BAD_MESSAGE', firstIssue(parsed.error));
  }
  return parsed.data;
}
