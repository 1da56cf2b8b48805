/** The shape of the one Layerwatch store: the union of its slices. */
import type { ConnectionSlice } from './slices/connection';
import type { ConceptsSlice } from './slices/concepts';
import type { ConvergenceSlice } from './slices/convergence';
import type { RunSlice } from './slices/run';
import type { RunsSlice } from './slices/runs';
import type { ViewSlice } from './slices/view';

export type LayerwatchState = ConnectionSlice & RunsSlice & RunSlice & ConvergenceSlice & ConceptsSlice & ViewSlice;
