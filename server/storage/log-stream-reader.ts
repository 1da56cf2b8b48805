/**
 * Strict reading of a log as its bytes arrive (import: a file being copied, an HTTP upload): the file header, then
 * each record checked (header, CRC, zero padding) as soon as it is complete. The first record that cannot be valid
 * ends the read, so a hostile file costs at most one record's bytes beyond its last valid one, not its whole size.
 * Unlike the random-access walk (log-walker.ts) it does not look past damage: a damaged record is LOG_TRUNCATED when
 * the input ends with it, LOG_CORRUPT as soon as more bytes follow it.
 */
import zlib from 'node:zlib';
import {
  FILE_HEADER_SIZE,
  FORMAT_VERSION,
  RECORD_HEADER_SIZE,
  decodeFileHeader,
  decodeRecordHeader,
  headerCrc,
  paddedLength,
  type RecordHeader,
} from './run-log-format';
import { StorageError } from './storage-error';

/** One complete, CRC-checked record; `payload` starts 8-byte aligned in its own buffer. */
export interface StreamRecord {
  offset: number;
  kind: RecordHeader['kind'];
  flags: number;
  time: number;
  payload: Buffer;
}

/** What the reader's owner does with records: refuse one by its header before its payload is buffered, then take it whole. */
export interface RecordSink {
  /** Called with each record header before its payload is read; throw to refuse the log (e.g. a payload over a limit). */
  header?(kind: number, length: number, offset: number): void;
  record(rec: StreamRecord): void;
  /** The input ended cleanly after `records` records; throw to refuse the log (e.g. nothing but a header). */
  end?(records: number): void;
}

/** Feeds a log's bytes in order through strict checks into a sink. */
export class LogStreamReader {
  private offset = 0;
  private head = Buffer.alloc(RECORD_HEADER_SIZE);
  private headFill = 0;
  private started = false;
  private current: { header: RecordHeader; offset: number; crc: number; payload: Buffer; fill: number } | null = null;
  /** A complete record that failed its check: CORRUPT if anything follows it, TRUNCATED if the input ends here. */
  private damaged: { offset: number; why: string } | null = null;
  private records = 0;

  constructor(private readonly sink: RecordSink) {}

  /** Bytes consumed so far. */
  get bytes(): number {
    return this.offset + this.headFill + (this.current?.fill ?? 0);
  }

  /** Takes the next bytes of the log; throws a StorageError at the first record that cannot be valid. */
  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.damaged) throw corrupt(this.damaged);
      if (this.current) {
        at += this.fillPayload(chunk, at);
        continue;
      }
      const want = this.started ? RECORD_HEADER_SIZE : FILE_HEADER_SIZE;
      const n = Math.min(want - this.headFill, chunk.length - at);
      this.head.set(chunk.subarray(at, at + n), this.headFill);
      this.headFill += n;
      at += n;
      if (this.headFill < want) continue;
      if (this.started) this.openRecord();
      else this.openFile();
    }
  }

  /** The input ended; throws LOG_TRUNCATED when it ends inside a record (or a damaged last record), else tells the sink. */
  end(): { records: number; bytes: number } {
    if (!this.started) throw new StorageError('NOT_A_LOG', 'The file is shorter than the log header; it is not a Layerwatch run log.');
    if (this.damaged || this.current || this.headFill > 0) {
      const validEnd = this.damaged?.offset ?? this.offset;
      const tornBytes = this.bytes - validEnd;
      throw new StorageError('LOG_TRUNCATED', `The log ends in an incomplete or damaged record at byte ${validEnd} (${tornBytes} bytes).`, {
        details: { validEnd, tornBytes },
      });
    }
    this.sink.end?.(this.records);
    return { records: this.records, bytes: this.offset };
  }

  private openFile(): void {
    const fh = decodeFileHeader(this.head.subarray(0, FILE_HEADER_SIZE));
    if (fh === 'not-a-log') throw new StorageError('NOT_A_LOG', 'The file does not start with the "LWLOG" header; it is not a Layerwatch run log.');
    if (fh.version !== FORMAT_VERSION) {
      throw new StorageError('LOG_VERSION', `The log has format version ${fh.version}; this Layerwatch reads version ${FORMAT_VERSION}. Upgrade to read it.`, {
        details: { version: fh.version },
      });
    }
    this.started = true;
    this.offset = FILE_HEADER_SIZE;
    this.headFill = 0;
  }

  private openRecord(): void {
    const h = decodeRecordHeader(this.head);
    if (typeof h === 'string') {
      this.damaged = { offset: this.offset, why: `its record header is not valid (${h})` };
      return;
    }
    this.sink.header?.(h.kind, h.length, this.offset);
    // The payload buffer is taken only once the sink accepted its size.
    this.current = { header: h, offset: this.offset, crc: headerCrc(this.head, crc32), payload: Buffer.allocUnsafeSlow(paddedLength(h.length)), fill: 0 };
    this.headFill = 0;
    if (this.current.payload.length === 0) this.closeRecord();
  }

  private fillPayload(chunk: Uint8Array, at: number): number {
    const cur = this.current!;
    const n = Math.min(cur.payload.length - cur.fill, chunk.length - at);
    cur.payload.set(chunk.subarray(at, at + n), cur.fill);
    cur.fill += n;
    if (cur.fill === cur.payload.length) this.closeRecord();
    return n;
  }

  private closeRecord(): void {
    const { header: h, offset, crc, payload } = this.current!;
    this.current = null;
    const data = payload.subarray(0, h.length);
    let ok = crc32(data, crc) === h.crc;
    for (let i = h.length; ok && i < payload.length; i++) ok = payload[i] === 0;
    if (!ok) {
      this.damaged = { offset, why: 'its CRC or padding does not match' };
      return;
    }
    this.offset = offset + RECORD_HEADER_SIZE + payload.length;
    this.records++;
    this.sink.record({ offset, kind: h.kind, flags: h.flags, time: h.time, payload: data });
  }
}

const crc32 = (data: Uint8Array, previous?: number) => zlib.crc32(data, previous);

function corrupt(d: { offset: number; why: string }): StorageError {
  return new StorageError('LOG_CORRUPT', `The log is damaged at byte ${d.offset}: ${d.why}, and more bytes follow it.`, { details: { offset: d.offset } });
}
