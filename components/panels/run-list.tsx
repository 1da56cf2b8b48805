'use client';
/** The runs overview: live runs first (pulsing), then past runs by recency; status, last step, a sparkline of the main scalar, links. */
import { useEffect, useMemo, useState } from 'react';
import Link from 'next/link';
import type { RunMeta } from '@/lib/protocol/live';
import { Sparkline } from '@/components/charts/sparkline';
import { formatStep, formatValue } from '@/lib/chart/scales';
import { useLayerwatch, useTopic } from '@/store/provider';
import { StatusBadge } from './status-badge';

const byLiveThenRecent = (a: RunMeta, b: RunMeta) => Number(b.status === 'live') - Number(a.status === 'live') || b.createdAt - a.createdAt;

/** Renders the run table, its loading skeleton or the newcomer's empty state. */
export function RunList() {
  useTopic('runs');
  const load = useLayerwatch((s) => s.runs.load);
  const byId = useLayerwatch((s) => s.runs.byId);
  const sparks = useLayerwatch((s) => s.runs.sparks);
  const runs = useMemo(() => Object.values(byId).sort(byLiveThenRecent), [byId]);
  const [host, setHost] = useState('127.0.0.1:3000');
  useEffect(() => setHost(window.location.host), []);

  if (load === 'loading') {
    return (
      <div className="panel" aria-busy="true" aria-label="Loading runs">
        {Array.from({ length: 4 }, (_, i) => <div key={i} className="skeleton" style={{ height: 44, marginBottom: 8 }} />)}
      </div>
    );
  }
  if (runs.length === 0) {
    return (
      <div className="panel empty-state" data-testid="runs-empty">
        <h2>No runs yet</h2>
        <p>Stream a synthetic run to see the dashboard work:</p>
        <pre><code>npx layerwatch simulate --url ws://{host}/ingest</code></pre>
        <p>Or from a PyTorch training loop, with the Python client (<code>pip install ./clients/python</code>):</p>
        <pre><code>{`import layerwatch
run = layerwatch.init(url="ws://${host}/ingest", name="my run")
run.watch(model, layers=["h1", "h2", "h3"], probe=x_probe, labels=y_probe, every=50)
for x, y in batches:
    loss = step(x, y); run.step(); run.log({"loss": loss.item()})
run.finish()`}</code></pre>
      </div>
    );
  }
  return (
    <div className="panel">
      <table className="runs-table" data-testid="runs-table">
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Run</th>
            <th scope="col" className="num">Last step</th>
            <th scope="col" className="num">Checkpoints</th>
            <th scope="col" className="num">Layers</th>
            <th scope="col">Main scalar</th>
            <th scope="col">Started</th>
            <th scope="col"><span className="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => {
            const spark = sparks[r.id];
            const name = r.lastScalar?.name ?? 'loss';
            return (
              <tr key={r.id} data-testid="run-row" data-run={r.id} data-status={r.status}>
                <td><StatusBadge status={r.status} /></td>
                <td>
                  <Link href={`/runs/${encodeURIComponent(r.id)}`} className="run-link">{r.name}</Link>
                  <div className="muted small">{r.project ? `${r.project} · ` : ''}{r.id}</div>
                </td>
                <td className="num">{r.lastStep === null ? '–' : formatStep(r.lastStep)}</td>
                <td className="num">{r.checkpoints}</td>
                <td className="num">{r.layers}</td>
                <td>
                  <div className="spark-cell">
                    <Sparkline xs={spark?.steps ?? []} ys={spark?.values ?? []} label={`${name} of ${r.name}`} />
                    <span className="small"><span className="muted">{name}</span> {formatValue(r.lastScalar?.value)}</span>
                  </div>
                </td>
                <td className="small">{new Date(r.createdAt).toLocaleString()}</td>
                <td><a className="small" href={`/api/runs/${encodeURIComponent(r.id)}/log`} download>log</a></td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
