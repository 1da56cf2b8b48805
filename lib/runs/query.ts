/**
 * The overview's small query language: `lr>0.001 tag:baseline adam` keeps runs whose config key `lr` (or any key
 * ending in `.lr`, e.g. `optimizer.lr`) is above 0.001, tagged `baseline`, with "adam" somewhere in their text.
 * Terms are ANDed; `-term` negates one. Parsing never fails: what is not a comparison is free text.
 *
 *   term   := ["-"] ( "tag:" VALUE | KEY OP VALUE | '"' words '"' | WORD )
 *   OP     := ">=" | "<=" | "!=" | ">" | "<" | "=" | ":"        (":" is "=")
 *   KEY    := a built-in (name status project id created step checkpoints layers), a config key, a scalar name,
 *             a layer name (its settle step), or explicitly `config.K`, `scalar.K`, `settle.K`
 */
import { BUILTIN_FIELDS, type FieldValue } from './fields';

export type Op = '>' | '>=' | '<' | '<=' | '=' | '!=';
export type QueryTerm =
  | { kind: 'text'; text: string; not: boolean }
  | { kind: 'tag'; tag: string; not: boolean }
  | { kind: 'cmp'; key: string; op: Op; value: FieldValue; not: boolean };

/** What a term is matched against: a run's fields (lib/runs/fields.ts), its search text and its tags. */
export interface Matchable {
  fields: Map<string, FieldValue>;
  text: string;
  tags: readonly string[];
}

const TOKEN = /(-?)(?:([A-Za-z_][\w.\-/@]*)(>=|<=|!=|>|<|=|:)("[^"]*"?|[^\s"]+)|"([^"]*)"?|(\S+))/g;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;
const BUILTINS = new Set<string>(BUILTIN_FIELDS);
const PREFIXES: Record<string, string> = { 'config.': 'c:', 'scalar.': 's:', 'settle.': 'l:' };

const unquote = (v: string) => (v.startsWith('"') ? v.slice(1, v.endsWith('"') && v.length > 1 ? -1 : undefined) : v);

/** A value as typed: a number when it reads as one, else the text. */
export function parseValue(v: string): FieldValue {
  return NUMBER.test(v) ? Number(v) : v;
}

/** Splits a query into terms (lower-cased free text; keys and values as typed). */
export function parseQuery(query: string): QueryTerm[] {
  const terms: QueryTerm[] = [];
  for (const m of query.matchAll(TOKEN)) {
    const not = m[1] === '-';
    if (m[2] !== undefined) {
      const key = m[2];
      const op: Op = m[3] === ':' ? '=' : (m[3] as Op);
      const raw = unquote(m[4]);
      if (key.toLowerCase() === 'tag' && (op === '=' || op === '!=')) terms.push({ kind: 'tag', tag: raw.toLowerCase(), not: not !== (op === '!=') });
      else terms.push({ kind: 'cmp', key, op, value: m[4].startsWith('"') ? raw : parseValue(raw), not });
    } else {
      const text = (m[5] ?? m[6]).toLowerCase();
      // A lone "-" or an empty quote is no term.
      if (text && !(m[6] !== undefined && text === '-')) terms.push({ kind: 'text', text, not });
    }
  }
  return terms;
}

/** The field a query key names in one run: explicit prefix, built-in, config key (exact, then by its last parts), scalar, layer. */
export function resolveKey(key: string, fields: Map<string, FieldValue>): string | null {
  for (const [p, to] of Object.entries(PREFIXES)) if (key.startsWith(p) && fields.has(to + key.slice(p.length))) return to + key.slice(p.length);
  if (BUILTINS.has(key)) return fields.has(key) ? key : null;
  if (fields.has(`c:${key}`)) return `c:${key}`;
  const suffix = `.${key}`;
  for (const k of fields.keys()) if (k.startsWith('c:') && k.endsWith(suffix)) return k;
  if (fields.has(`s:${key}`)) return `s:${key}`;
  if (fields.has(`l:${key}`)) return `l:${key}`;
  return null;
}

function compare(field: FieldValue, op: Op, value: FieldValue): boolean {
  let d: number;
  if (typeof field === 'number' && typeof value === 'number') d = field - value;
  else {
    const a = String(field).toLowerCase();
    const b = String(value).toLowerCase();
    if (op === '=' || op === '!=') return (a === b) === (op === '=');
    // Ordering text against a number is no match (a string "high" is not > 3).
    if (typeof field === 'number' || typeof value === 'number') return false;
    d = a < b ? -1 : a > b ? 1 : 0;
  }
  switch (op) {
    case '>':
      return d > 0;
    case '>=':
      return d >= 0;
    case '<':
      return d < 0;
    case '<=':
      return d <= 0;
    case '=':
      return d === 0;
    case '!=':
      return d !== 0;
    default: {
      const _exhaustive: never = op;
      return _exhaustive;
    }
  }
}

/** Whether one term holds for a run (before its negation). */
function holds(term: QueryTerm, run: Matchable): boolean {
  switch (term.kind) {
    case 'text':
      return run.text.includes(term.text);
    case 'tag':
      return run.tags.some((t) => t.toLowerCase() === term.tag);
    case 'cmp': {
      const key = resolveKey(term.key, run.fields);
      // A comparison on a key the run lacks is free text ("lr=0.01" was always a search for that text).
      if (key === null) return term.op === '=' && run.text.includes(`${term.key}=${String(term.value)}`.toLowerCase());
      return compare(run.fields.get(key)!, term.op, term.value);
    }
    default: {
      const _exhaustive: never = term;
      return _exhaustive;
    }
  }
}

/** Whether every term holds (negated ones must not). */
export function matchesTerms(terms: readonly QueryTerm[], run: Matchable): boolean {
  return terms.every((t) => holds(t, run) !== t.not);
}

/** Orders two runs by a column: numbers by value, text case-insensitively with numbers in it compared as numbers; runs without the field last in either direction. */
export function compareBy(key: string, dir: 'asc' | 'desc'): (a: Matchable, b: Matchable) => number {
  const sign = dir === 'asc' ? 1 : -1;
  return (a, b) => {
    const x = a.fields.get(key);
    const y = b.fields.get(key);
    if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
    if (typeof x === 'number' && typeof y === 'number') return sign * (x - y);
    if (typeof x === 'number' || typeof y === 'number') return typeof x === 'number' ? -1 : 1;
    return sign * collator.compare(String(x), String(y));
  };
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
