/**
 * What a trainer's declarations, checkpoints and frames must satisfy, as pure checks: one definition for live ingest
 * (collector.ts answers a failed check with its code) and for stored logs (log-content-check.ts refuses an import,
 * or skips a stored record, with the same code).
 */
import {
  gradcamSource,
  MAX_GRADCAM_SIDE,
  MAX_GRADCAM_TARGETS,
  MAX_GRADCAM_VALUES,
  MAX_MASK_VALUES,
  maxLabelPlusOne,
  type Checkpoint,
  type ErrorCode,
  type FrameHeader,
  type IngestLimits,
  type LayerDecl,
  type Probe,
} from '../../lib/protocol';
import { sketchedShape } from './sketch-rules';

/** A failed check: the protocol's error code and a message a person can act on. */
export interface RuleProblem {
  code: ErrorCode;
  message: string;
  layer?: string;
}

/** Why a `layers` declaration is refused: too many layers, a layer too wide, a name declared twice. */
export function layersProblem(layers: readonly LayerDecl[], limits: Pick<IngestLimits, 'maxLayers' | 'maxUnits'>): RuleProblem | null {
  if (layers.length > limits.maxLayers) return { code: 'LIMIT_LAYERS', message: `${layers.length} layers; the limit is ${limits.maxLayers}` };
  const names = new Set<string>();
  for (const l of layers) {
    if (names.has(l.name)) return { code: 'BAD_MESSAGE', message: `layer "${l.name}" is declared twice` };
    names.add(l.name);
    if (l.units > limits.maxUnits) return { code: 'LIMIT_UNITS', message: `layer "${l.name}" has ${l.units} units; the limit is ${limits.maxUnits}` };
  }
  return null;
}

/**
 * Why a `probe` declaration is refused: too many examples, classes or concepts, or labels that do not fit it
 * (probeProblem). Everything a probe sizes is bounded here, before anything is allocated from it: per-class arrays are
 * sized by probeClassCount, so a label of 10⁹ without class names is LIMIT_CLASSES, not a 4 GB allocation.
 */
export function probeDeclProblem(msg: Probe, limits: Pick<IngestLimits, 'maxExamples' | 'maxClasses' | 'maxConcepts'>): RuleProblem | null {
  if (msg.examples > limits.maxExamples) return { code: 'LIMIT_EXAMPLES', message: `${msg.examples} probe examples; the limit is ${limits.maxExamples}` };
  if (msg.classNames && msg.classNames.length > limits.maxClasses) {
    return { code: 'LIMIT_CLASSES', message: `${msg.classNames.length} class names; the limit is ${limits.maxClasses}` };
  }
  if (msg.labels && !msg.classNames) {
    // Without class names a label is its own class count: bounded by the limit, since per-class arrays are sized by it.
    const classes = maxLabelPlusOne(msg.labels);
    if (classes > limits.maxClasses) {
      return {
        code: 'LIMIT_CLASSES',
        message: `label ${classes - 1} needs ${classes} classes; the limit is ${limits.maxClasses} (send classNames, or labels below the limit)`,
      };
    }
  }
  if (msg.concepts && msg.concepts.length > limits.maxConcepts) {
    return { code: 'LIMIT_CONCEPTS', message: `${msg.concepts.length} concepts; the limit is ${limits.maxConcepts}` };
  }
  if (msg.maskSize && msg.concepts) {
    const values = msg.examples * msg.concepts.length * msg.maskSize.h * msg.maskSize.w;
    if (values > MAX_MASK_VALUES) {
      return {
        code: 'LIMIT_CONCEPTS',
        message: `masks of ${msg.examples} examples × ${msg.concepts.length} concepts × ${msg.maskSize.h} × ${msg.maskSize.w} pixels are ${values} values; the limit is ${MAX_MASK_VALUES} (send fewer concepts or smaller masks)`,
      };
    }
  }
  const problem = probeProblem(msg);
  return problem ? { code: 'PROBE_MISMATCH', message: problem } : null;
}

/** Why a probe declaration is inconsistent, or null. */
export function probeProblem(msg: Probe): string | null {
  const m = msg.examples;
  if (msg.labels && msg.labels.length !== m) return `probe has ${m} examples but ${msg.labels.length} labels`;
  if (msg.labels && msg.classNames) {
    const max = maxLabelPlusOne(msg.labels) - 1;
    if (max >= msg.classNames.length) return `label ${max} has no class name (${msg.classNames.length} given)`;
  }
  if (msg.conceptLabels) {
    if (!msg.concepts) return 'conceptLabels given without concepts';
    if (msg.conceptLabels.length !== m) return `probe has ${m} examples but ${msg.conceptLabels.length} concept label lists`;
    for (const list of msg.conceptLabels)
      for (const c of list) if (c >= msg.concepts.length) return `concept index ${c} is out of range (${msg.concepts.length} concepts)`;
  }
  if (msg.maskSize && !msg.concepts) return 'maskSize given without concepts (masks have one channel per concept)';
  return null;
}

/** Why a `checkpoint` message cannot open a checkpoint: nothing declared, a layer not declared or listed twice. */
export function checkpointProblem(msg: Checkpoint, layers: readonly LayerDecl[] | null, probe: { examples: number } | null): RuleProblem | null {
  if (!layers || !probe) return { code: 'NOT_DECLARED', message: 'send "layers" and "probe" before checkpoints' };
  const seen = new Set<string>();
  for (const name of msg.layers) {
    if (!layers.some((l) => l.name === name)) return { code: 'UNKNOWN_LAYER', message: `checkpoint names undeclared layer "${name.slice(0, 200)}"` };
    if (seen.has(name)) return { code: 'BAD_MESSAGE', message: `checkpoint lists layer "${name}" twice` };
    seen.add(name);
  }
  for (const name of msg.raw ?? []) {
    if (!seen.has(name) || !layers.find((l) => l.name === name)?.sketch)
      return { code: 'BAD_MESSAGE', message: `"raw" names "${name.slice(0, 200)}", which is not a sketched layer of this checkpoint` };
  }
  return null;
}

/** Activation bytes a checkpoint announces (float32 units × m, × h × w for spatial layers); its layers are declared. */
export function checkpointBytes(msg: Checkpoint, layers: readonly LayerDecl[], examples: number): number {
  return msg.layers.reduce((sum, name) => {
    const l = layers.find((d) => d.name === name)!;
    if (l.sketch && !msg.raw?.includes(name)) return sum + 4 * Math.min(l.sketch, l.units) * examples;
    return sum + 4 * l.units * examples * (l.spatial ? l.spatial.h * l.spatial.w : 1);
  }, 0);
}

/** Why a trainer's frame is refused whatever it holds: float16 is the server's storage format, never the wire's. */
export function wireFrameProblem(header: FrameHeader): RuleProblem | null {
  return header.dtype === 'float32'
    ? null
    : {
        code: 'BAD_FRAME',
        message: `frame for layer "${header.layer}" is ${header.dtype}; trainers send float32 (the server may store float16)`,
        layer: header.layer,
      };
}

/** Why a frame does not belong to the open checkpoint: another step or run, a layer not announced or sent twice, a shape unlike the declaration. */
export function frameProblem(
  header: FrameHeader,
  cp: Checkpoint,
  layers: readonly LayerDecl[],
  examples: number,
  runId: string,
  received: { has(layer: string): boolean },
): RuleProblem | null {
  if (header.step !== cp.step) return { code: 'UNEXPECTED_FRAME', message: `frame for step ${header.step} inside checkpoint ${cp.step}` };
  if (header.run !== undefined && header.run !== runId)
    return { code: 'UNEXPECTED_FRAME', message: `frame for run "${header.run.slice(0, 64)}" on run "${runId}"` };
  const layer = layers.find((l) => l.name === header.layer);
  if (!layer || !cp.layers.includes(header.layer))
    return { code: 'UNKNOWN_LAYER', message: `frame for layer "${header.layer}" that the checkpoint did not announce`, layer: header.layer };
  if (received.has(header.layer)) return { code: 'UNEXPECTED_FRAME', message: `second frame for layer "${header.layer}"`, layer: header.layer };
  if (layer.sketch && !cp.raw?.includes(layer.name)) return sketchedShape(header, layer, examples);
  if (header.kind === 'sketch')
    return {
      code: 'SHAPE_MISMATCH',
      message: `layer "${layer.name}" is not sent as a sketch here (declare "sketch" on the layer, and leave it out of "raw")`,
      layer: layer.name,
    };
  const want = layer.spatial ? [layer.units, examples, layer.spatial.h, layer.spatial.w] : [layer.units, examples];
  if (header.shape.length !== want.length || header.shape.some((d, i) => d !== want[i])) {
    return {
      code: 'SHAPE_MISMATCH',
      message: `layer "${layer.name}" frame has shape [${header.shape.join(', ')}]; declared [${want.join(', ')}]`,
      layer: layer.name,
    };
  }
  return null;
}

/**
 * Why a Grad-CAM frame's header is not one (lib/protocol/gradcam.ts), before anything of the run is consulted: its layer
 * name, its `examples` and `classes`, and a shape [n, targets, h, w] that matches them within the bounds.
 */
export function gradcamHeaderProblem(header: FrameHeader): RuleProblem | null {
  if (gradcamSource(header.layer) === null)
    return { code: 'BAD_FRAME', message: `a gradcam frame names its layer "__gradcam__:<conv layer>", not "${header.layer.slice(0, 200)}"` };
  const { examples, classes, shape } = header;
  if (!examples || !classes) return { code: 'BAD_FRAME', message: 'a gradcam frame header needs "examples" and "classes"' };
  const [n, targets, h, w] = shape;
  if (
    shape.length !== 4 ||
    n !== examples.length ||
    targets > MAX_GRADCAM_TARGETS ||
    classes.length !== n * targets ||
    h > MAX_GRADCAM_SIDE ||
    w > MAX_GRADCAM_SIDE
  ) {
    return {
      code: 'SHAPE_MISMATCH',
      message: `gradcam frame has shape [${shape.join(', ')}] with ${examples.length} examples and ${classes.length} classes; expected [examples, targets ≤ ${MAX_GRADCAM_TARGETS}, h ≤ ${MAX_GRADCAM_SIDE}, w ≤ ${MAX_GRADCAM_SIDE}] and examples × targets classes`,
    };
  }
  const values = n * targets * h * w;
  if (values > MAX_GRADCAM_VALUES)
    return { code: 'SHAPE_MISMATCH', message: `gradcam frame of shape [${shape.join(', ')}] holds ${values} values; the limit is ${MAX_GRADCAM_VALUES}` };
  return null;
}
