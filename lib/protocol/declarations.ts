/**
 * The one check of a run's declarations (`layers`, `probe`) against the server's limits: live ingest, import and every
 * path that rebuilds a run from stored records call it, so nothing sized from a declaration is allocated before the
 * declaration has passed. Everything a declaration sizes is bounded here: layers, units, examples, classes, concepts.
 */
import type { ErrorCode } from './errors';
import type { IngestLimits, Layers, Probe } from './ingest';

/** Why a declaration is refused: the error code the trainer gets, and a message naming the value and the limit. */
export interface DeclarationProblem {
  code: ErrorCode;
  message: string;
}

/** The limits a declaration is checked against (a subset of `welcome.limits`). */
export type DeclarationLimits = Pick<IngestLimits, 'maxLayers' | 'maxUnits' | 'maxExamples' | 'maxClasses' | 'maxConcepts'>;

/** Largest label + 1, without spreading the array into arguments (100,000 labels overflow the stack that way). */
export function maxLabelPlusOne(labels: readonly number[]): number {
  let max = -1;
  for (const l of labels) if (l > max) max = l;
  return max + 1;
}

/** How many classes a probe has: its class names, else its largest label + 1, else 0. Bounded once the probe passed `declarationProblem`. */
export function probeClassCount(probe: Pick<Probe, 'labels' | 'classNames'>): number {
  return probe.classNames?.length ?? (probe.labels ? maxLabelPlusOne(probe.labels) : 0);
}

/** Why a `layers` or `probe` declaration is refused (limits first, then consistency), or null when it may be stored. */
export function declarationProblem(msg: Layers | Probe, limits: DeclarationLimits): DeclarationProblem | null {
  return msg.type === 'layers' ? layersProblem(msg, limits) : probeProblem(msg, limits);
}

function layersProblem(msg: Layers, limits: DeclarationLimits): DeclarationProblem | null {
  const { layers } = msg;
  if (layers.length > limits.maxLayers) return { code: 'LIMIT_LAYERS', message: `${layers.length} layers; the limit is ${limits.maxLayers}` };
  const names = new Set<string>();
  for (const l of layers) {
    if (names.has(l.name)) return { code: 'BAD_MESSAGE', message: `layer "${l.name}" is declared twice` };
    names.add(l.name);
    if (l.units > limits.maxUnits) return { code: 'LIMIT_UNITS', message: `layer "${l.name}" has ${l.units} units; the limit is ${limits.maxUnits}` };
  }
  return null;
}

function probeProblem(msg: Probe, limits: DeclarationLimits): DeclarationProblem | null {
  const m = msg.examples;
  if (m > limits.maxExamples) return { code: 'LIMIT_EXAMPLES', message: `${m} probe examples; the limit is ${limits.maxExamples}` };
  if (msg.classNames && msg.classNames.length > limits.maxClasses) {
    return { code: 'LIMIT_CLASSES', message: `${msg.classNames.length} class names; the limit is ${limits.maxClasses}` };
  }
  if (msg.labels) {
    const classes = maxLabelPlusOne(msg.labels);
    // Without class names a label is its own class count: bounded by the limit, since per-class arrays are sized by it.
    if (!msg.classNames && classes > limits.maxClasses) {
      return { code: 'LIMIT_CLASSES', message: `label ${classes - 1} needs ${classes} classes; the limit is ${limits.maxClasses} (send classNames, or labels below the limit)` };
    }
  }
  if (msg.concepts && msg.concepts.length > limits.maxConcepts) {
    return { code: 'LIMIT_CONCEPTS', message: `${msg.concepts.length} concepts; the limit is ${limits.maxConcepts}` };
  }
  const mismatch = probeMismatch(msg);
  return mismatch ? { code: 'PROBE_MISMATCH', message: mismatch } : null;
}

/** Why a probe declaration is inconsistent in itself (sizes and indices), or null. */
function probeMismatch(msg: Probe): string | null {
  const m = msg.examples;
  if (msg.labels && msg.labels.length !== m) return `probe has ${m} examples but ${msg.labels.length} labels`;
  if (msg.labels && msg.classNames) {
    const max = maxLabelPlusOne(msg.labels) - 1;
    if (max >= msg.classNames.length) return `label ${max} has no class name (${msg.classNames.length} given)`;
  }
  if (msg.conceptLabels) {
    if (!msg.concepts) return 'conceptLabels given without concepts';
    if (msg.conceptLabels.length !== m) return `probe has ${m} examples but ${msg.conceptLabels.length} concept label lists`;
    for (const list of msg.conceptLabels) for (const c of list) if (c >= msg.concepts.length) return `concept index ${c} is out of range (${msg.concepts.length} concepts)`;
  }
  if (msg.maskSize && !msg.concepts) return 'maskSize given without concepts (masks have one channel per concept)';
  return null;
}
