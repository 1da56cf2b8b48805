/** A horizontal colour bar for a sequential ramp, with ticks and the chance baseline marked. */
import { useId } from 'react';
import { scaleLinear } from 'd3';
import { rampInterpolator, type Ramp } from '@/lib/chart/colour';
import { formatValue } from '@/lib/chart/scales';

interface ColourLegendProps {
  ramp: Ramp;
  domain: [number, number];
  label: string;
  /** Chance values (e.g. one per layer): their range is marked as a band with a "chance" label. */
  chance?: ReadonlyArray<number | null>;
  width?: number;
}

/** Renders the legend (an SVG of fixed size, so it never shifts the layout). */
export function ColourLegend({ ramp, domain, label, chance = [], width = 240 }: ColourLegendProps) {
  const id = `ramp-${useId().replace(/[^a-zA-Z0-9_-]/g, '')}`;
  const interp = rampInterpolator(ramp);
  const x = scaleLinear()
    .domain(domain)
    .range([8, width - 8])
    .clamp(true);
  const stops = Array.from({ length: 11 }, (_, i) => i / 10);
  const finite = chance.filter((c): c is number => c !== null && Number.isFinite(c));
  const lo = finite.length ? Math.min(...finite) : null;
  const hi = finite.length ? Math.max(...finite) : null;
  const chanceText =
    lo === null ? 'chance baseline not computed yet' : lo === hi ? `chance ${formatValue(lo)}` : `chance ${formatValue(lo)}–${formatValue(hi)}`;
  return (
    <div className="colour-legend">
      <span className="legend-title">{label}</span>
      <svg width={width} height={44} role="img" aria-label={`Colour scale: ${label}, ${formatValue(domain[0])} to ${formatValue(domain[1])}; ${chanceText}`}>
        <defs>
          <linearGradient id={id}>
            {stops.map((t) => (
              <stop key={t} offset={`${t * 100}%`} stopColor={interp(t)} />
            ))}
          </linearGradient>
        </defs>
        <rect x={8} y={15} width={width - 16} height={10} fill={`url(#${id})`} rx={2} />
        {x.ticks(5).map((t) => (
          <g key={t} transform={`translate(${x(t)},25)`} className="axis">
            <line y2={4} />
            <text y={14} textAnchor="middle">
              {formatValue(t)}
            </text>
          </g>
        ))}
        {lo !== null && hi !== null && (
          <g className="chance-mark" data-testid="chance-mark" data-chance-min={lo} data-chance-max={hi}>
            <rect x={x(lo) - 1} y={12} width={Math.max(2, x(hi) - x(lo) + 2)} height={16} />
            <text x={Math.min(Math.max((x(lo) + x(hi)) / 2, 24), width - 24)} y={9} textAnchor="middle">
              chance
            </text>
          </g>
        )}
      </svg>
    </div>
  );
}
