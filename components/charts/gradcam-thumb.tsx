'use client';
/** One probe example with a Grad-CAM map over it, drawn to a canvas (lib/chart/gradcam-overlay.ts). */
import { useEffect, useMemo, useRef } from 'react';
import { fromBase64, overlayPixels } from '@/lib/chart/gradcam-overlay';
import { rampLut } from '@/lib/chart/colour';

interface Props {
  /** Base64 bytes of the map (h × w, scaled to its peak). */
  map: string;
  mapSize: { h: number; w: number };
  /** Base64 bytes of the image, or undefined (grey background). */
  pixels?: string;
  imageSize: { h: number; w: number; channels: 1 | 3 };
  side: number;
  opacity: number;
  label: string;
}

let lut: Uint8ClampedArray | null = null;

/** Renders the thumbnail. */
export function GradcamThumb({ map, mapSize, pixels, imageSize, side, opacity, label }: Props) {
  const ref = useRef<HTMLCanvasElement>(null);
  const image = useMemo(() => (pixels ? fromBase64(pixels) : null), [pixels]);
  const bytes = useMemo(() => fromBase64(map), [map]);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    lut ??= rampLut('viridis');
    const data = overlayPixels({ side, image, imageSize, map: bytes, mapSize, opacity, lut });
    const img = ctx.createImageData(side, side);
    img.data.set(data);
    ctx.putImageData(img, 0, 0);
  }, [image, bytes, imageSize, mapSize, side, opacity]);
  return (
    <canvas
      ref={ref}
      width={side}
      height={side}
      role="img"
      aria-label={label}
      data-testid="gradcam-canvas"
      style={{ display: 'block', width: side, height: side, border: '1px solid var(--border)', borderRadius: 2 }}
    />
  );
}
