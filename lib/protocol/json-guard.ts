/** Bounds on free JSON (run config) so hostile nesting or size cannot hurt the server later. */

export const MAX_JSON_DEPTH = 32;

/** True when `value` nests no deeper than `maxDepth` arrays/objects and has at most `maxNodes` nodes. */
export function jsonWithinBounds(value: unknown, maxDepth = MAX_JSON_DEPTH, maxNodes = 10_000): boolean {
  // Iterative walk: a recursive one is exactly what deep JSON is meant to break.
  const stack: Array<[unknown, number]> = [[value, 0]];
  let nodes = 0;
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (++nodes > maxNodes) return false;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) return false;
    const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
    for (const c of children) stack.push([c, depth + 1]);
  }
  return true;
}
