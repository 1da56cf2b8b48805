/**
 * Figures for papers: the numbers behind a chart as CSV or JSON, and a chart's drawing (SVG pieces and canvas images)
 * composed into one standalone SVG. Pure string work; the DOM side lives in components/charts/figure-svg.ts.
 */

export type CsvValue = string | number | boolean | null | undefined;

/** The numbers behind a chart: a long-format table (for CSV) and a structured form (for JSON). */
export interface ChartData {
  columns: string[];
  rows: CsvValue[][];
  json: unknown;
}

/**
 * One CSV field (RFC 4180): numbers at full precision, null/undefined/NaN empty, text quoted when it must be. Text that
 * a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR: a run or layer name is whatever a trainer
 * sent) gets a leading apostrophe, OWASP's advice; numbers, negative ones included, and numeric text stay numbers.
 */
export function csvField(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const text = String(v);
  const s = /^[=+\-@\t\r]/.test(text) && !NUMERIC.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A plain decimal number as text ("-0.5", "+3", "-1e-7"): safe in a spreadsheet, and kept as a number there. */
const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A CSV document: a header line and one line per row, CRLF line ends (RFC 4180). */
export function toCsv(columns: readonly string[], rows: ReadonlyArray<ReadonlyArray<CsvValue>>): string {
  return `${[columns, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n')}\r\n`;
}

/** JSON with non-finite numbers as null (JSON has no NaN) and typed arrays as plain arrays. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) return null;
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>, (x) => (Number.isFinite(x) ? x : null));
      return v;
    },
    2,
  );
}

/** A file name from a title: lower case, safe characters, no leading/trailing dashes, at most 80 characters. */
export function safeFilename(title: string, ext: string): string {
  const base =
    title
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/-+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '')
      .slice(0, 80) || 'chart';
  return `${base}.${ext}`;
}

/** Long-format rows of a layers × steps grid: layer, step, value (and k when given). */
export function gridData(
  layers: readonly string[],
  steps: readonly number[],
  values: ReadonlyArray<ReadonlyArray<number | null>>,
  extra: { k?: ReadonlyArray<ReadonlyArray<number | null>> | null; meta?: Record<string, unknown> } = {},
): ChartData {
  const rows: CsvValue[][] = [];
  layers.forEach((layer, l) =>
    steps.forEach((step, c) => rows.push(extra.k ? [layer, step, values[l]?.[c] ?? null, extra.k[l]?.[c] ?? null] : [layer, step, values[l]?.[c] ?? null])),
  );
  return {
    columns: extra.k ? ['layer', 'step', 'value', 'k'] : ['layer', 'step', 'value'],
    rows,
    json: { ...extra.meta, layers, steps, values, ...(extra.k ? { k: extra.k } : {}) },
  };
}

/** Long-format rows of x/y series: series, x, y. */
export function seriesData(xLabel: string, series: ReadonlyArray<{ label: string; xs: ArrayLike<number>; ys: ArrayLike<number>; length: number }>): ChartData {
  const rows: CsvValue[][] = [];
  const json: Record<string, { [k: string]: number[] }> = {};
  for (const s of series) {
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < s.length; i++) {
      rows.push([s.label, s.xs[i], s.ys[i]]);
      xs.push(s.xs[i]);
      ys.push(s.ys[i]);
    }
    json[s.label] = { [xLabel]: xs, value: ys };
  }
  return { columns: ['series', xLabel, 'value'], rows, json };
}

/** Long-format rows of a rows × columns matrix: row label, column label, value. */
export function matrixData(
  rowLabel: string,
  colLabel: string,
  rowNames: readonly string[],
  colNames: readonly string[],
  values: ReadonlyArray<ReadonlyArray<number | null>>,
  meta: Record<string, unknown> = {},
): ChartData {
  const rows: CsvValue[][] = [];
  rowNames.forEach((r, i) => colNames.forEach((c, j) => rows.push([r, c, values[i]?.[j] ?? null])));
  return { columns: [rowLabel, colLabel, 'value'], rows, json: { ...meta, [`${rowLabel}s`]: rowNames, [`${colLabel}s`]: colNames, values } };
}

/** A piece of a figure placed at (x, y): inline SVG markup (an `<svg>` element) or a raster image (a data URL). */
export type FigurePiece = { x: number; y: number; width: number; height: number } & (
  | { svg: string }
  | { image: string }
  | { text: string; size: number; weight?: number; fill: string }
);

/** Escapes text for XML content and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** One standalone SVG document holding the pieces on a background. */
export function composeSvg(width: number, height: number, background: string, pieces: readonly FigurePiece[], font = 'sans-serif'): string {
  const w = Math.ceil(width);
  const h = Math.ceil(height);
  const body = pieces.map((p) => {
    if ('svg' in p) return p.svg.replace(/^<svg\b/, `<svg x="${p.x}" y="${p.y}"`);
    if ('image' in p)
      return `<image x="${p.x}" y="${p.y}" width="${p.width}" height="${p.height}" preserveAspectRatio="none" style="image-rendering:pixelated" href="${xmlEscape(p.image)}"/>`;
    return `<text x="${p.x}" y="${p.y + p.size}" font-size="${p.size}" font-weight="${p.weight ?? 400}" fill="${xmlEscape(p.fill)}">${xmlEscape(p.text)}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="${xmlEscape(font)}">`,
    `<rect width="100%" height="100%" fill="${xmlEscape(background)}"/>`,
    ...body,
    '</svg>',
  ].join('\n');
}
