/** Where a run's probe images sit in its log: the chunks of `images` frames, in the order they were stored. */
import { imagesFirstExample } from '../../lib/protocol';

/** One stored images frame: examples first..first+count−1, shape [count, h, w, channels]. */
export interface ImageChunk {
  first: number;
  count: number;
  offset: number;
  length: number;
  shape: number[];
}

/** Adds stored frames that are images chunks to `chunks` (a chunk from example 0 starts the list again: images resent after a resume). */
export function addImageChunks(chunks: ImageChunk[], frames: ReadonlyArray<{ layer: string; offset: number; length: number; shape: number[] }>): ImageChunk[] {
  let list = chunks;
  for (const f of frames) {
    const first = imagesFirstExample(f.layer);
    if (first === null || f.shape.length !== 4) continue;
    if (first === 0) list = [];
    list.push({ first, count: f.shape[0], offset: f.offset, length: f.length, shape: f.shape });
  }
  return list;
}

/** The chunk holding example `e` (the latest stored one), or null. */
export function chunkOf(chunks: readonly ImageChunk[], e: number): ImageChunk | null {
  for (let i = chunks.length - 1; i >= 0; i--) if (chunks[i].first <= e && e < chunks[i].first + chunks[i].count) return chunks[i];
  return null;
}
