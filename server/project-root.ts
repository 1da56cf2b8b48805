/** The repository root (where package.json and next.config.js live), found from this module whether run from source or from the bundled CLI. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'layerwatch') return dir;
      } catch {
        // keep walking up
      }
    }
    if (path.dirname(dir) === dir) return path.resolve(start, '..');
  }
}

export const PROJECT_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));

/** True when running from the esbuild bundle in dist/ rather than from TypeScript sources. */
export const BUNDLED = import.meta.url.includes('/dist/cli/');
