/** What a view shows approximately, capped or not at all because layers arrived as sketches (docs/analysis.md, "Sketches"). */
import type { MetricName } from '@/lib/protocol/analysis';
import type { LayerDecl } from '@/lib/protocol';

const names = (ls: LayerDecl[]) => (ls.length <= 3 ? ls.map((l) => l.name).join(', ') : `${ls.length} layers`);
const sizes = (ls: LayerDecl[]) => [...new Set(ls.map((l) => l.sketch))].join(' / ');

/**
 * The convergence views' note for a run with sketched layers, or null: svcca kinds are exact until k reaches K ("k capped
 * at K" once a row's k reached it), CKA is approximate, PWCCA is not computed. `k` is the grid's k (layers × checkpoints, in `gridLayers` order).
 */
export function sketchNote(metric: MetricName, layers: LayerDecl[], gridLayers: string[] = [], k: Array<Array<number | null>> = []): string | null {
  const sketched = layers.filter((l) => l.sketch !== undefined);
  if (!sketched.length) return null;
  switch (metric) {
    case 'svcca':
    case 'svcca-k': {
      const capped = sketched.filter((l) => k[gridLayers.indexOf(l.name)]?.some((v) => v !== null && v >= l.sketch!));
      if (capped.length)
        return `k capped at K = ${sizes(capped)} for ${names(capped)}: sent as sketches of K directions, and ${metric === 'svcca' ? 'the 99% rule wanted more' : 'k asks for more'}.`;
      return `${names(sketched)} sent as sketches (K = ${sizes(sketched)}): exact while k ≤ K.`;
    }
    case 'cka':
      return `Approximate for ${names(sketched)}: sent as sketches, so CKA is computed from their top ${sizes(sketched)} directions (the rank-K truncations; docs/analysis.md gives the error).`;
    case 'pwcca':
      return `Not available for ${names(sketched)}: sent as sketches, and PWCCA weighs every neuron. Send them raw (every Nth checkpoint or chosen layers) to get it.`;
    default: {
      const _exhaustive: never = metric;
      return _exhaustive;
    }
  }
}

/** The concepts view's note: sketched layers have no concept statistics (a sketch keeps directions, not single units). */
export function conceptsSketchNote(layers: LayerDecl[]): string | null {
  const sketched = layers.filter((l) => l.sketch !== undefined);
  if (!sketched.length) return null;
  return `No concept statistics for ${names(sketched)}: sent as sketches, which keep the top directions, not single units. Checkpoints that send them raw are analysed.`;
}
