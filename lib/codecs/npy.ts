/** NumPy .npy reader and writer for float32/float64 arrays (format versions 1, 2 and 3). */

/** Stable codes of every .npy error. */
export type NpyErrorCode =
  | 'NPY_BAD_MAGIC'
  | 'NPY_BAD_VERSION'
  | 'NPY_BAD_HEADER'
  | 'NPY_UNSUPPORTED_DTYPE'
  | 'NPY_FORTRAN_ORDER'
  | 'NPY_NOT_MATRIX'
  | 'NPY_TRUNCATED'
  | 'NPY_TRAILING_DATA';

/** A .npy file this codec cannot read; `code` is stable. */
export class NpyError extends Error {
  readonly code: NpyErrorCode;

  constructor(code: NpyErrorCode, message: string) {
    super(message);
    this.name = 'NpyError';
    this.code = code;
  }
}

/** A decoded array: C-order data in native (little-endian) float32 or float64, and its shape. */
export interface NpyArray {
  data: Float32Array | Float64Array;
  shape: number[];
  /** Byte order of the file ('<' little, '>' big; big-endian is byte-swapped on read). */
  byteOrder: '<' | '>';
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function header(buf: Uint8Array): { text: string; dataStart: number } {
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) {
    throw new NpyError('NPY_BAD_MAGIC', 'not a .npy file (missing \\x93NUMPY magic)');
  }
  const major = buf[6];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let len: number, start: number;
  if (major === 1) {
    len = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new NpyError('NPY_TRUNCATED', 'file ends inside the .npy header');
    len = view.getUint32(8, true);
    start = 12;
  } else {
    throw new NpyError('NPY_BAD_VERSION', `unsupported .npy format version ${major}.${buf[7]}`);
  }
  if (start + len > buf.length) throw new NpyError('NPY_TRUNCATED', 'file ends inside the .npy header');
  const bytes = buf.subarray(start, start + len);
  const text = major === 3 ? new TextDecoder('utf-8').decode(bytes) : new TextDecoder('latin1').decode(bytes);
  return { text, dataStart: start + len };
}

function field(text: string, name: string): string {
  const m = new RegExp(`['"]${name}['"]\\s*:\\s*('[^']*'|"[^"]*"|True|False|\\([^)]*\\))`).exec(text);
  if (!m) throw new NpyError('NPY_BAD_HEADER', `.npy header has no ${name}`);
  return m[1];
}

/** Options of readNpy: `alias` lets the result view the file buffer in place when it can (see readNpy). */
export interface NpyReadOptions {
  alias?: boolean;
}

/**
 * Decodes a .npy file of float32 or float64 values (any number of dimensions, C order). The data is a copy
 * (aligned, and independent of `buf`) unless `alias` is set and the data is little-endian and aligned in `buf`:
 * then it is a view of `buf` (no copy; for a caller that owns the buffer, such as the CLI reading a file).
 */
export function readNpy(buf: Uint8Array, opts: NpyReadOptions = {}): NpyArray {
  const { text, dataStart } = header(buf);
  const descr = field(text, 'descr').slice(1, -1);
  const fortran = field(text, 'fortran_order');
  const shapeText = field(text, 'shape');
  const dt = /^([<>|=])f([48])$/.exec(descr);
  if (!dt) throw new NpyError('NPY_UNSUPPORTED_DTYPE', `unsupported dtype ${descr}; need float32 or float64 (<f4, <f8)`);
  if (fortran === 'True') throw new NpyError('NPY_FORTRAN_ORDER', 'Fortran-order array; save it C-ordered (np.ascontiguousarray)');
  if (fortran !== 'False') throw new NpyError('NPY_BAD_HEADER', `bad fortran_order ${fortran}`);
  const dims = shapeText
    .slice(1, -1)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (dims.some((d) => !/^\d+$/.test(d))) throw new NpyError('NPY_BAD_HEADER', `bad shape ${shapeText}`);
  const shape = dims.map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const width = Number(dt[2]);
  const need = count * width;
  const have = buf.length - dataStart;
  if (have < need) throw new NpyError('NPY_TRUNCATED', `truncated .npy data: ${have} bytes for shape (${shape.join(', ')}) needing ${need}`);
  if (have > need) throw new NpyError('NPY_TRAILING_DATA', `${have - need} bytes after the .npy data`);
  const bigEndian = dt[1] === '>';
  const at = buf.byteOffset + dataStart;
  if (opts.alias && !bigEndian && at % width === 0) {
    const data = width === 4 ? new Float32Array(buf.buffer, at, count) : new Float64Array(buf.buffer, at, count);
    return { data, shape, byteOrder: '<' };
  }
  const bytes = new Uint8Array(need); // a copy: aligned, and detached from the file buffer (Buffer#slice would alias it)
  bytes.set(buf.subarray(dataStart, dataStart + need));
  if (bigEndian) {
    for (let i = 0; i < need; i += width) bytes.subarray(i, i + width).reverse();
  }
  const data = width === 4 ? new Float32Array(bytes.buffer, 0, count) : new Float64Array(bytes.buffer, 0, count);
  return { data, shape, byteOrder: bigEndian ? '>' : '<' };
}

/** Decodes a 2-D .npy file; throws NPY_NOT_MATRIX otherwise. */
export function readNpy2d(buf: Uint8Array, opts: NpyReadOptions = {}): NpyArray & { rows: number; cols: number } {
  const arr = readNpy(buf, opts);
  if (arr.shape.length !== 2) {
    throw new NpyError('NPY_NOT_MATRIX', `expected a 2-D array, got shape (${arr.shape.join(', ')})`);
  }
  return { ...arr, rows: arr.shape[0], cols: arr.shape[1] };
}

/** Encodes a C-order float32/float64 array as a version 1.0 .npy file (little-endian, header padded to 64 bytes). */
export function writeNpy(data: Float32Array | Float64Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`shape (${shape.join(', ')}) does not hold ${data.length} values`);
  const descr = data instanceof Float32Array ? '<f4' : '<f8';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let text = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = Math.ceil((10 + text.length + 1) / 64) * 64;
  text = `${text.padEnd(total - 10 - 1, ' ')}\n`;
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, text.length, true);
  for (let i = 0; i < text.length; i++) out[10 + i] = text.charCodeAt(i);
  const le = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  out.set(le, total);
  if (!isLittleEndianHost()) {
    const w = data.BYTES_PER_ELEMENT;
    for (let i = total; i < out.length; i += w) out.subarray(i, i + w).reverse();
  }
  return out;
}

function isLittleEndianHost(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}
