/** The shape of the one Layerwatch store: the union of its slices. */
import type { ChartsSlice } from './slices/charts';
import type { CompareSlice } from './slices/compare';
import type { ConnectionSlice } from './slices/connection';
import type { ConceptsSlice } from './slices/concepts';
import type { ConvergenceSlice } from './slices/convergence';
import type { ReanalysisSlice } from './slices/reanalysis';
import type { RunSlice } from './slices/run';
import type { RunsSlice } from './slices/runs';
import type { TimelineSlice } from './slices/timeline';
import type { ViewSlice } from './slices/view';

export type LayerwatchState = ConnectionSlice &
  RunsSlice &
  RunSlice &
  ConvergenceSlice &
  ConceptsSlice &
  ViewSlice &
  TimelineSlice &
  ReanalysisSlice &
  CompareSlice &
  ChartsSlice;
