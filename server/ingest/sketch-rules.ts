/** What a sketch frame must satisfy (the frame kind "sketch", docs/protocol.md): shape against the declaration, and a payload that holds a sketch. */
import type { FrameHeader, LayerDecl } from '../../lib/protocol';
import type { RuleProblem } from './rules';

/** Row norms of a sketch's basis may differ from 1 by this much (float32 rounding is ~1e-7). */
const UNIT_TOL = 1e-3;

/** Why a frame for a layer declared with `sketch` (and not listed in the checkpoint's `raw`) is not its sketch. */
export function sketchedShape(header: FrameHeader, layer: LayerDecl, examples: number): RuleProblem | null {
  const K = layer.sketch!;
  if (header.kind !== 'sketch')
    return {
      code: 'SHAPE_MISMATCH',
      message: `layer "${layer.name}" is declared as sketches (K = ${K}); list it in the checkpoint's "raw" to send it raw`,
      layer: layer.name,
    };
  const [k, m] = header.shape;
  if (header.shape.length !== 2 || m !== examples || k > Math.min(K, layer.units)) {
    return {
      code: 'SHAPE_MISMATCH',
      message: `layer "${layer.name}" sketch has shape [${header.shape.join(', ')}]; declared at most [${Math.min(K, layer.units)}, ${examples}]`,
      layer: layer.name,
    };
  }
  return null;
}

/**
 * Why a sketch frame's numbers are not a sketch, checked in O(K·m): singular values descending, their squares within the
 * total variance, a finite basis with unit rows. (Mutual orthogonality is checked where the sketch is used, in the worker.)
 */
export function sketchFrameProblem(header: FrameHeader, data: Float32Array): RuleProblem | null {
  if (!header.sketch) return null;
  const { singular, total } = header.sketch;
  const layer = header.layer;
  const bad = (message: string): RuleProblem => ({ code: 'BAD_SKETCH', message: `layer "${layer}" sketch: ${message}`, layer });
  let held = 0;
  for (let i = 0; i < singular.length; i++) {
    if (i > 0 && singular[i] > singular[i - 1] * (1 + 1e-9)) return bad(`singular values must descend (${singular[i - 1]} then ${singular[i]})`);
    held += singular[i] * singular[i];
  }
  if (total < held * (1 - 1e-6)) return bad(`total variance ${total} is below the sum of the squared singular values ${held}`);
  const m = header.shape[1];
  for (let r = 0; r < singular.length; r++) {
    let ss = 0;
    for (let j = r * m; j < (r + 1) * m; j++) ss += data[j] * data[j];
    if (!(Math.abs(Math.sqrt(ss) - 1) <= UNIT_TOL)) return bad(`basis row ${r} has norm ${Math.sqrt(ss)}, not 1`);
  }
  return null;
}
