/**
 * The opt-in float16 store (docs/storage.md, "float16 store"): a raw activation frame re-encoded as binary16 before
 * it is written, which halves its bytes on disk. Values are divided by a power of two first, so the largest magnitude
 * fits (nothing overflows) and the relative precision is binary16's 2⁻¹¹ whatever the layer's scale.
 */
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import { encodeHalf, halfScale } from '../../lib/codecs/float16';
import { encodeHalfFrame, type DecodedFrame } from '../../lib/protocol';

/** Where raw activations are stored: as received, or as binary16. */
export type StoreDtype = 'float32' | 'float16';

interface HalfAddon {
  f16Encode?(x: Float32Array, scale: number, out: Uint16Array): number;
}

let addon: HalfAddon | null | undefined;

/** The native encoder (F16C) when the addon has it: ~20× the JavaScript loop, on the ingest thread. */
function nativeEncoder(): HalfAddon['f16Encode'] | undefined {
  if (addon === undefined) {
    try {
      addon = createRequire(import.meta.url)('../../native/build/Release/layerwatch_native.node') as HalfAddon;
    } catch {
      addon = null;
    }
  }
  return addon?.f16Encode?.bind(addon);
}

/** Encodes x / scale as binary16 (native when available; both give the same bits). */
export function encodeHalfFast(data: Float32Array, scale: number): Uint16Array {
  const out = new Uint16Array(data.length);
  const native = nativeEncoder();
  if (native) native(data, scale, out);
  else encodeHalf(data, scale, out);
  return out;
}

/** Whether frameToStore keeps a frame's bytes as they arrived (then the frame read back from the log decodes to the same data). */
export function storedAsReceived(dtype: StoreDtype, header: DecodedFrame['header'], finite: boolean): boolean {
  return dtype !== 'float16' || !finite || header.dtype !== 'float32' || (header.kind !== 'activations' && header.kind !== 'spatial');
}

/**
 * What to write for a checkpoint frame: under the float16 store, a finite activation (or spatial) frame becomes a
 * float16 frame with its own CRC; everything else (sketches, frames with NaN/Inf, the float32 store) as received.
 */
export function frameToStore(dtype: StoreDtype, raw: Uint8Array, frame: DecodedFrame, crc: number, finite: boolean): { payload: Uint8Array; crc: number } {
  const { header, data } = frame;
  if (storedAsReceived(dtype, header, finite)) return { payload: raw, crc };
  const scale = halfScale(data);
  const { dtype: _d, scale: _s, sketch: _k, ...rest } = header;
  const payload = encodeHalfFrame(rest, encodeHalfFast(data, scale), scale);
  return { payload, crc: zlib.crc32(payload) };
}
