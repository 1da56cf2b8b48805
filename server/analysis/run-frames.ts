/** Where a run's frames sit in its log: checkpoint frames (from its live convergence or its stored layout), probe images and Grad-CAM maps. */
import { imagesFirstExample, ProtocolError, runTopic } from '../../lib/protocol';
import type { RunRegistry, StoredFrame } from '../runs/registry';
import type { RunState } from '../runs/run-state';
import { addGradcamFrames, withGradcamRef, type GradcamRef } from './gradcam';
import { sketchOf, type FrameRef } from './jobs';
import { readLayout, type StoredLayout } from './offline';
import { addProbeChunks, type ProbeChunk } from './probe-chunks';

/** The column of a checkpoint step, or a BAD_REQUEST error. */
export function columnOf(state: RunState, step: number): number {
  const c = state.steps.indexOf(step);
  if (c < 0) throw new ProtocolError('BAD_REQUEST', `run "${state.meta.id}" has no checkpoint at step ${step}`);
  return c;
}

export interface RunFramesOptions {
  registry: RunRegistry;
  /** A run whose convergence is live: every layer's frame at column c (undefined for other runs). */
  liveRefs: (id: string, c: number) => Array<FrameRef | null> | undefined;
}

export class RunFrames {
  private readonly layouts = new Map<string, StoredLayout>();
  /** Probe images chunks of live runs, as they are stored (past runs: their layout). */
  private readonly images = new Map<string, ProbeChunk[]>();
  /** Grad-CAM frames of live runs, as they are stored (past runs: their layout). */
  private readonly gradcam = new Map<string, GradcamRef[]>();

  constructor(private readonly o: RunFramesOptions) {}

  /** Frames stored outside a checkpoint: remembers probe images and Grad-CAM maps (and tells viewers which step has maps). */
  onProbeFrames(state: RunState, frames: StoredFrame[]): void {
    const id = state.meta.id;
    const images = addProbeChunks(this.images.get(id) ?? [], frames, imagesFirstExample);
    if (images.length) this.images.set(id, images);
    const before = this.gradcam.get(id) ?? [];
    const after = addGradcamFrames(before, frames);
    if (after === before) return;
    this.gradcam.set(id, after);
    for (const r of after)
      if (frames.some((f) => f.offset === r.offset)) this.o.registry.publish(runTopic(id), { run: { kind: 'gradcam', step: r.step, layer: r.source } });
  }

  /** Every layer's frame at checkpoint column c: from the live run's refs, or from the stored log's layout. */
  async refsAt(state: RunState, c: number): Promise<Array<FrameRef | null>> {
    const id = state.meta.id;
    const live = this.o.liveRefs(id, c);
    if (live) return live;
    const file = this.o.registry.logPath(id);
    let layout = this.layouts.get(id);
    if (!layout || layout.steps.length <= c) this.layouts.set(id, (layout = await readLayout(file, this.o.registry.logLimits)));
    return layout.frames.map((f, l) => (f[c] ? { key: `${id}/${l}/${c}`, file, ...f[c]!, ...sketchOf(layout.layers[l]) } : null));
  }

  /** Where layer `l`'s frame of checkpoint `step` sits in the log (null: not sent, or not finite in a live run); BAD_REQUEST for an unknown step. */
  async frameRef(state: RunState, step: number, l: number): Promise<FrameRef | null> {
    return (await this.refsAt(state, columnOf(state, step)))[l] ?? null;
  }

  /** Where a run's Grad-CAM frames sit in its log, in step order: the stored layout plus those stored since it was read. */
  async gradcamRefs(state: RunState, streamedSinceStart: boolean): Promise<GradcamRef[]> {
    const id = state.meta.id;
    // A run streaming into this server since its start: every frame it stored went through onProbeFrames, no log scan needed.
    if (streamedSinceStart) return this.gradcam.get(id) ?? [];
    const layout = await this.layout(id);
    return (this.gradcam.get(id) ?? []).reduce(withGradcamRef, layout.gradcam);
  }

  /** Where a run's probe images sit in its log (none when its probe declares no imageSize). */
  async imageChunks(state: RunState): Promise<ProbeChunk[]> {
    if (!state.probeDecl?.imageSize) return [];
    return this.images.get(state.meta.id) ?? (await this.layout(state.meta.id)).images;
  }

  private async layout(id: string): Promise<StoredLayout> {
    let layout = this.layouts.get(id);
    if (!layout) this.layouts.set(id, (layout = await readLayout(this.o.registry.logPath(id), this.o.registry.logLimits)));
    return layout;
  }

  /** A run stopped streaming: its probe images are read from its log from now on. */
  streamEnded(id: string): void {
    this.images.delete(id);
  }

  /** Once a run no longer counts as live: its Grad-CAM frames are read from its log, and a layout read while it streamed lacks what came after. */
  forgetStreamed(id: string): void {
    this.gradcam.delete(id);
    this.layouts.delete(id);
  }
}
