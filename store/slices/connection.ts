/** Connection slice: the state of the one /live websocket, for the status pill and the disconnected banner. */
import type { StateCreator } from 'zustand/vanilla';
import type { LayerwatchState } from '../state';

export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting';

export interface ConnectionState {
  status: ConnectionStatus;
  /** Failed attempts since the last successful open. */
  attempt: number;
  /** When the next reconnect attempt starts (ms since epoch), while reconnecting. */
  retryAt: number | null;
  /** When the socket last went down (null while it is up or never was). */
  downSince: number | null;
  /** The server's epoch from its welcome (changes when the server restarts). */
  epoch: string | null;
  server: string | null;
  /** Round trip of the last ping, ms. */
  rttMs: number | null;
  lastError: string | null;
}

export interface ConnectionSlice {
  connection: ConnectionState;
  setConnection(patch: Partial<ConnectionState>): void;
}

/** Creates the connection slice. */
export const createConnectionSlice: StateCreator<LayerwatchState, [], [], ConnectionSlice> = (set) => ({
  connection: { status: 'connecting', attempt: 0, retryAt: null, downSince: null, epoch: null, server: null, rttMs: null, lastError: null },
  setConnection: (patch) => set((s) => ({ connection: { ...s.connection, ...patch } })),
});
