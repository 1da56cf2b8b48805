/**
 * The one walk over a run log that every reader shares (streaming reader, scanner,
 * validator, recovery). It is a generator that asks its driver for bytes, so the
 * same rules run over sync fs, async fs or an in-memory array, and it holds at most
 * one read window plus the payload being returned.
 */
import type { Crc32Fn } from '../../lib/codecs/crc32';
import {
  FILE_HEADER_SIZE,
  FORMAT_VERSION,
  RECORD_ALIGN,
  RECORD_HEADER_SIZE,
  decodeFileHeader,
  decodeRecordHeader,
  headerCrc,
  paddedLength,
  recordSize,
  type RecordHeader,
} from './run-log-format';
import { StorageError } from './storage-error';

/** Bytes per window read; a record header or a CRC chunk never needs more. */
export const WALK_CHUNK = 1 << 20;

/** A record as the walk reports it; `payload` is empty unless payloads are materialised. */
export interface WalkRecord extends RecordHeader {
  offset: number;
  /** Exactly `length` bytes, starting 8-byte aligned in its own ArrayBuffer. */
  payload: Uint8Array;
}

/** A damaged stretch in the middle of a log, followed by a valid record at offset + length. */
export interface CorruptRange {
  offset: number;
  length: number;
}

/** What the walk asks of its driver, or tells it. */
export type WalkStep =
  /** Answer with the file bytes at [pos, pos+len), shorter only at the end of the file. */
  | { op: 'read'; pos: number; len: number }
  /** Answer with a fresh array of `padded` bytes holding the file bytes at pos (byteOffset 0). */
  | { op: 'payload'; pos: number; padded: number }
  | { op: 'record'; record: WalkRecord }
  | { op: 'corrupt'; range: CorruptRange };

/** How the walk ended. */
export interface WalkEnd {
  version: number;
  /** End offset of the last valid record (or `from` if none): where an appender continues. */
  validEnd: number;
  /** Bytes after validEnd that are a torn or unparseable tail (0 if the file ends cleanly). */
  tornBytes: number;
  corrupt: CorruptRange[];
  records: number;
}

/** Options of a walk. `size` is the file size (or a smaller bound), `from` a record offset. */
export interface WalkOptions {
  size: number;
  from?: number;
  kinds?: ReadonlySet<number>;
  strict?: boolean;
  /** Read each yielded record's payload into its own array (otherwise CRCs are checked in chunks). */
  materialize: boolean;
  crc32: Crc32Fn;
  alloc: (n: number) => Uint8Array;
}

/** Walks a log: file header, then every record, detecting torn tails and corrupt middles. */
export function* walkLog(o: WalkOptions): Generator<WalkStep, WalkEnd, Uint8Array | undefined> {
  const { size, crc32 } = o;
  let win: Uint8Array = new Uint8Array(0);
  let winPos = 0;

  // Bytes [pos, pos+n) from the window, refilling it when they are not all there.
  function* bytes(pos: number, n: number): Generator<WalkStep, Uint8Array, Uint8Array | undefined> {
    if (pos >= winPos && pos + n <= winPos + win.length) return win.subarray(pos - winPos, pos - winPos + n);
    const got = yield { op: 'read', pos, len: Math.max(n, WALK_CHUNK) };
    win = got ?? new Uint8Array(0);
    winPos = pos;
    return win.subarray(0, Math.min(n, win.length));
  }

  // Full check of the record at pos: header, bounds, CRC and zero padding.
  function* check(pos: number, h: RecordHeader, keep: boolean): Generator<WalkStep, Uint8Array | null, Uint8Array | undefined> {
    const padded = paddedLength(h.length);
    const start = pos + RECORD_HEADER_SIZE;
    let crc = headerCrc(yield* bytes(pos, RECORD_HEADER_SIZE), crc32);
    if (keep) {
      let buf: Uint8Array;
      if (start >= winPos && start + padded <= winPos + win.length) {
        buf = o.alloc(padded);
        buf.set(win.subarray(start - winPos, start - winPos + padded));
      } else {
        const got = yield { op: 'payload', pos: start, padded };
        if (!got || got.length < padded) return null;
        buf = got;
      }
      if (crc32(buf.subarray(0, h.length), crc) !== h.crc) return null;
      for (let i = h.length; i < padded; i++) if (buf[i] !== 0) return null;
      return buf.subarray(0, h.length);
    }
    for (let at = 0; at < padded; ) {
      const chunk = yield* bytes(start + at, Math.min(WALK_CHUNK, padded - at));
      if (chunk.length === 0) return null;
      const dataEnd = Math.max(0, Math.min(chunk.length, h.length - at));
      crc = crc32(chunk.subarray(0, dataEnd), crc);
      for (let i = dataEnd; i < chunk.length; i++) if (chunk[i] !== 0) return null;
      at += chunk.length;
    }
    return crc === h.crc ? EMPTY : null;
  }

  // Whether a complete, CRC-valid record starts at pos.
  function* validAt(pos: number): Generator<WalkStep, boolean, Uint8Array | undefined> {
    if (pos + RECORD_HEADER_SIZE > size) return false;
    const h = decodeRecordHeader(yield* bytes(pos, RECORD_HEADER_SIZE));
    if (typeof h === 'string' || pos + recordSize(h.length) > size) return false;
    return (yield* check(pos, h, false)) !== null;
  }

  // The offset of the next valid record at or after `from` (8-aligned scan), or -1.
  function* resync(from: number): Generator<WalkStep, number, Uint8Array | undefined> {
    for (let p = from; p + RECORD_HEADER_SIZE <= size; ) {
      const chunk = yield* bytes(p, Math.min(WALK_CHUNK, size - p));
      let candidate = -1;
      for (let i = 0; i + 4 <= chunk.length; i += RECORD_ALIGN) {
        if (chunk[i] === 0x4c && chunk[i + 1] === 0x57 && chunk[i + 2] === 0x52 && chunk[i + 3] === 0x31) {
          candidate = p + i;
          break;
        }
      }
      if (candidate < 0) {
        p += Math.max(RECORD_ALIGN, chunk.length - (chunk.length % RECORD_ALIGN));
        continue;
      }
      if (yield* validAt(candidate)) return candidate;
      p = candidate + RECORD_ALIGN;
    }
    return -1;
  }

  const head = yield* bytes(0, FILE_HEADER_SIZE);
  const fh = decodeFileHeader(head);
  if (fh === 'not-a-log') throw new StorageError('NOT_A_LOG', 'The file does not start with the "LWLOG" header; it is not a Layerwatch run log.');
  if (fh.version !== FORMAT_VERSION) {
    throw new StorageError('LOG_VERSION', `The log has format version ${fh.version}; this Layerwatch reads version ${FORMAT_VERSION}. Upgrade to read it.`, {
      details: { version: fh.version },
    });
  }
  const from = o.from ?? FILE_HEADER_SIZE;
  if (from < FILE_HEADER_SIZE || from % RECORD_ALIGN !== 0 || !Number.isSafeInteger(from)) {
    throw new StorageError('BAD_OFFSET', `Offset ${from} is not a record boundary (records start at 16 or later, on multiples of 8).`);
  }
  const end: WalkEnd = { version: fh.version, validEnd: from, tornBytes: 0, corrupt: [], records: 0 };
  let pos = from;
  while (pos < size) {
    let next = -1;
    if (pos + RECORD_HEADER_SIZE <= size) {
      const h = decodeRecordHeader(yield* bytes(pos, RECORD_HEADER_SIZE));
      if (typeof h !== 'string') {
        const recEnd = pos + recordSize(h.length);
        // A header whose payload reaches past the end is a torn append: the bytes after it are its own.
        if (recEnd > size) break;
        if (o.kinds && !o.kinds.has(h.kind)) {
          pos = end.validEnd = recEnd;
          continue;
        }
        const payload = yield* check(pos, h, o.materialize);
        if (payload !== null) {
          end.records++;
          yield { op: 'record', record: { ...h, offset: pos, payload } };
          pos = end.validEnd = recEnd;
          continue;
        }
        // A bad CRC: trust the length to bound the damage, so its payload is never parsed as records.
        next = yield* resync(recEnd);
      } else {
        next = yield* resync(pos + RECORD_ALIGN);
      }
    }
    if (next < 0) break;
    const range = { offset: pos, length: next - pos };
    if (o.strict) {
      throw new StorageError('LOG_CORRUPT', `The log is damaged at byte ${pos} (${range.length} bytes) and has valid records after it.`, {
        details: { ...range },
      });
    }
    end.corrupt.push(range);
    yield { op: 'corrupt', range };
    pos = next;
  }
  end.tornBytes = Math.max(0, size - end.validEnd);
  if (o.strict && end.tornBytes > 0) {
    throw new StorageError('LOG_TRUNCATED', `The log ends in an incomplete or damaged record at byte ${end.validEnd} (${end.tornBytes} bytes).`, {
      details: { validEnd: end.validEnd, tornBytes: end.tornBytes },
    });
  }
  return end;
}

const EMPTY = new Uint8Array(0);
