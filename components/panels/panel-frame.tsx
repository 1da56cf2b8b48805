'use client';
/**
 * A run-page panel: title, optional header controls, an expand/collapse toggle (kept in the URL's `open`), and a body of
 * fixed height while collapsed (so streaming data never moves the layout) that reports its height to the charts inside.
 */
import { useEffect, useRef, type ReactNode, type RefObject } from 'react';
import { useSize } from '@/components/charts/use-size';
import { useLayerwatch } from '@/store/provider';
import type { PanelId } from '@/store/slices/view';

interface Props {
  id: PanelId;
  title: string;
  /** The question the panel answers, shown beside the title. */
  question?: string;
  /** Controls in the header (metric selector, export…); a function gets the body element (e.g. to export it). */
  actions?: ReactNode | ((body: RefObject<HTMLDivElement | null>) => ReactNode);
  /** The body, given its height in px (0 before it is measured) and whether the panel is expanded. */
  children: (body: { height: number; width: number; open: boolean }) => ReactNode;
}

/** Renders the panel frame. */
export function PanelFrame({ id, title, question, actions, children }: Props) {
  const open = useLayerwatch((s) => s.view.open.includes(id));
  const toggle = useLayerwatch((s) => s.togglePanel);
  const [bodyRef, size] = useSize<HTMLDivElement>();
  const frameRef = useRef<HTMLElement | null>(null);
  const wasOpen = useRef(open);
  useEffect(() => {
    if (open && !wasOpen.current) frameRef.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    wasOpen.current = open;
  }, [open]);
  const bodyId = `panel-${id}-body`;
  return (
    <section
      ref={frameRef}
      className={`panel frame frame-${id}${open ? ' open' : ''}`}
      aria-labelledby={`panel-${id}-title`}
      data-testid={`panel-${id}`}
      data-open={open}
    >
      <header className="panel-head frame-head">
        <h2 id={`panel-${id}-title`}>
          {title}
          {question && <span className="question"> · {question}</span>}
        </h2>
        <div className="frame-actions">
          {typeof actions === 'function' ? actions(bodyRef) : actions}
          <button
            type="button"
            className="expand"
            aria-expanded={open}
            aria-controls={bodyId}
            onClick={() => toggle(id)}
            title={open ? 'Collapse panel' : 'Expand panel: full width, every detail'}
          >
            {open ? 'Collapse' : 'Expand'}
            <span className="sr-only"> {title}</span>
          </button>
        </div>
      </header>
      <div ref={bodyRef} id={bodyId} className="frame-body">
        {children({ height: size.height, width: size.width, open })}
      </div>
    </section>
  );
}
