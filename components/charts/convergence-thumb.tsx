'use client';
/** A tiny convergence heatmap for the run list (layers × a few checkpoint buckets, input side at the bottom), drawn on a canvas. */
import { useEffect, useRef } from 'react';
import { rampLut, rgbaBytes } from '@/lib/chart/colour';
import { rasterizeGrid } from '@/lib/chart/heatmap-raster';
import type { Thumb } from '@/store/slices/runs';

const LUT = typeof window === 'undefined' ? null : rampLut('viridis', 64);

/** Renders the thumbnail at a fixed size (a placeholder of the same size while it loads). */
export function ConvergenceThumb({ thumb, label, width = 80, height = 24 }: { thumb: Thumb | null; label: string; width?: number; height?: number }) {
  const ref = useRef<HTMLCanvasElement | null>(null);
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx || !thumb?.steps.length || !LUT) return;
    const empty = rgbaBytes(getComputedStyle(canvas).getPropertyValue('--heatmap-empty').trim() || '#888');
    const r = rasterizeGrid({ rows: thumb.values, columns: thumb.steps.length, lo: 0, hi: 1, lut: LUT, empty }, thumb.steps.length);
    canvas.width = r.width;
    canvas.height = r.height;
    const img = ctx.createImageData(r.width, r.height);
    img.data.set(r.data);
    ctx.putImageData(img, 0, 0);
  }, [thumb]);
  const last = thumb ? thumb.values.map((row) => row[row.length - 1]).filter((v): v is number => v !== null) : [];
  const text = thumb ? `${label}: convergence of ${thumb.layers} layers over ${thumb.steps.length} checkpoint buckets` : `${label}: no convergence yet`;
  return (
    <canvas
      ref={ref}
      className="thumb"
      style={{ width, height }}
      role="img"
      aria-label={text}
      title={thumb ? `${text}; lowest similarity at the end ${last.length ? Math.min(...last).toFixed(2) : '–'}` : text}
      data-testid="run-thumb"
      data-ready={thumb ? 'true' : 'false'}
    />
  );
}
