/** Reads parts of stored frames from a run log without reading whole frames: the header, then any run of float32 values. */
import { closeSync, openSync } from 'node:fs';
import { FrameHeader, MAX_FRAME_HEADER_BYTES, ProtocolError } from '../../lib/protocol';
import { decodeHalf } from '../../lib/codecs/float16';
import { RECORD_HEADER_SIZE } from '../storage/run-log-format';
import { readExactly } from './frame-reader';

/** Where a frame record sits in a log: the record's offset and its payload length. */
export interface FrameAt {
  offset: number;
  length: number;
}

/** An open run log; `close()` when done. */
export class LogSlices {
  private readonly fd: number;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'r');
  }

  private bytes(position: number, length: number): Buffer {
    return readExactly(this.fd, Buffer.allocUnsafe(length), position, `a frame at ${position} (${this.file})`);
  }

  /** The frame's header and the payload's offset inside the record's payload. */
  header(at: FrameAt): { header: FrameHeader; payloadOffset: number } {
    const start = at.offset + RECORD_HEADER_SIZE;
    const pre = this.bytes(start, 8);
    const length = pre.readUInt32LE(4);
    if (length === 0 || length > MAX_FRAME_HEADER_BYTES || 8 + length > at.length)
      throw new ProtocolError('BAD_FRAME', `stored frame at ${at.offset} has a bad header length`);
    const parsed = FrameHeader.safeParse(JSON.parse(this.bytes(start + 8, length).toString('utf8')));
    if (!parsed.success) throw new ProtocolError('BAD_FRAME', `stored frame at ${at.offset} has a bad header`);
    return { header: parsed.data, payloadOffset: (8 + length + 3) & ~3 };
  }

  /** `count` values from value index `first` of an activation frame's payload, float32 or float16-stored (decoded). */
  values(at: FrameAt, header: FrameHeader, payloadOffset: number, first: number, count: number): Float32Array {
    if (header.dtype === 'float32') return this.floats(at, payloadOffset, first, count);
    if (payloadOffset + (first + count) * 2 > at.length) throw new ProtocolError('BAD_FRAME', `stored frame at ${at.offset} is shorter than its shape`);
    const buf = this.bytes(at.offset + RECORD_HEADER_SIZE + payloadOffset + first * 2, count * 2);
    const half = new Uint16Array(count);
    for (let i = 0; i < count; i++) half[i] = buf.readUInt16LE(i * 2);
    const out = new Float32Array(count);
    decodeHalf(half, header.scale ?? 1, out);
    return out;
  }

  /** `count` float32 values from value index `first` of the frame's payload. */
  floats(at: FrameAt, payloadOffset: number, first: number, count: number): Float32Array {
    if (payloadOffset + (first + count) * 4 > at.length) throw new ProtocolError('BAD_FRAME', `stored frame at ${at.offset} is shorter than its shape`);
    const buf = this.bytes(at.offset + RECORD_HEADER_SIZE + payloadOffset + first * 4, count * 4);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = buf.readFloatLE(i * 4);
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}
