'use client';
/**
 * A run's tags and notes, shown as chips (each a search for runs with that tag) and the notes' first line, editable in
 * place: PATCH /api/runs/RUN; the server's error (code and one line) is shown as it came and nothing changes.
 */
import { useId, useState } from 'react';
import Link from 'next/link';
import { MAX_NOTES_CHARS, MAX_TAGS, type RunMeta } from '@/lib/protocol';
import { runAnswer } from './run-answer';

/** Sends tags and notes; resolves with the run's new meta or rejects with the server's {code, message}. */
export async function saveAnnotation(id: string, patch: { tags?: string[]; notes?: string }): Promise<RunMeta> {
  const res = await fetch(`/api/runs/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    body: JSON.stringify(patch),
    headers: { 'content-type': 'application/json' },
  });
  return runAnswer(res, 'saving failed');
}

/** Tags as typed: separated by spaces or commas. */
export const splitTags = (text: string) => text.split(/[\s,]+/).filter(Boolean);

interface Props {
  meta: RunMeta;
  /** Called with the saved meta (the store may also hear it on /live). */
  onSaved?: (meta: RunMeta) => void;
  /** One line (the overview's rows): notes as a tooltip, not shown. */
  compact?: boolean;
}

/** Renders the chips and notes, or the edit form. */
export function TagEditor({ meta, onSaved, compact = false }: Props) {
  const [editing, setEditing] = useState(false);
  const [tags, setTags] = useState('');
  const [notes, setNotes] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const ids = useId();
  const shown = meta.tags ?? [];

  const open = () => {
    setTags(shown.join(' '));
    setNotes(meta.notes ?? '');
    setError(null);
    setEditing(true);
  };
  const save = async () => {
    setSaving(true);
    try {
      const saved = await saveAnnotation(meta.id, { tags: splitTags(tags), notes });
      onSaved?.(saved);
      setEditing(false);
    } catch (err) {
      const e = err as { code?: string; message?: string };
      setError(`${e.code ?? 'ERROR'}: ${e.message ?? String(err)}`);
    } finally {
      setSaving(false);
    }
  };

  if (editing) {
    return (
      <form
        className="tag-form"
        data-testid="tag-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape') setEditing(false);
        }}
      >
        <label htmlFor={`${ids}-tags`} className="small">
          Tags <span className="muted">(space-separated, up to {MAX_TAGS})</span>
        </label>
        {/* biome-ignore lint/a11y/noAutofocus: the field appears because the user chose to edit; focus goes to it */}
        <input id={`${ids}-tags`} value={tags} onChange={(e) => setTags(e.target.value)} data-testid="tag-input" autoFocus />
        <label htmlFor={`${ids}-notes`} className="small">
          Notes
        </label>
        <textarea id={`${ids}-notes`} value={notes} onChange={(e) => setNotes(e.target.value)} rows={compact ? 2 : 3} data-testid="notes-input" />
        <span className={`small ${notes.length > MAX_NOTES_CHARS ? 'error-text' : 'muted'}`}>
          {notes.length} / {MAX_NOTES_CHARS}
        </span>
        {error && (
          <p className="error-text small" role="alert" data-testid="tag-error">
            {error}
          </p>
        )}
        <div className="tag-actions">
          <button type="submit" disabled={saving} data-testid="tag-save">
            {saving ? 'Saving…' : 'Save'}
          </button>
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </div>
      </form>
    );
  }
  const firstLine = (meta.notes ?? '').split('\n')[0];
  return (
    <div className={`tag-line${compact ? ' compact' : ''}`} data-testid="tags" data-tags={shown.join(' ')}>
      {shown.map((t) => (
        <Link key={t} className="tag-chip" href={`/?q=${encodeURIComponent(`tag:${t}`)}`} title={`Runs tagged ${t}`}>
          {t}
        </Link>
      ))}
      {!compact && firstLine && (
        <span className="notes-line muted small" title={meta.notes} data-testid="notes">
          {firstLine}
        </span>
      )}
      <button
        type="button"
        className="link-button small"
        onClick={open}
        aria-label={`Edit tags and notes of ${meta.name}`}
        title={compact && meta.notes ? meta.notes : undefined}
        data-testid="tag-edit"
      >
        {shown.length || meta.notes ? 'edit' : '+ tags'}
      </button>
    </div>
  );
}
