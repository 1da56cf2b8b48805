/**
 * Printing user data (run names, ids, file names, error messages) on a terminal. A run name is whatever a trainer
 * sent: ESC sequences in it would clear the screen, recolour the output or retitle the window (OSC) when printed raw.
 * Every CLI line that carries user data goes through `say`/`warn` (template tags) or `printJson`, which escape control
 * characters (newlines too: a value stays on its line). Fixed text of ours (help, usage) is printed as it is.
 */

// C0 controls (but not in JSON output, where JSON.stringify already escapes them), DEL, C1 controls (0x9b is a
// one-byte CSI on some terminals), and the bidirectional overrides that make text read differently than it is.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const hex4 = (c: string) => c.charCodeAt(0).toString(16).padStart(4, '0');

/** `text` with every control character shown as a visible escape (\x1b, \u202e) instead of acting on the terminal. */
export function terminalSafe(text: string): string {
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${hex4(c)}`;
  });
}

/** A template tag: the literal parts are ours and kept, every interpolated value is made terminal-safe. */
export function safe(strings: TemplateStringsArray, ...values: unknown[]): string {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? terminalSafe(String(values[i])) : ''), '');
}

/** Prints a line to stdout as a template tag: say`imported ${file} as run ${id}` (every value made terminal-safe). */
export function say(strings: TemplateStringsArray, ...values: unknown[]): void {
  console.log(safe(strings, ...values));
}

/** Prints a line to stderr, as `say` does. */
export function warn(strings: TemplateStringsArray, ...values: unknown[]): void {
  console.error(safe(strings, ...values));
}

/** Prints text that may quote user data (a server log entry, a usage message) line by line, each line made terminal-safe. */
export function logLines(text: string, to: 'stdout' | 'stderr' = 'stdout'): void {
  for (const line of text.split('\n')) (to === 'stdout' ? say : warn)`${line}`;
}

/** Prints a value as one line of JSON whose strings cannot act on a terminal (still valid JSON: \u escapes). */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value).replace(JSON_UNSAFE, (c) => `\\u${hex4(c)}`));
}
