/** A run's config as "path=value" lines for the run list's rows (the search itself is lib/runs/query.ts, on the server). */
import { flattenConfig } from '@/lib/runs/fields';

/** A run's config flattened to "path=value" strings ("optimizer.lr=0.001"), at most 200 of them. */
export function configTerms(config: unknown): string[] {
  return flattenConfig(config).map(([k, v]) => (k ? `${k}=${String(v)}` : String(v)));
}
