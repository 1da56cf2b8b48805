'use client';
/** The newcomer's empty state: the one command that streams a synthetic run, and the five Python lines for a real one. */
import { useEffect, useState } from 'react';

/** Renders what to run, with this server's address filled in. */
export function RunsEmpty() {
  const [host, setHost] = useState('127.0.0.1:3000');
  useEffect(() => setHost(window.location.host), []);
  return (
    <div className="panel empty-state" data-testid="runs-empty">
      <h2>No runs yet</h2>
      <p>Stream a synthetic run to see the dashboard work:</p>
      <pre>
        <code>npx layerwatch simulate --url ws://{host}/ingest</code>
      </pre>
      <p>
        Or from a PyTorch training loop, with the Python client (<code>pip install ./clients/python</code>):
      </p>
      <pre>
        <code>{`import layerwatch
run = layerwatch.init(url="ws://${host}/ingest", name="mlp", config={"lr": 1e-3})
run.watch(model, layers=["h1", "h2", "h3"], probe=x_probe, labels=y_probe, every=50)
for x, y in batches:
    loss = step(x, y); run.step(); run.log({"loss": loss.item()})
run.finish()`}</code>
      </pre>
      <p>
        Or drop a run log (<code>.lwlog</code>) anywhere on this page to import it.
      </p>
    </div>
  );
}
