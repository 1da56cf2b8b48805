/** Reads one stored activation frame from a run log as units × examples (spatial maps averaged over positions). */
import { closeSync, openSync, readSync } from 'node:fs';
import { decodeFrame, type DecodedFrame } from '../../lib/protocol';
import { RECORD_HEADER_SIZE } from '../storage/run-log-format';
import type { FrameRef } from './jobs';
import { reusable } from '../../lib/analysis/workspace';

export interface LayerActivations {
  data: Float32Array;
  units: number;
  examples: number;
}

/** Fills `buf` from `position` of `fd`; a file that ends first is an error naming `what`. */
export function readExactly(fd: number, buf: Buffer, position: number, what: string): Buffer {
  for (let got = 0; got < buf.length; ) {
    const n = readSync(fd, buf, got, buf.length - got, position + got);
    if (n === 0) throw new Error(`log ends inside ${what}`);
    got += n;
  }
  return buf;
}

/** Reads and decodes the frame at `ref` as activations (spatial maps pooled). */
export function readActivations(ref: Pick<FrameRef, 'file' | 'offset' | 'length'>): LayerActivations {
  return poolSpatial(readFrame(ref));
}

/** Reads and decodes the frame at `ref`, whatever its kind (float16 frames come back as float32). */
export function readFrame(ref: Pick<FrameRef, 'file' | 'offset' | 'length'>): DecodedFrame {
  return readInto(ref, Buffer.allocUnsafeSlow(ref.length));
}

/** The read buffer readTransientFrame reuses (grown as needed). */
const transient = reusable((length) => Buffer.allocUnsafeSlow(length));

/**
 * readFrame into one reused buffer: its data is valid only until the next call on this thread, so the caller must
 * consume (or copy) it synchronously. A fresh 40 MB buffer per wide frame costs more in first-touch page faults than
 * reading it (docs/performance.md, "Real model widths").
 */
export function readTransientFrame(ref: Pick<FrameRef, 'file' | 'offset' | 'length'>): DecodedFrame {
  return readInto(ref, transient(ref.length));
}

function readInto(ref: Pick<FrameRef, 'file' | 'offset' | 'length'>, buf: Buffer): DecodedFrame {
  const fd = openSync(ref.file, 'r');
  try {
    return decodeFrame(readExactly(fd, buf, ref.offset + RECORD_HEADER_SIZE, `the frame at ${ref.offset}`));
  } finally {
    closeSync(fd);
  }
}

/** Units × examples from a decoded frame: spatial [units, m, h, w] maps are averaged per unit and example. */
export function poolSpatial({ header, data }: ReturnType<typeof decodeFrame>): LayerActivations {
  const [units, examples] = header.shape;
  if (header.shape.length === 2) return { data, units, examples };
  const positions = header.shape.slice(2).reduce((a, b) => a * b, 1);
  const pooled = new Float32Array(units * examples);
  for (let i = 0; i < units * examples; i++) {
    let s = 0;
    for (let p = 0; p < positions; p++) s += data[i * positions + p];
    pooled[i] = s / positions;
  }
  return { data: pooled, units, examples };
}
