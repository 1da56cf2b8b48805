/** Where a run's per-example probe data (probe images, concept masks) sits in its log: its chunks, in the order they were stored. */

/** One stored chunk frame: examples first..first+count−1, shape [count, …]. */
export interface ProbeChunk {
  first: number;
  count: number;
  offset: number;
  length: number;
  shape: number[];
}

/**
 * Adds the stored frames that are chunks of one kind (`firstExample` recognises their layer names) to `chunks`; a chunk
 * from example 0 starts the list again (data re-sent after a reconnect or a resume).
 */
export function addProbeChunks(
  chunks: ProbeChunk[],
  frames: ReadonlyArray<{ layer: string; offset: number; length: number; shape: number[] }>,
  firstExample: (layer: string) => number | null,
): ProbeChunk[] {
  let list = chunks;
  for (const f of frames) {
    const first = firstExample(f.layer);
    if (first === null || f.shape.length !== 4) continue;
    if (first === 0) list = [];
    list.push({ first, count: f.shape[0], offset: f.offset, length: f.length, shape: f.shape });
  }
  return list;
}

/** The chunk holding example `e` (the latest stored one), or null. */
export function chunkOf(chunks: readonly ProbeChunk[], e: number): ProbeChunk | null {
  for (let i = chunks.length - 1; i >= 0; i--) if (chunks[i].first <= e && e < chunks[i].first + chunks[i].count) return chunks[i];
  return null;
}
