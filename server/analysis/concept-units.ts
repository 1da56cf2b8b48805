/**
 * Per-unit concept values in a run's analysis log, one binary record per layer and checkpoint: a float32 frame
 * (lib/protocol/frame.ts) of shape [3, units] — best concept (−1: none), its IoU, class selectivity (NaN: none) — named
 * `__concept_units__@<layer index>`. Views never get them in bulk: the `concept-units` request reads the rows of a few
 * units at every checkpoint straight from the file (a positional read per row), so its cost does not grow with the
 * layer's width. Older logs kept whole cells inside their `concepts` patches; those are read by parsing the patch.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { encodeFrame, MAX_FRAME_HEADER_BYTES, type ConceptCell, type ConceptUnitValues } from '../../lib/protocol';
import { readRunLog } from '../storage/run-log-reader';
import { RECORD_HEADER_SIZE } from '../storage/run-log-format';

/** Where one cell's per-unit values are stored: a units record, or (older logs) the concepts patch holding the whole cell. */
export interface UnitsRef {
  offset: number;
  format: 'units' | 'patch';
  step: number;
}

const LAYER = /^__concept_units__@(\d{1,6})$/;

/** The record of one layer's per-unit values at one checkpoint (`packed`: the rows best, IoU, selectivity). */
export function encodeUnitsRecord(l: number, step: number, packed: Float32Array): Uint8Array {
  return encodeFrame({ step, layer: `__concept_units__@${l}`, shape: [3, packed.length / 3] }, packed);
}

/** Layer index and step of a units record from its frame header (the payload is not decoded), or null when it is not one. */
export function unitsRecordKey(payload: Uint8Array): { l: number; step: number } | null {
  if (payload.length < 8 || payload[0] !== 0x4c || payload[1] !== 0x57 || payload[2] !== 0x46 || payload[3] !== 0x31) return null;
  const h = new DataView(payload.buffer, payload.byteOffset, 8).getUint32(4, true);
  if (h < 1 || h > MAX_FRAME_HEADER_BYTES || 8 + h > payload.length) return null;
  try {
    const header = JSON.parse(new TextDecoder().decode(payload.subarray(8, 8 + h))) as { layer?: unknown; step?: unknown };
    const m = typeof header.layer === 'string' ? LAYER.exec(header.layer) : null;
    return m && Number.isSafeInteger(header.step) ? { l: Number(m[1]), step: header.step as number } : null;
  } catch {
    return null;
  }
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/** Units [from, from + count) of packed rows (or of a whole cell's arrays), cleaned: an unknown concept is −1, a missing IoU 0, a missing selectivity null. */
function slice(get: (row: number, u: number) => number | null, from: number, count: number, concepts: number): ConceptUnitValues {
  const out: ConceptUnitValues = { best: [], iou: [], selectivity: [] };
  for (let u = from; u < from + count; u++) {
    const b = get(0, u),
      iou = get(1, u),
      sel = get(2, u);
    out.best.push(b !== null && Number.isInteger(b) && b >= 0 && b < concepts ? b : -1);
    out.iou.push(iou !== null && Number.isFinite(iou) ? round(iou, 4) : 0);
    out.selectivity.push(sel !== null && Number.isFinite(sel) ? round(sel, 3) : null);
  }
  return out;
}

/** Reads units [from, from + count) of a layer with `units` units at each stored cell (null where none is stored); one open file per call. */
export async function readUnitSlices(
  file: string,
  refs: Array<UnitsRef | null>,
  want: { l: number; units: number; from: number; count: number; concepts: number },
): Promise<Array<ConceptUnitValues | null>> {
  let fh: FileHandle | null = null;
  try {
    fh = await open(file, 'r');
    const out: Array<ConceptUnitValues | null> = [];
    for (const ref of refs) out.push(ref === null ? null : ref.format === 'units' ? await rowsAt(fh, ref.offset, want) : await cellAt(file, ref, want));
    return out;
  } finally {
    await fh?.close();
  }
}

/** The rows of a units record at `offset`: its header read first, then count values of each row; null when the record does not fit. */
async function rowsAt(fh: FileHandle, offset: number, w: { units: number; from: number; count: number; concepts: number }): Promise<ConceptUnitValues | null> {
  const head = Buffer.alloc(RECORD_HEADER_SIZE + 8);
  if ((await fh.read(head, 0, head.length, offset)).bytesRead < head.length) return null;
  const length = head.readUInt32LE(4);
  const h = head.readUInt32LE(RECORD_HEADER_SIZE + 4);
  const payloadOffset = (8 + h + 3) & ~3;
  if (h < 1 || h > MAX_FRAME_HEADER_BYTES || payloadOffset + 12 * w.units !== length) return null;
  const rows: Float32Array[] = [];
  for (let row = 0; row < 3; row++) {
    const buf = Buffer.alloc(4 * w.count);
    const at = offset + RECORD_HEADER_SIZE + payloadOffset + 4 * (row * w.units + w.from);
    if ((await fh.read(buf, 0, buf.length, at)).bytesRead < buf.length) return null;
    rows.push(new Float32Array(buf.buffer, buf.byteOffset, w.count));
  }
  return slice((row, u) => rows[row][u - w.from], w.from, w.count, w.concepts);
}

/** The values of an older log's whole cell, from the concepts patch record at `offset`. */
async function cellAt(
  file: string,
  ref: UnitsRef,
  w: { l: number; units: number; from: number; count: number; concepts: number },
): Promise<ConceptUnitValues | null> {
  for await (const rec of readRunLog(file, { from: ref.offset })) {
    try {
      const parsed = JSON.parse(rec.payload.toString('utf8')) as { patch?: { cells?: ConceptCell[] } };
      const cell = parsed.patch?.cells?.find((c) => c.l === w.l && c.step === ref.step && Array.isArray(c.best) && c.best.length === w.units);
      if (!cell) return null;
      const rows = [cell.best, cell.iou, cell.selectivity];
      return slice((row, u) => (typeof rows[row]?.[u] === 'number' ? (rows[row][u] as number) : null), w.from, w.count, w.concepts);
    } catch {
      return null;
    }
  }
  return null;
}
