'use client';
/** Export of the concepts panel as a whole (its charts are drawn by the concepts views): the figure, and the numbers — unique detectors per layer, category and step. */
import type { RefObject } from 'react';
import type { CsvValue } from '@/lib/chart/export';
import { ExportMenu } from '@/components/charts/export-menu';
import { useLayerwatchApi } from '@/store/provider';

/** Renders the export menu for the concepts panel body. */
export function ConceptsExport({ target }: { target: RefObject<HTMLDivElement | null> }) {
  const store = useLayerwatchApi();
  const data = () => {
    const st = store.getState().concepts.state;
    if (!st) return null;
    const rows: CsvValue[][] = [];
    st.layers.forEach((layer, l) =>
      st.steps.forEach((step, c) => {
        const cell = st.cells[l][c];
        if (!cell) return;
        rows.push([layer, step, cell.detectors, cell.unique, ...st.categories.map((_, k) => cell.uniqueByCategory[k] ?? null)]);
      }),
    );
    return { columns: ['layer', 'step', 'detectors', 'unique', ...st.categories.map((c) => `unique_${c}`)], rows, json: st };
  };
  return <ExportMenu title="Concept emergence" target={target} data={data} />;
}
