/** SVG axes drawn by React from d3 scales: ticks, tick labels and an axis title with units. */
import type { ScaleLinear, ScaleLogarithmic } from 'd3';
import { axisTicks } from '@/lib/chart/scales';

interface AxisProps {
  scale: ScaleLinear<number, number> | ScaleLogarithmic<number, number>;
  /** Tick values chosen by the caller (a log axis's decades) instead of the scale's own. */
  values?: number[];
  /** Offset of the axis line: y for a bottom axis, x for a left axis. */
  at: number;
  label: string;
  ticks?: number;
  format?: (v: number) => string;
  /** Grid lines across the plot (length in px), or 0 for none. */
  grid?: number;
  /** Distance from the axis line to the axis title (the chart's margin on that side). */
  titleOffset?: number;
  /** Whole-number quantities (steps, k): only integer ticks, so a narrow domain never reads "0 0 0 1 1 1". */
  integer?: boolean;
}

/** A bottom axis with its title centred below. */
export function AxisBottom({ scale, at, label, ticks = 6, format = String, grid = 0, titleOffset = 30, integer = false, values: given }: AxisProps) {
  const [r0, r1] = scale.range();
  const values = given ?? axisTicks(scale, ticks, integer);
  return (
    // biome-ignore lint/a11y/noAriaHiddenOnFocusable: an SVG group of ticks is not focusable; the chart's figure describes it
    <g className="axis axis-x" transform={`translate(0,${at})`} aria-hidden="true">
      {grid > 0 && values.map((t) => <line key={`g${t}`} className="grid" x1={scale(t)} x2={scale(t)} y1={0} y2={-grid} />)}
      <line className="domain" x1={r0} x2={r1} />
      {values.map((t) => (
        <g key={t} transform={`translate(${scale(t)},0)`}>
          <line y2={4} />
          <text y={15} textAnchor="middle">
            {format(t)}
          </text>
        </g>
      ))}
      <text className="axis-title" x={(r0 + r1) / 2} y={titleOffset} textAnchor="middle">
        {label}
      </text>
    </g>
  );
}

/** A left axis with its title rotated along it. */
export function AxisLeft({ scale, at, label, ticks = 5, format = String, grid = 0, titleOffset = 40, integer = false, values: given }: AxisProps) {
  const [r0, r1] = scale.range();
  const values = given ?? axisTicks(scale, ticks, integer);
  return (
    // biome-ignore lint/a11y/noAriaHiddenOnFocusable: an SVG group of ticks is not focusable; the chart's figure describes it
    <g className="axis axis-y" transform={`translate(${at},0)`} aria-hidden="true">
      {grid > 0 && values.map((t) => <line key={`g${t}`} className="grid" x1={0} x2={grid} y1={scale(t)} y2={scale(t)} />)}
      <line className="domain" y1={r0} y2={r1} />
      {values.map((t) => (
        <g key={t} transform={`translate(0,${scale(t)})`}>
          <line x2={-4} />
          <text x={-7} dy="0.32em" textAnchor="end">
            {format(t)}
          </text>
        </g>
      ))}
      <text className="axis-title" transform={`translate(${-titleOffset},${(r0 + r1) / 2}) rotate(-90)`} textAnchor="middle">
        {label}
      </text>
    </g>
  );
}
