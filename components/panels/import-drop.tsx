'use client';
/**
 * Import a run log by dropping it anywhere on the run list (or choosing it): POST /api/import with the bytes. A good log
 * becomes a run (it then appears in the list through the "runs" topic); a bad one shows the server's error and changes nothing.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import Link from 'next/link';
import type { RunMeta } from '@/lib/protocol/live';
import { runAnswer } from './run-answer';

type Status =
  | { state: 'idle' }
  | { state: 'uploading'; name: string }
  | { state: 'ok'; run: RunMeta }
  | { state: 'error'; name: string; code: string; message: string };

/** Uploads one file; resolves with the new run or rejects with the server's {code, message}. */
export async function importLog(file: File): Promise<RunMeta> {
  const res = await fetch('/api/import', { method: 'POST', body: file, headers: { 'x-filename': file.name, 'content-type': 'application/octet-stream' } });
  return runAnswer(res, 'import failed');
}

/** Renders the import button, the drop overlay while a file is dragged over the page, and the outcome. */
export function ImportDrop() {
  const [status, setStatus] = useState<Status>({ state: 'idle' });
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement | null>(null);
  const depth = useRef(0);

  const upload = useCallback(async (file: File) => {
    setStatus({ state: 'uploading', name: file.name });
    try {
      setStatus({ state: 'ok', run: await importLog(file) });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      setStatus({ state: 'error', name: file.name, code: e.code ?? 'IMPORT_FAILED', message: e.message ?? String(err) });
    }
  }, []);

  useEffect(() => {
    const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth.current++;
      setDragging(true);
    };
    const leave = () => {
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setDragging(false);
    };
    const over = (e: DragEvent) => {
      if (hasFiles(e)) e.preventDefault();
    };
    const drop = (e: DragEvent) => {
      const file = e.dataTransfer?.files?.[0];
      depth.current = 0;
      setDragging(false);
      if (!file) return;
      e.preventDefault();
      void upload(file);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, [upload]);

  return (
    <>
      <button type="button" onClick={() => input.current?.click()} title="Import a run log (.lwlog): choose it, or drop it anywhere on this page">
        Import log…
      </button>
      <input
        ref={input}
        type="file"
        accept=".lwlog,application/octet-stream"
        hidden
        data-testid="import-input"
        onChange={(e) => {
          const f = e.target.files?.[0];
          e.target.value = '';
          if (f) void upload(f);
        }}
      />
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          Drop a run log to import it
        </div>
      )}
      {status.state !== 'idle' && (
        <div
          className={`panel import-status ${status.state}`}
          data-testid="import-status"
          data-state={status.state}
          role={status.state === 'error' ? 'alert' : 'status'}
        >
          {status.state === 'uploading' && <span>Importing {status.name}…</span>}
          {status.state === 'ok' && (
            <span>
              Imported <Link href={`/runs/${encodeURIComponent(status.run.id)}`}>{status.run.name}</Link> ({status.run.checkpoints} checkpoints).
            </span>
          )}
          {status.state === 'error' && (
            <span>
              Could not import {status.name}: <code data-testid="import-error-code">{status.code}</code> {status.message}. Nothing was added.
            </span>
          )}
          {status.state !== 'uploading' && (
            <button type="button" onClick={() => setStatus({ state: 'idle' })}>
              Dismiss
            </button>
          )}
        </div>
      )}
    </>
  );
}
