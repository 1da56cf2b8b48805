/**
 * The run log format (version 1), shared by the writer, the readers and any other
 * language: a 16-byte file header, then records of a 24-byte header plus a payload
 * zero-padded to 8 bytes. Pure: DataView and Uint8Array only, no Node imports.
 * docs/storage.md is the published description of these bytes.
 */
import { crc32 as tableCrc32, type Crc32Fn } from '../../lib/codecs/crc32';

/** "LWLOG\0": the first six bytes of every log file. */
export const FILE_MAGIC = new Uint8Array([0x4c, 0x57, 0x4c, 0x4f, 0x47, 0x00]);
/** The format version this code writes and reads. */
export const FORMAT_VERSION = 1;
/** Bytes of the file header: magic, u16 version, u32 flags, u32 reserved. */
export const FILE_HEADER_SIZE = 16;
/** u32 LE record magic; the bytes "LWR1" in file order. */
export const RECORD_MAGIC = 0x3152574c;
/** Bytes of a record header: magic, length, crc, kind, flags, reserved, time. */
export const RECORD_HEADER_SIZE = 24;
/** Records and payloads start on 8-byte file offsets, so float data can be viewed in place. */
export const RECORD_ALIGN = 8;
/** Largest payload a record can hold: 2 GiB − 1. */
export const MAX_PAYLOAD = 0x7fffffff;

/** Record kinds of format version 1; any other kind byte marks an invalid record. */
export const RecordKind = {
  /** A JSON text message from the trainer, as received (UTF-8). */
  Json: 1,
  /** A binary frame from the trainer, as received. */
  Binary: 2,
  /** A server event (JSON): status changes, advice, warnings. */
  Event: 3,
  /** An analysis result (JSON or binary), in analysis.lwlog. */
  Analysis: 4,
} as const;
/** One of the record kinds 1–4. */
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

/** The fields of a record header, as decoded. */
export interface RecordHeader {
  length: number;
  crc: number;
  kind: RecordKind;
  flags: number;
  /** Receive time, ms since the epoch. */
  time: number;
}

/** Why a record header is not valid (null when it is). */
export type HeaderProblem = 'magic' | 'reserved' | 'kind' | 'length';

/** Whether `kind` is a record kind of this format version. */
export function isRecordKind(kind: number): kind is RecordKind {
  return kind >= 1 && kind <= 4 && Number.isInteger(kind);
}

/** Payload length rounded up to the 8-byte boundary. */
export function paddedLength(length: number): number {
  // Arithmetic, not bit masks: lengths reach 2^31 − 1, past int32 once padded.
  return Math.ceil(length / RECORD_ALIGN) * RECORD_ALIGN;
}

/** Total bytes a record with this payload length takes in the file. */
export function recordSize(length: number): number {
  return RECORD_HEADER_SIZE + paddedLength(length);
}

/** The 16-byte file header for a new log. */
export function encodeFileHeader(version = FORMAT_VERSION): Uint8Array {
  const out = new Uint8Array(FILE_HEADER_SIZE);
  out.set(FILE_MAGIC, 0);
  new DataView(out.buffer).setUint16(6, version, true);
  return out;
}

/** Decodes a file header: 'not-a-log' if the magic is wrong or it is short, else its version and flags. */
export function decodeFileHeader(bytes: Uint8Array): { version: number; flags: number } | 'not-a-log' {
  if (bytes.length < FILE_HEADER_SIZE) return 'not-a-log';
  for (let i = 0; i < FILE_MAGIC.length; i++) if (bytes[i] !== FILE_MAGIC[i]) return 'not-a-log';
  const view = new DataView(bytes.buffer, bytes.byteOffset, FILE_HEADER_SIZE);
  return { version: view.getUint16(6, true), flags: view.getUint32(8, true) };
}

/**
 * Writes a record header into `out` at `at` (24 bytes) for this payload. The CRC covers
 * the kind, flags and time bytes of the header and then the payload (not the padding).
 */
export function writeRecordHeader(
  out: Uint8Array,
  at: number,
  kind: RecordKind,
  flags: number,
  time: number,
  payload: Uint8Array,
  crc32: Crc32Fn = tableCrc32,
): void {
  const view = new DataView(out.buffer, out.byteOffset + at, RECORD_HEADER_SIZE);
  view.setUint32(0, RECORD_MAGIC, true);
  view.setUint32(4, payload.length, true);
  view.setUint8(12, kind);
  view.setUint8(13, flags);
  view.setUint16(14, 0, true);
  view.setFloat64(16, time, true);
  view.setUint32(8, recordCrc(out.subarray(at, at + RECORD_HEADER_SIZE), payload, crc32), true);
}

/** The CRC a record must carry: over header bytes 12–13 (kind, flags) and 16–23 (time), then the payload. */
export function recordCrc(header: Uint8Array, payload: Uint8Array, crc32: Crc32Fn = tableCrc32): number {
  let crc = crc32(header.subarray(12, 14), 0);
  crc = crc32(header.subarray(16, 24), crc);
  return crc32(payload, crc);
}

/** Starts a CRC over the covered header bytes only, for a payload checked in chunks. */
export function headerCrc(header: Uint8Array, crc32: Crc32Fn = tableCrc32): number {
  return crc32(header.subarray(16, 24), crc32(header.subarray(12, 14), 0));
}

/** Decodes 24 header bytes; returns the problem instead when the header cannot be a record of this version. */
export function decodeRecordHeader(bytes: Uint8Array): RecordHeader | HeaderProblem {
  const view = new DataView(bytes.buffer, bytes.byteOffset, RECORD_HEADER_SIZE);
  if (view.getUint32(0, true) !== RECORD_MAGIC) return 'magic';
  const length = view.getUint32(4, true);
  if (length > MAX_PAYLOAD) return 'length';
  const kind = view.getUint8(12);
  if (!isRecordKind(kind)) return 'kind';
  if (view.getUint16(14, true) !== 0) return 'reserved';
  return { length, crc: view.getUint32(8, true), kind, flags: view.getUint8(13), time: view.getFloat64(16, true) };
}

/** Encodes one whole record (header, payload, zero padding) into a new array; for tests and small tools. */
export function encodeRecord(kind: RecordKind, payload: Uint8Array, time: number, flags = 0, crc32: Crc32Fn = tableCrc32): Uint8Array {
  const out = new Uint8Array(recordSize(payload.length));
  writeRecordHeader(out, 0, kind, flags, time, payload, crc32);
  out.set(payload, RECORD_HEADER_SIZE);
  return out;
}
