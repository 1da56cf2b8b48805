/**
 * Reading run logs from disk: a streaming record reader with a bounded read window,
 * and scanners that check every record without keeping payloads. All of them follow
 * the walk rules of log-walker.ts (torn tail dropped, corrupt middle skipped or an error).
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import type { Crc32Fn } from '../../lib/codecs/crc32';
import type { RecordKind } from './run-log-format';
import { walkLog, type CorruptRange, type WalkEnd, type WalkStep } from './log-walker';
import { StorageError } from './storage-error';

/** One record read back from a log. */
export interface LogRecord {
  /** Byte offset of the record header in the file. */
  offset: number;
  kind: RecordKind;
  flags: number;
  /** Receive time, ms since the epoch. */
  time: number;
  /** The payload; its first byte is 8-byte aligned in its ArrayBuffer, so float data can be viewed in place. */
  payload: Buffer;
}

/** Options of readRunLog. */
export interface ReadOptions {
  /** Start at this record offset (as returned by append or a previous read). */
  from?: number;
  /** Stop at this byte offset (e.g. a writer's flushed end); defaults to the file size when reading starts. */
  to?: number;
  /** Only these kinds; the others are skipped by seeking, without reading (or checking) their payloads. */
  kinds?: Iterable<RecordKind | number>;
  /** Throw LOG_CORRUPT on a damaged middle and LOG_TRUNCATED on a torn tail instead of skipping them. */
  strict?: boolean;
  /** Told about each damaged middle stretch a non-strict read skips. */
  onCorrupt?: (range: CorruptRange) => void;
}

/** What a scan found; nothing of the payloads is kept. */
export interface ScanResult extends WalkEnd {
  size: number;
  byKind: Record<RecordKind, number>;
  payloadBytes: number;
  firstTime: number | null;
  lastTime: number | null;
}

const nativeCrc32: Crc32Fn = (data, previous) => zlib.crc32(data, previous);
const alloc = (n: number): Uint8Array => Buffer.allocUnsafeSlow(n);

/** Streams the records of a log in order, holding one read window and the current payload in memory. */
export async function* readRunLog(path: string, opts: ReadOptions = {}): AsyncGenerator<LogRecord, WalkEnd, undefined> {
  const fh = await openForRead(path);
  try {
    const size = Math.min((await fh.stat()).size, opts.to ?? Infinity);
    const window = Buffer.allocUnsafeSlow(1 << 20);
    const walk = walkLog({
      size,
      from: opts.from,
      kinds: opts.kinds ? new Set(opts.kinds) : undefined,
      strict: opts.strict,
      materialize: true,
      crc32: nativeCrc32,
      alloc,
    });
    let answer: Uint8Array | undefined;
    for (;;) {
      const r = walk.next(answer);
      if (r.done) return r.value;
      const step: WalkStep = r.value;
      answer = undefined;
      if (step.op === 'read') answer = await readAt(fh, step.len <= window.length ? window : Buffer.allocUnsafeSlow(step.len), step.pos, step.len, size);
      else if (step.op === 'payload') answer = await readAt(fh, Buffer.allocUnsafeSlow(step.padded), step.pos, step.padded, size);
      else if (step.op === 'record') {
        const { offset, kind, flags, time, payload } = step.record;
        yield { offset, kind, flags, time, payload: payload as Buffer };
      } else opts.onCorrupt?.(step.range);
    }
  } finally {
    await fh.close();
  }
}

/** Checks every record of a log (CRCs included) and counts them, without keeping payloads. */
export async function scanRunLog(path: string, opts: { strict?: boolean; to?: number } = {}): Promise<ScanResult> {
  const fh = await openForRead(path);
  try {
    const size = Math.min((await fh.stat()).size, opts.to ?? Infinity);
    const window = Buffer.allocUnsafeSlow(1 << 20);
    const tally = new Tally(size);
    const walk = walkLog({ size, strict: opts.strict, materialize: false, crc32: nativeCrc32, alloc });
    let answer: Uint8Array | undefined;
    for (;;) {
      const r = walk.next(answer);
      if (r.done) return tally.result(r.value);
      answer = r.value.op === 'read' ? await readAt(fh, window, r.value.pos, r.value.len, size) : undefined;
      if (r.value.op === 'record') tally.add(r.value.record);
    }
  } finally {
    await fh.close();
  }
}

/** scanRunLog with synchronous fs calls, for startup paths and tools that cannot await. */
export function scanRunLogSync(path: string, opts: { strict?: boolean; to?: number } = {}): ScanResult {
  const fd = openForReadSync(path);
  try {
    const size = Math.min(fs.fstatSync(fd).size, opts.to ?? Infinity);
    const window = Buffer.allocUnsafeSlow(1 << 20);
    const tally = new Tally(size);
    const walk = walkLog({ size, strict: opts.strict, materialize: false, crc32: nativeCrc32, alloc });
    let answer: Uint8Array | undefined;
    for (;;) {
      const r = walk.next(answer);
      if (r.done) return tally.result(r.value);
      answer = undefined;
      if (r.value.op === 'read') {
        const len = Math.max(0, Math.min(r.value.len, size - r.value.pos));
        let got = 0;
        while (got < len) {
          const n = fs.readSync(fd, window, got, len - got, r.value.pos + got);
          if (n === 0) break;
          got += n;
        }
        answer = window.subarray(0, got);
      }
      if (r.value.op === 'record') tally.add(r.value.record);
    }
  } finally {
    fs.closeSync(fd);
  }
}

class Tally {
  byKind: Record<RecordKind, number> = { 1: 0, 2: 0, 3: 0, 4: 0 };
  payloadBytes = 0;
  firstTime: number | null = null;
  lastTime: number | null = null;
  constructor(readonly size: number) {}
  add(r: { kind: RecordKind; length: number; time: number }): void {
    this.byKind[r.kind]++;
    this.payloadBytes += r.length;
    this.firstTime ??= r.time;
    this.lastTime = r.time;
  }
  result(end: WalkEnd): ScanResult {
    const { byKind, payloadBytes, firstTime, lastTime, size } = this;
    return { ...end, size, byKind, payloadBytes, firstTime, lastTime };
  }
}

async function readAt(fh: fs.promises.FileHandle, buf: Buffer, pos: number, len: number, size: number): Promise<Buffer> {
  const want = Math.max(0, Math.min(len, size - pos, buf.length));
  let got = 0;
  while (got < want) {
    const { bytesRead } = await fh.read(buf, got, want - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

async function openForRead(path: string): Promise<fs.promises.FileHandle> {
  try {
    return await fs.promises.open(path, 'r');
  } catch (err) {
    throw openError(err, path);
  }
}

function openForReadSync(path: string): number {
  try {
    return fs.openSync(path, 'r');
  } catch (err) {
    throw openError(err, path);
  }
}

function openError(err: unknown, path: string): StorageError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new StorageError('RUN_NOT_FOUND', `No log at ${path}.`, { cause: err });
  return new StorageError('IO_ERROR', `Cannot open ${path}: ${(err as Error).message}`, { cause: err });
}
