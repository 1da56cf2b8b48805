'use client';
/** A unit's top-activating probe examples at a checkpoint (the `unit-examples` request): thumbnails when the run has probe images, else a compact list. */
import { useEffect, useRef } from 'react';
import type { UnitExample, UnitExamples } from '@/lib/protocol/live';
import { formatStep, formatValue } from '@/lib/chart/scales';
import { useLayerwatch } from '@/store/provider';
import { useLiveRequest } from '@/store/use-live-request';

const K = 12;
const THUMB = 48;

/** The example's caption: its class name, else its label, else nothing. */
function classOf(x: UnitExample): string | null {
  return x.className ?? (x.label !== undefined ? `class ${x.label}` : null);
}

/** One thumbnail: the pixels on a canvas of the image's own size, scaled up by CSS with nearest-neighbour sampling. */
function Thumbnail({ example, size }: { example: UnitExample; size: NonNullable<UnitExamples['imageSize']> }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx || !example.pixels) return;
    const bytes = Uint8Array.from(atob(example.pixels), (c) => c.charCodeAt(0));
    const img = ctx.createImageData(size.w, size.h);
    for (let p = 0; p < size.h * size.w; p++) {
      const at = p * size.channels;
      img.data[p * 4] = bytes[at];
      img.data[p * 4 + 1] = bytes[at + (size.channels === 3 ? 1 : 0)];
      img.data[p * 4 + 2] = bytes[at + (size.channels === 3 ? 2 : 0)];
      img.data[p * 4 + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }, [example.pixels, size]);
  const scale = THUMB / Math.max(size.h, size.w);
  const what = classOf(example);
  return (
    <figure style={{ margin: 0, width: THUMB, fontSize: 'var(--text-xs)', textAlign: 'center' }} data-testid="unit-example" data-example={example.example}>
      <canvas
        ref={ref}
        width={size.w}
        height={size.h}
        role="img"
        data-testid="unit-example-thumb"
        aria-label={`probe example ${example.example}${what ? `, ${what}` : ''}, activation ${formatValue(example.value)}`}
        style={{
          width: size.w * scale,
          height: size.h * scale,
          imageRendering: 'pixelated',
          display: 'block',
          border: '1px solid var(--border)',
          borderRadius: 2,
        }}
      />
      <figcaption>
        <span style={{ display: 'block', overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }} title={what ?? `example ${example.example}`}>
          {what ?? `#${example.example}`}
        </span>
        <span className="muted">{formatValue(example.value)}</span>
      </figcaption>
    </figure>
  );
}

/** Renders the examples of one unit at `step` (null: the newest checkpoint); asks again when the unit or step changes. */
export function UnitExamplesGrid({ layer, unit, step }: { layer: string; unit: number; step: number | null }) {
  const runId = useLayerwatch((s) => s.run.id);
  const load = useLiveRequest('unit-examples', runId, { layer, unit, k: K, ...(step !== null ? { step } : {}) });
  const message =
    load.code === 'BAD_REQUEST' && /unknown request/.test(load.message ?? '') ? 'This server does not serve top-activating examples yet.' : load.message;
  const d = load.state === 'error' ? null : load.data; // an answer for another unit or step is not shown under an error
  const size = d?.imageSize;
  return (
    <section aria-labelledby="unit-examples-title" data-testid="unit-examples" data-state={load.state} style={{ marginTop: 12 }}>
      <h3 id="unit-examples-title" className="chart-title">
        Top-activating examples
      </h3>
      <p className="chart-desc">
        {load.state === 'error'
          ? message
          : d
            ? `The ${d.examples.length} probe examples this unit responds to most at step ${formatStep(d.step)}${d.pooling === 'max' ? ' (maximum over its map)' : ''}.`
            : 'Loading…'}
      </p>
      {d && size && (
        <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, opacity: load.state === 'loading' ? 0.6 : 1 }} data-testid="unit-examples-grid">
          {d.examples.map((x) => (x.pixels ? <Thumbnail key={x.example} example={x} size={size} /> : null))}
        </div>
      )}
      {d && !size && (
        <>
          <ol style={{ columns: 2, fontSize: 'var(--text-xs)', margin: 0, paddingLeft: 24 }} data-testid="unit-examples-list">
            {d.examples.map((x) => (
              <li key={x.example} data-example={x.example}>
                #{x.example}
                {classOf(x) ? ` · ${classOf(x)}` : ''} · <span className="muted">{formatValue(x.value)}</span>
              </li>
            ))}
          </ol>
          <p className="muted" style={{ fontSize: 'var(--text-xs)' }}>
            Thumbnails appear when the trainer sends the probe images (<code>images=</code> in the Python client).
          </p>
        </>
      )}
    </section>
  );
}
