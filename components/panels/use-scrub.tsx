'use client';
/**
 * One way to move in time for every control (scrubber, keys, clicks on a heatmap column or an advice): live, it marks a
 * checkpoint (views keep streaming); in a replay, the player shows the run as it was at that checkpoint.
 */
import { createContext, useContext, useMemo, type ReactNode } from 'react';
import type { ReplayPlayer } from '@/store/replay-player';
import { useLayerwatchApi } from '@/store/provider';
import { selectReplay, selectReplayIndex, type Speed } from '@/store/slices/timeline';
import { selectScrubIndex } from '@/store/slices/view';

export interface Scrub {
  /** Goes to checkpoint `index` of the run (null: the newest / final state). */
  seek(index: number | null): void;
  /** Goes to the checkpoint at `step`, if the run has one. */
  seekStep(step: number): void;
  /** Moves by `delta` checkpoints. */
  step(delta: number): void;
  /** Play/pause (replay only). */
  toggle(): void;
  setSpeed(speed: Speed): void;
}

const PlayerContext = createContext<ReplayPlayer | null>(null);

/** Makes the run's replay player available to the controls below. */
export function PlayerProvider({ player, children }: { player: ReplayPlayer | null; children: ReactNode }) {
  return <PlayerContext.Provider value={player}>{children}</PlayerContext.Provider>;
}

/** The time controls for the open run. */
export function useScrub(): Scrub {
  const store = useLayerwatchApi();
  const player = useContext(PlayerContext);
  return useMemo<Scrub>(() => {
    const replay = () => player !== null && selectReplay(store.getState());
    const seek = (index: number | null) => {
      const s = store.getState();
      if (replay()) return index === null ? player!.follow() : player!.seek(index);
      const n = s.run.steps.length;
      s.setScrub(index === null || index >= n - 1 ? null : Math.max(0, index));
    };
    return {
      seek,
      seekStep: (step) => {
        const s = store.getState();
        const i = (replay() ? s.timeline.steps : s.run.steps).indexOf(step);
        if (i >= 0) seek(i);
      },
      step: (delta) => {
        const s = store.getState();
        if (replay()) return player!.seek(selectReplayIndex(s) + delta);
        const cur = selectScrubIndex(s);
        if (cur >= 0) seek(cur + delta);
      },
      toggle: () => (replay() ? player!.toggle() : undefined),
      setSpeed: (speed) => (player ? player.setSpeed(speed) : store.getState().setTimeline({ speed })),
    };
  }, [store, player]);
}
