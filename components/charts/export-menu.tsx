'use client';
/** The shared export menu of every chart: the figure as SVG or PNG, the numbers behind it as CSV or JSON. */
import { useRef, useState, type RefObject } from 'react';
import { safeFilename, toCsv, toJson, type ChartData } from '@/lib/chart/export';
import { download, figureToSvg, svgToPng } from './figure-svg';

interface Props {
  /** Title of the figure (also the file name). */
  title: string;
  /** The element whose drawing is exported. */
  target: RefObject<HTMLElement | null>;
  /** The numbers behind the chart, read when asked. */
  data?: () => ChartData | null;
}

/** Renders a small disclosure menu; nothing it contains ends up in the exported figure. */
export function ExportMenu({ title, target, data }: Props) {
  const ref = useRef<HTMLDetailsElement | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async (format: 'svg' | 'png' | 'csv' | 'json') => {
    setError(null);
    try {
      if (format === 'csv' || format === 'json') {
        const d = data?.();
        if (!d) throw new Error('no data yet');
        if (format === 'csv') download(toCsv(d.columns, d.rows), safeFilename(title, 'csv'), 'text/csv');
        else download(toJson(d.json), safeFilename(title, 'json'), 'application/json');
      } else {
        const el = target.current;
        if (!el) throw new Error('nothing drawn yet');
        const svg = figureToSvg(el, title);
        if (format === 'svg') download(svg, safeFilename(title, 'svg'), 'image/svg+xml');
        else download(await svgToPng(svg), safeFilename(title, 'png'));
      }
      if (ref.current) ref.current.open = false;
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <details className="export-menu" ref={ref} data-export-skip="" data-testid="export-menu">
      <summary aria-label={`Export ${title}`} title="Export figure or data">
        Export
      </summary>
      <div className="export-items" role="group" aria-label={`Export ${title}`}>
        <button type="button" data-format="svg" onClick={() => void run('svg')}>
          SVG
        </button>
        <button type="button" data-format="png" onClick={() => void run('png')}>
          PNG
        </button>
        {data && (
          <button type="button" data-format="csv" onClick={() => void run('csv')}>
            CSV
          </button>
        )}
        {data && (
          <button type="button" data-format="json" onClick={() => void run('json')}>
            JSON
          </button>
        )}
        {error && (
          <span className="export-error" role="alert">
            {error}
          </span>
        )}
      </div>
    </details>
  );
}
