/**
 * The append side of a run log. append() encodes a record into its own buffer and
 * returns at once; a background pump coalesces queued records into positional
 * writev calls (libuv thread pool), so the event loop never waits on the disk. A
 * failed write drops everything not yet on disk, truncates back to the last written
 * record boundary and reports DISK_FULL / IO_ERROR; later appends are tried again.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Crc32Fn } from '../../lib/codecs/crc32';
import { crc32Combine } from '../../lib/codecs/crc32-combine';
import { openExisting } from './run-log-repair';
import type { CorruptRange } from './log-walker';
import {
  FILE_HEADER_SIZE,
  MAX_PAYLOAD,
  RECORD_HEADER_SIZE,
  encodeFileHeader,
  headerCrc,
  isRecordKind,
  recordSize,
  writeRecordHeader,
  type RecordKind,
} from './run-log-format';
import { StorageError, writeErrorFromFs } from './storage-error';

/** The fs calls the writer makes; inject a replacement to simulate full or failing disks. */
export interface WriterFs {
  writev(fd: number, buffers: Buffer[], position: number): Promise<number>;
  ftruncate(fd: number, length: number): Promise<void>;
  fsync(fd: number): Promise<void>;
}

/** Options of RunLogWriter.open. */
export interface RunLogWriterOptions {
  /** fsync at most this often while there are unsynced bytes; 0 turns periodic fsync off. Default 1000. */
  fsyncIntervalMs?: number;
  /** pendingBytes above which `needsDrain` is true until a 'drain' event. Default 64 MiB. */
  highWaterMark?: number;
  /** Fail with RUN_EXISTS instead of opening a log that already exists. */
  exclusive?: boolean;
  /** Called with every background write or fsync error (also emitted as 'error' when someone listens). */
  onError?: (err: StorageError) => void;
  fs?: Partial<WriterFs>;
}

/** What opening an existing log found and repaired. */
export interface OpenReport {
  created: boolean;
  records: number;
  /** Torn or unparseable tail bytes cut off the end. */
  droppedBytes: number;
  /** Damaged stretches in the middle, left in place (non-strict readers skip them). */
  corrupt: CorruptRange[];
}

const MAX_IOV = 1024;
// Large record buffers are reused after their write: fresh multi-MB allocations cost page faults and GC pressure.
const POOL_MIN = 256 << 10;
const POOL_MAX_BYTES = 64 << 20;
const realFs: WriterFs = {
  writev: (fd, buffers, position) => new Promise((resolve, reject) => fs.writev(fd, buffers, position, (err, n) => (err ? reject(err) : resolve(n)))),
  ftruncate: promisify(fs.ftruncate),
  fsync: promisify(fs.fsync),
};
const nativeCrc32: Crc32Fn = (data, previous) => zlib.crc32(data, previous);
const noCrc: Crc32Fn = () => 0;
const ZERO_PAD = Buffer.alloc(8);

/** Extras for append() on the ingest hot path. */
export interface AppendOptions {
  /** zlib.crc32 of the payload alone, computed by the caller (e.g. as the frame arrived): append then reads no payload byte. */
  payloadCrc?: number;
  /** The caller hands the payload over and never changes it: it is written from its own memory, without a copy. */
  owned?: boolean;
}

interface Waiter {
  target: number;
  resolve: () => void;
  reject: (err: StorageError) => void;
}

/** An open run log accepting appends; emits 'error' (StorageError) and 'drain'. */
export class RunLogWriter extends EventEmitter {
  /** Opens `path` for appending: creates it with a header, or scans it and truncates a torn tail. */
  static async open(path: string, opts: RunLogWriterOptions = {}): Promise<RunLogWriter> {
    let report: OpenReport = { created: true, records: 0, droppedBytes: 0, corrupt: [] };
    let end = FILE_HEADER_SIZE;
    let fd: number;
    try {
      fd = await promisify(fs.open)(path, 'wx+');
      await promisify(fs.write)(fd, encodeFileHeader(), 0, FILE_HEADER_SIZE, 0);
      await promisify(fs.fsync)(fd);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw writeErrorFromFs(err, `Cannot create ${path}`);
      if (opts.exclusive) throw new StorageError('RUN_EXISTS', `A log already exists at ${path}.`);
      ({ fd, end, report } = await openExisting(path));
    }
    return new RunLogWriter(path, fd, end, report, opts);
  }

  readonly path: string;
  readonly report: OpenReport;
  private fd: number;
  private readonly fs: WriterFs;
  private readonly fsyncMs: number;
  private readonly highWater: number;
  private readonly onError?: (err: StorageError) => void;
  private end: number;
  private written: number;
  private queue: Buffer[] = [];
  private queued = 0;
  private inflight = 0;
  private waiters: Waiter[] = [];
  private syncWaiters: Waiter[] = [];
  private running = false;
  private scheduled = false;
  private needsTruncate = false;
  private dirty = false;
  private fsyncTimer: NodeJS.Timeout | null = null;
  private draining = false;
  private closed = false;
  private pool: Buffer[] = [];
  /** Buffers takeBuffer allocated: the only ones recycled (owned payloads belong to their caller's allocation). */
  private readonly mine = new WeakSet<Buffer>();
  private poolBytes = 0;

  private constructor(path: string, fd: number, end: number, report: OpenReport, opts: RunLogWriterOptions) {
    super();
    this.path = path;
    this.fd = fd;
    this.end = this.written = end;
    this.report = report;
    this.fs = { ...realFs, ...opts.fs };
    this.fsyncMs = opts.fsyncIntervalMs ?? 1000;
    this.highWater = opts.highWaterMark ?? 64 << 20;
    this.onError = opts.onError;
  }

  /** Logical end of the log: where the next append goes (includes buffered records). */
  get size(): number {
    return this.end;
  }
  /** End of what has been written to the file (not necessarily fsynced). */
  get flushedSize(): number {
    return this.written;
  }
  /** Bytes appended but not yet written: queue plus the write in flight. Apply backpressure on it. */
  get pendingBytes(): number {
    return this.queued + this.inflight;
  }
  /** True while pendingBytes is above the high-water mark; a 'drain' event follows when it falls. */
  get needsDrain(): boolean {
    return this.pendingBytes > this.highWater;
  }

  /** Queues one record and returns its byte offset; the write happens in the background. */
  append(kind: RecordKind | number, payload: Uint8Array | string, time: number = Date.now(), flags = 0, opts?: AppendOptions): number {
    if (this.closed) throw new StorageError('CLOSED', `The log ${this.path} is closed.`);
    if (!isRecordKind(kind)) throw new StorageError('BAD_RECORD', `Record kind ${kind} is not 1–4.`);
    if (!Number.isFinite(time)) throw new StorageError('BAD_RECORD', 'Record time must be a finite number of ms.');
    if (!Number.isInteger(flags) || flags < 0 || flags > 255) throw new StorageError('BAD_RECORD', 'Record flags are one byte.');
    const length = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.length;
    if (length > MAX_PAYLOAD) throw new StorageError('BAD_RECORD', `A payload of ${length} bytes exceeds the 2 GiB − 1 record limit.`);
    const size = recordSize(length);
    if (opts?.owned && typeof payload !== 'string') return this.appendOwned(kind, payload, length, size, time, flags, opts.payloadCrc);
    // One copy into a buffer of our own: the caller may reuse its buffer, and the CRC must match what is written.
    const buf = this.takeBuffer(size);
    const body = buf.subarray(RECORD_HEADER_SIZE, RECORD_HEADER_SIZE + length);
    if (typeof payload === 'string') body.write(payload, 'utf8');
    else body.set(payload);
    buf.fill(0, RECORD_HEADER_SIZE + length);
    if (opts?.payloadCrc === undefined) writeRecordHeader(buf, 0, kind, flags, time, body, nativeCrc32);
    else setHeader(buf, kind, flags, time, body, opts.payloadCrc);
    return this.enqueue([buf], size);
  }

  /** A record written as [header, the caller's payload, padding]: no copy of the payload. */
  private appendOwned(kind: RecordKind, payload: Uint8Array, length: number, size: number, time: number, flags: number, payloadCrc?: number): number {
    const head = Buffer.allocUnsafe(RECORD_HEADER_SIZE);
    const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, length);
    if (payloadCrc === undefined) writeRecordHeader(head, 0, kind, flags, time, body, nativeCrc32);
    else setHeader(head, kind, flags, time, body, payloadCrc);
    const pad = size - RECORD_HEADER_SIZE - length;
    return this.enqueue(pad ? [head, body, ZERO_PAD.subarray(0, pad)] : [head, body], size);
  }

  private enqueue(bufs: Buffer[], size: number): number {
    const offset = this.end;
    this.end += size;
    this.queue.push(...bufs);
    this.queued += size;
    if (this.pendingBytes > this.highWater) this.draining = true;
    this.kick();
    return offset;
  }

  /** Resolves when every record appended so far is written; rejects with DISK_FULL / IO_ERROR if any was lost. */
  flush(): Promise<void> {
    if (this.end === this.written && !this.needsTruncate) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ target: this.end, resolve, reject });
      this.kick();
    });
  }

  /** flush() and then fsync: every record appended so far is durable. */
  async sync(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      this.syncWaiters.push({ target: this.written, resolve, reject });
      this.kick();
    });
  }

  /** Writes and syncs everything appended, then closes the file; later appends throw CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.sync();
    } finally {
      this.closed = true;
      if (this.fsyncTimer) clearTimeout(this.fsyncTimer);
      await promisify(fs.close)(this.fd);
    }
  }

  private takeBuffer(size: number): Buffer {
    if (size >= POOL_MIN) {
      const i = this.pool.findIndex((b) => b.length === size);
      if (i >= 0) {
        const [buf] = this.pool.splice(i, 1);
        this.poolBytes -= size;
        return buf;
      }
    }
    const buf = Buffer.allocUnsafe(size);
    if (size >= POOL_MIN) this.mine.add(buf);
    return buf;
  }

  private recycle(bufs: Buffer[]): void {
    for (const b of bufs) {
      if (b.length < POOL_MIN || !this.mine.has(b) || this.poolBytes + b.length > POOL_MAX_BYTES) continue;
      this.pool.push(b);
      this.poolBytes += b.length;
    }
  }

  private kick(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    // setImmediate lets every append of this tick join one writev.
    setImmediate(() => {
      this.scheduled = false;
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        if (this.needsTruncate && !(await this.truncateBack())) break;
        if (this.queue.length > 0) await this.writeBatch();
        else if (this.syncWaiters.length > 0) await this.fsyncNow(this.syncWaiters.splice(0));
        else {
          // A flush() that arrived while a failed write was being cut back has nothing left to wait for.
          this.settle(this.waiters, (w) => w.target <= this.written);
          break;
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async writeBatch(): Promise<void> {
    const batch = this.queue.length <= MAX_IOV ? this.queue : this.queue.slice(0, MAX_IOV);
    this.queue = batch === this.queue ? [] : this.queue.slice(MAX_IOV);
    let bytes = 0;
    for (const b of batch) bytes += b.length;
    this.queued -= bytes;
    this.inflight = bytes;
    try {
      let done = 0;
      let bufs = batch;
      while (done < bytes) {
        const n = await this.fs.writev(this.fd, bufs, this.written + done);
        if (n <= 0) throw Object.assign(new Error('writev wrote nothing'), { code: 'EIO' });
        done += n;
        if (done < bytes) bufs = skipBytes(bufs, n);
      }
      this.written += bytes;
      this.inflight = 0;
      this.recycle(batch);
      this.dirty = true;
      this.armFsync();
      this.settle(this.waiters, (w) => w.target <= this.written);
      if (this.draining && this.pendingBytes <= this.highWater) {
        this.draining = false;
        this.emit('drain');
      }
    } catch (cause) {
      const err = writeErrorFromFs(cause, `Writing ${this.path} at byte ${this.written}`);
      const lost = { fromOffset: this.written, toOffset: this.end, bytes: this.end - this.written };
      Object.assign(err.details, lost);
      // Everything not on disk is dropped so that offsets stay contiguous; the caller learns from which offset.
      this.recycle(batch);
      this.recycle(this.queue);
      this.queue = [];
      this.queued = this.inflight = 0;
      this.end = this.written;
      this.needsTruncate = true;
      this.failWaiters(err);
      if (this.draining) {
        this.draining = false;
        this.emit('drain');
      }
      this.report_(err);
    }
  }

  private async truncateBack(): Promise<boolean> {
    try {
      await this.fs.ftruncate(this.fd, this.written);
      this.needsTruncate = false;
      return true;
    } catch (cause) {
      // Nothing more is written until this succeeds: stale whole records past the end must never survive.
      const err = writeErrorFromFs(cause, `Truncating ${this.path} back to byte ${this.written}`);
      this.failWaiters(err);
      this.report_(err);
      return false;
    }
  }

  private async fsyncNow(waiters: Waiter[]): Promise<void> {
    try {
      this.dirty = false;
      await this.fs.fsync(this.fd);
      for (const w of waiters) w.resolve();
    } catch (cause) {
      this.dirty = true;
      const err = writeErrorFromFs(cause, `fsync of ${this.path}`);
      for (const w of waiters) w.reject(err);
      this.report_(err);
    }
  }

  private armFsync(): void {
    if (this.fsyncMs <= 0 || this.fsyncTimer) return;
    this.fsyncTimer = setTimeout(() => {
      this.fsyncTimer = null;
      if (!this.dirty || this.closed) return;
      this.syncWaiters.push({ target: this.written, resolve: () => {}, reject: () => {} });
      this.kick();
    }, this.fsyncMs);
    this.fsyncTimer.unref();
  }

  private failWaiters(err: StorageError): void {
    const failed = this.waiters;
    this.waiters = [];
    for (const w of failed) w.reject(err);
  }

  private settle(list: Waiter[], done: (w: Waiter) => boolean): void {
    const keep: Waiter[] = [];
    for (const w of list) done(w) ? w.resolve() : keep.push(w);
    this.waiters = keep;
  }

  private report_(err: StorageError): void {
    this.onError?.(err);
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

// The record header for a payload whose CRC is already known: joins the header's CRC to it without reading the payload.
function setHeader(out: Buffer, kind: RecordKind, flags: number, time: number, payload: Uint8Array, payloadCrc: number): void {
  writeRecordHeader(out, 0, kind, flags, time, payload, noCrc);
  out.writeUInt32LE(crc32Combine(headerCrc(out, nativeCrc32), payloadCrc, payload.length), 8);
}

// The buffers left after the first n bytes of a partial writev.
function skipBytes(bufs: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < bufs.length && n >= bufs[i].length) n -= bufs[i++].length;
  const rest = bufs.slice(i);
  if (n > 0 && rest.length > 0) rest[0] = rest[0].subarray(n);
  return rest;
}
