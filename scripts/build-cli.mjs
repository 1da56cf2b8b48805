// Bundles the `layerwatch` CLI and the analysis worker into dist/cli/ with esbuild (shipped inside tsx),
// so commands start without compiling TypeScript on every run. Never fails an install: bin/layerwatch.mjs
// falls back to running the TypeScript sources when the bundle is missing or older than them.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
try {
  const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning', absWorkingDir: root };
  const result = await build({
    ...common,
    entryPoints: { layerwatch: 'server/cli/main.ts', 'analysis-worker': 'server/analysis/worker.ts' },
    outdir: 'dist/cli',
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: 'chunk-[hash]',
    metafile: true,
  });
  // Chunks of earlier builds (their names are content hashes) are no longer imported: remove them.
  const written = new Set(Object.keys(result.metafile.outputs).map((f) => path.resolve(root, f)));
  const out = path.join(root, 'dist/cli');
  for (const name of readdirSync(out)) if (!written.has(path.join(out, name))) rmSync(path.join(out, name), { force: true });
  console.log('layerwatch: CLI bundled into dist/cli/');
} catch (err) {
  console.log(`layerwatch: CLI not bundled (${String(err?.message ?? err).split('\n')[0]}); commands will run from the TypeScript sources`);
}
