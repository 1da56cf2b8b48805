/**
 * A run's tags and notes: what a person writes about a run (PATCH /api/runs/RUN), stored as an `annotation` server
 * event in the run's log. The bounds and their error codes are one definition for the API, the stored event and the
 * browser's editor (docs/protocol.md, "HTTP API").
 */
import { z } from 'zod';

export const MAX_TAGS = 64;
export const MAX_TAG_CHARS = 64;
export const MAX_NOTES_CHARS = 10_000;
/** Largest PATCH body read: the largest valid patch, escaped, fits well within it. */
export const MAX_ANNOTATION_BODY_BYTES = 256 * 1024;

// C0 and C1 controls, DEL, and the line/paragraph separators; notes may keep \n and \t.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const NOTES_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/;
/** A tag: 1–64 characters (UTF-16 units, as the notes' limit), no whitespace, no controls (so `tag:NAME` in a search is one word). */
const TAG = /^\S+$/u;

/** Every code the annotation API answers with; listed in docs/protocol.md. */
export const ANNOTATION_ERRORS = {
  BAD_JSON: 'The body is not one JSON object.',
  BAD_ANNOTATION: 'The body must be {"tags": [strings], "notes": string}, with at least one of the two and nothing else.',
  BAD_CONTENT_TYPE: 'Send the body as application/json.',
  BODY_TOO_LARGE: `The body is larger than ${MAX_ANNOTATION_BODY_BYTES} bytes.`,
  TOO_MANY_TAGS: `A run has at most ${MAX_TAGS} tags.`,
  BAD_TAG: `A tag is 1–${MAX_TAG_CHARS} characters without whitespace or control characters.`,
  NOTES_TOO_LONG: `Notes are at most ${MAX_NOTES_CHARS} characters.`,
  CONTROL_CHARACTER: 'Notes may hold newlines and tabs but no other control characters.',
} as const;
export type AnnotationErrorCode = keyof typeof ANNOTATION_ERRORS;

/** Tags and notes as stored: bounded like the API, so a hand-edited log cannot smuggle in more. */
export const Annotation = z.strictObject({
  tags: z
    .array(
      z
        .string()
        .min(1)
        .max(MAX_TAG_CHARS)
        .regex(TAG)
        .refine((t) => !CONTROL.test(t)),
    )
    .max(MAX_TAGS),
  notes: z
    .string()
    .max(MAX_NOTES_CHARS)
    .refine((n) => !NOTES_CONTROL.test(n)),
});
export type Annotation = z.infer<typeof Annotation>;

/** A refused patch: a stable code and one line that names what is wrong. */
export class AnnotationError extends Error {
  constructor(
    readonly code: AnnotationErrorCode,
    message: string = ANNOTATION_ERRORS[code],
  ) {
    super(message);
    this.name = 'AnnotationError';
  }
}

const clip = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

/** Checks a PATCH body (parsed JSON) and merges it into the run's current annotation; throws AnnotationError. */
export function applyAnnotationPatch(current: Annotation, body: unknown): Annotation {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new AnnotationError('BAD_ANNOTATION');
  const { tags, notes, ...rest } = body as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length) throw new AnnotationError('BAD_ANNOTATION', `Unknown field ${clip(extra[0])}; a patch has "tags" and "notes" only.`);
  if (tags === undefined && notes === undefined) throw new AnnotationError('BAD_ANNOTATION');
  return { tags: tags === undefined ? current.tags : checkTags(tags), notes: notes === undefined ? current.notes : checkNotes(notes) };
}

function checkTags(tags: unknown): string[] {
  if (!Array.isArray(tags)) throw new AnnotationError('BAD_ANNOTATION', '"tags" must be an array of strings.');
  if (tags.length > MAX_TAGS) throw new AnnotationError('TOO_MANY_TAGS', `${tags.length} tags; a run has at most ${MAX_TAGS}.`);
  const out: string[] = [];
  for (const t of tags) {
    if (typeof t !== 'string') throw new AnnotationError('BAD_ANNOTATION', '"tags" must be an array of strings.');
    const tag = t.trim();
    if (!tag || tag.length > MAX_TAG_CHARS || !TAG.test(tag) || CONTROL.test(tag))
      throw new AnnotationError('BAD_TAG', `Tag ${clip(tag)}: ${ANNOTATION_ERRORS.BAD_TAG}`);
    // The same tag twice is one tag; the order a person gave is kept.
    if (!out.includes(tag)) out.push(tag);
  }
  return out;
}

function checkNotes(notes: unknown): string {
  if (typeof notes !== 'string') throw new AnnotationError('BAD_ANNOTATION', '"notes" must be a string.');
  if (notes.length > MAX_NOTES_CHARS) throw new AnnotationError('NOTES_TOO_LONG', `Notes of ${notes.length} characters; the limit is ${MAX_NOTES_CHARS}.`);
  const bad = NOTES_CONTROL.exec(notes);
  if (bad)
    throw new AnnotationError(
      'CONTROL_CHARACTER',
      `Notes hold the control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()} at position ${bad.index}; only newlines and tabs are allowed.`,
    );
  return notes;
}

/** A run meta's annotation (empty when none was ever written). */
export function annotationOf(meta: { tags?: string[]; notes?: string }): Annotation {
  return { tags: meta.tags ?? [], notes: meta.notes ?? '' };
}
