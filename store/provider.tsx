'use client';
/** The store provider: creates one store and one /live socket per mounted provider, plus the hooks components use. */
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { createLayerwatchStore, type LayerwatchStore } from './create-store';
import { LiveSocket } from './live-socket';
import { RowExtrasLoader } from './row-extras';
import type { LayerwatchState } from './state';

interface Live {
  store: LayerwatchStore;
  socket: LiveSocket;
  extras: RowExtrasLoader;
}

const LiveContext = createContext<Live | null>(null);

/** Provides the store and opens the /live socket while mounted. */
export function LayerwatchProvider({ children }: { children: ReactNode }) {
  const [live] = useState<Live>(() => {
    const store = createLayerwatchStore();
    const socket = new LiveSocket(store);
    return { store, socket, extras: new RowExtrasLoader(store, socket) };
  });
  useEffect(() => {
    live.socket.start();
    return () => live.socket.stop();
  }, [live]);
  return <LiveContext.Provider value={live}>{children}</LiveContext.Provider>;
}

function useLive(): Live {
  const live = useContext(LiveContext);
  if (!live) throw new Error('Layerwatch hooks must be used inside <LayerwatchProvider>');
  return live;
}

/** Selects from the store; the component re-renders only when the selected value changes (keep selectors narrow). */
export function useLayerwatch<T>(selector: (s: LayerwatchState) => T): T {
  return useStore(useLive().store, selector);
}

/** The store itself, for `subscribe`/`getState` in views fed at high rate (canvas, throttled charts). */
export function useLayerwatchApi(): LayerwatchStore {
  return useLive().store;
}

/** The /live socket, for requests. */
export function useLiveSocket(): LiveSocket {
  return useLive().socket;
}

/** The run list's lazy loader of sparklines and thumbnails. */
export function useRowExtras(): RowExtrasLoader {
  return useLive().extras;
}

/** Keeps a /live topic subscribed while the component is mounted. */
export function useTopic(topic: string | null): void {
  const { socket } = useLive();
  useEffect(() => (topic ? socket.subscribe(topic) : undefined), [socket, topic]);
}
