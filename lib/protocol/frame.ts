/** Binary activation frames on /ingest: "LWF1", u32 header length, JSON header, zero padding to 4, float32 LE payload. */
import { z } from 'zod';
import { decodeHalf } from '../codecs/float16';
import { ProtocolError } from './errors';
import { MAX_GRADCAM_EXAMPLES, MAX_GRADCAM_TARGETS } from './gradcam';

export const FRAME_MAGIC = [0x4c, 0x57, 0x46, 0x31] as const; // "LWF1"
export const MAX_FRAME_HEADER_BYTES = 4096;
/** Most directions a sketch may hold (its singular values travel in the JSON header, which must stay under 4 KB). */
export const MAX_SKETCH = 128;

/** A sketch frame's numbers besides its basis: each direction's singular value (descending) and the layer's total variance. */
/** A non-negative 32-bit index (a probe example, a class). */
const index = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);

export const SketchInfo = z.strictObject({
  singular: z.array(z.number().finite().min(0)).min(1).max(MAX_SKETCH),
  /** ‖X_c‖²_F: Σ of every squared singular value, not only the K sent (the layer's exact total variance × m). */
  total: z.number().finite().min(0),
});
export type SketchInfo = z.infer<typeof SketchInfo>;

export const FrameHeader = z
  .strictObject({
    run: z.string().max(64).optional(),
    step: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    layer: z.string().min(1).max(200),
    /** float32 on the wire; float16 only in a run log written by the float16 store (payload = value / scale as binary16). */
    dtype: z.enum(['float32', 'float16']),
    /** float16 frames: the power of two the stored values were divided by. */
    scale: z.number().positive().finite().optional(),
    /** [units, examples] for activations; [units, examples, h, w] for spatial maps; [examples, h, w, channels] for images; [examples, targets, h, w] for Grad-CAM; [K, examples] for a sketch. */
    shape: z
      .array(
        z
          .number()
          .int()
          .min(1)
          .max(2 ** 31 - 1),
      )
      .min(2)
      .max(4),
    kind: z.enum(['activations', 'spatial', 'masks', 'images', 'gradcam', 'sketch']).default('activations'),
    /** Grad-CAM frames only: the probe example of each row (lib/protocol/gradcam.ts). */
    examples: z.array(index).min(1).max(MAX_GRADCAM_EXAMPLES).optional(),
    /** Grad-CAM frames only: the class each map explains, examples × targets row-major. */
    classes: z
      .array(index)
      .min(1)
      .max(MAX_GRADCAM_EXAMPLES * MAX_GRADCAM_TARGETS)
      .optional(),
    /** Sketch frames only. */
    sketch: SketchInfo.optional(),
  })
  .superRefine((h, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (h.kind !== 'gradcam' && (h.examples !== undefined || h.classes !== undefined)) issue('"examples" and "classes" belong to gradcam frames only');
    if ((h.kind === 'sketch') !== (h.sketch !== undefined)) issue('a "sketch" field goes with kind "sketch", and only there');
    if (h.sketch && (h.shape.length !== 2 || h.shape[0] !== h.sketch.singular.length))
      issue(`a sketch's shape is [K, examples] with K = ${h.sketch.singular.length} singular values`);
    if (h.dtype === 'float16' && h.kind !== 'activations' && h.kind !== 'spatial') issue('only activation frames can be float16');
    if ((h.dtype === 'float16') !== (h.scale !== undefined)) issue('"scale" goes with dtype float16, and only there');
    if (h.scale !== undefined && 2 ** Math.round(Math.log2(h.scale)) !== h.scale) issue('scale must be a power of two');
  });
export type FrameHeader = z.infer<typeof FrameHeader>;

export interface DecodedFrame {
  header: FrameHeader;
  /** Row-major units × examples (× h × w) values; a view into the message when aligned. */
  data: Float32Array;
  /** Byte offset of the payload inside the frame. */
  payloadOffset: number;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

const align4 = (n: number) => (n + 3) & ~3;

/** Number of values a shape holds, or Infinity if it overflows a safe integer. */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) return Infinity;
  }
  return n;
}

/** Encodes one float32 frame; `data` must hold exactly the shape's number of values. */
export function encodeFrame(header: Omit<FrameHeader, 'dtype' | 'kind' | 'scale'> & Partial<Pick<FrameHeader, 'kind'>>, data: Float32Array): Uint8Array {
  return encodeWith({ ...header, dtype: 'float32' as const }, data);
}

/** Encodes a float16 frame (the float16 store): `half` holds value / scale as binary16 bits. */
export function encodeHalfFrame(
  header: Omit<FrameHeader, 'dtype' | 'kind' | 'scale' | 'sketch'> & Partial<Pick<FrameHeader, 'kind'>>,
  half: Uint16Array,
  scale: number,
): Uint8Array {
  return encodeWith({ ...header, dtype: 'float16' as const, scale }, half);
}

function encodeWith(full: Omit<FrameHeader, 'kind'> & Partial<Pick<FrameHeader, 'kind'>>, data: Float32Array | Uint16Array): Uint8Array {
  if (shapeSize(full.shape) !== data.length) {
    throw new ProtocolError('SHAPE_MISMATCH', `frame shape [${full.shape.join(', ')}] holds ${shapeSize(full.shape)} values, data has ${data.length}`);
  }
  const json = encoder.encode(JSON.stringify(full));
  if (json.length > MAX_FRAME_HEADER_BYTES)
    throw new ProtocolError('BAD_FRAME', `frame header is ${json.length} bytes; the limit is ${MAX_FRAME_HEADER_BYTES}`);
  const payloadOffset = align4(8 + json.length);
  const out = new Uint8Array(payloadOffset + data.byteLength);
  out.set(FRAME_MAGIC, 0);
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, 8);
  if (LITTLE_ENDIAN_HOST) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), payloadOffset);
  } else {
    const view = new DataView(out.buffer, payloadOffset);
    if (data instanceof Uint16Array) for (let i = 0; i < data.length; i++) view.setUint16(i * 2, data[i], true);
    else for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  }
  return out;
}

/** Decodes and validates one frame; throws ProtocolError('BAD_FRAME') naming what is wrong. */
export function decodeFrame(buf: Uint8Array): DecodedFrame {
  if (buf.length < 8) throw new ProtocolError('BAD_FRAME', `binary frame of ${buf.length} bytes is shorter than the 8-byte preamble`);
  for (let i = 0; i < 4; i++) {
    if (buf[i] !== FRAME_MAGIC[i]) throw new ProtocolError('BAD_FRAME', 'binary frame does not start with "LWF1"');
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLength = view.getUint32(4, true);
  if (headerLength === 0 || headerLength > MAX_FRAME_HEADER_BYTES) {
    throw new ProtocolError('BAD_FRAME', `frame header length ${headerLength} is outside 1-${MAX_FRAME_HEADER_BYTES}`);
  }
  if (8 + headerLength > buf.length) {
    throw new ProtocolError('BAD_FRAME', `frame header claims ${headerLength} bytes but only ${buf.length - 8} follow`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(buf.subarray(8, 8 + headerLength)));
  } catch {
    throw new ProtocolError('BAD_FRAME', 'frame header is not UTF-8 JSON');
  }
  const parsed = FrameHeader.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ProtocolError('BAD_FRAME', `frame header: ${issue.path.join('.') || 'header'}: ${issue.message}`);
  }
  const header = parsed.data;
  const payloadOffset = align4(8 + headerLength);
  const values = shapeSize(header.shape);
  const size = header.dtype === 'float16' ? 2 : 4;
  const expected = payloadOffset + values * size;
  if (!Number.isFinite(values) || buf.length !== expected) {
    throw new ProtocolError(
      'BAD_FRAME',
      `frame payload is ${Math.max(0, buf.length - payloadOffset)} bytes; shape [${header.shape.join(', ')}] needs ${Number.isFinite(values) ? values * size : 'too many'}`,
    );
  }
  let data: Float32Array;
  if (header.dtype === 'float16') {
    let half: Uint16Array;
    if (LITTLE_ENDIAN_HOST && (buf.byteOffset + payloadOffset) % 2 === 0) half = new Uint16Array(buf.buffer, buf.byteOffset + payloadOffset, values);
    else {
      half = new Uint16Array(values);
      for (let i = 0; i < values; i++) half[i] = view.getUint16(payloadOffset + i * 2, true);
    }
    data = new Float32Array(values);
    decodeHalf(half, header.scale ?? 1, data);
  } else if (LITTLE_ENDIAN_HOST && (buf.byteOffset + payloadOffset) % 4 === 0) {
    data = new Float32Array(buf.buffer, buf.byteOffset + payloadOffset, values);
  } else {
    data = new Float32Array(values);
    for (let i = 0; i < values; i++) data[i] = view.getFloat32(payloadOffset + i * 4, true);
  }
  return { header, data, payloadOffset };
}
