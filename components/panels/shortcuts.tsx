'use client';
/** Keyboard shortcuts: the run page's keys (space, ←/→, Home/End, m) and, on every page, `?` for the help overlay and `/` for search. */
import { useEffect, useRef } from 'react';
import { useLayerwatch, useLayerwatchApi } from '@/store/provider';
import type { Scrub } from './use-scrub';

const EDITABLE = 'input, textarea, select, [contenteditable=""], [contenteditable="true"]';
const ACTIVATES = 'button, a[href], summary, [role="radio"], [role="button"]';

/** Whether a key event belongs to the element that has focus rather than to the page. */
function ownedByTarget(e: KeyboardEvent, key: string): boolean {
  const t = e.target instanceof Element ? e.target : null;
  if (!t) return false;
  if (t.closest(EDITABLE)) return true;
  return (key === ' ' || key === 'Enter') && t.closest(ACTIVATES) !== null;
}

/** The run page's keys, acting through the shared time controls. */
export function useRunShortcuts(scrub: Scrub): void {
  const store = useLayerwatchApi();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || ownedByTarget(e, e.key)) return;
      if (store.getState().view.help) return;
      switch (e.key) {
        case ' ':
          scrub.toggle();
          break;
        case 'ArrowLeft':
          scrub.step(e.shiftKey ? -10 : -1);
          break;
        case 'ArrowRight':
          scrub.step(e.shiftKey ? 10 : 1);
          break;
        case 'Home':
          scrub.seek(0);
          break;
        case 'End':
          scrub.seek(null);
          break;
        case 'm':
        case 'M':
          store.getState().cycleMetric();
          break;
        default:
          return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store, scrub]);
}

const KEYS: Array<[string, string]> = [
  ['Space', 'play / pause a replay'],
  ['← →', 'previous / next checkpoint (Shift: 10 at a time)'],
  ['Home End', 'first checkpoint / newest (live) or final (replay) state'],
  ['m', 'next similarity metric'],
  ['/', 'search runs (run list)'],
  ['?', 'show or hide this help'],
  ['Esc', 'close this help or a drawer'],
];

/** The help overlay (a modal dialog) and the page-wide `?` and `/` keys. */
export function ShortcutsHelp() {
  const open = useLayerwatch((s) => s.view.help);
  const setHelp = useLayerwatch((s) => s.setHelp);
  const ref = useRef<HTMLDialogElement | null>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || ownedByTarget(e, e.key)) return;
      if (e.key === '?') {
        e.preventDefault();
        setHelp(!ref.current?.open);
      } else if (e.key === '/') {
        const search = document.querySelector<HTMLInputElement>('[data-shortcut="search"]');
        if (search) {
          e.preventDefault();
          search.focus();
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [setHelp]);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: a click on the backdrop closes the dialog; Escape does so from the keyboard
    <dialog
      ref={ref}
      className="help-dialog"
      aria-labelledby="help-title"
      data-testid="help-overlay"
      onClose={() => setHelp(false)}
      onClick={(e) => e.target === ref.current && setHelp(false)}
    >
      <h2 id="help-title">Keyboard shortcuts</h2>
      <dl className="keys">
        {KEYS.map(([k, what]) => (
          <div key={k}>
            <dt>
              {k.split(' ').map((part) => (
                <kbd key={part}>{part}</kbd>
              ))}
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      <form method="dialog">
        {/* biome-ignore lint/a11y/noAutofocus: the help dialog opened by ? moves focus into itself */}
        <button type="submit" autoFocus>
          Close
        </button>
      </form>
    </dialog>
  );
}
