/** Minimal, strict flag parsing shared by every `layerwatch` subcommand. */

export type FlagSpec = Record<string, 'string' | 'number' | 'boolean'>;

export interface ParsedArgs {
  flags: Record<string, string | number | boolean | undefined>;
  positional: string[];
}

/** A user error on the command line (unknown flag, missing or malformed value): printed as one line, exit code 2. */
export class UsageError extends Error {
  readonly code = 'USAGE';
}

/** A well-formed command line that names something invalid or unavailable (a bad run id, no data directory): one line with its code, exit code 1. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Parses `--name value`, `--name=value` and boolean `--flag`; rejects unknown flags. */
export function parseArgs(argv: string[], spec: FlagSpec): ParsedArgs {
  const flags: ParsedArgs['flags'] = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg === '-o') {
        // `-o FILE` is the one short flag (export); treated as --output.
        const value = argv[++i];
        if (value === undefined) throw new UsageError('-o needs a file name');
        flags.output = value;
        continue;
      }
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const kind = spec[name];
    if (!kind) throw new UsageError(`unknown flag --${name}`);
    if (kind === 'boolean') {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    const raw = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (raw === undefined) throw new UsageError(`--${name} needs a value`);
    if (kind === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${raw}"`);
      flags[name] = n;
    } else {
      flags[name] = raw;
    }
  }
  return { flags, positional };
}

/** Reads a string flag, falling back to an environment variable and then a default. */
export function stringFlag(args: ParsedArgs, name: string, env?: string, fallback?: string): string | undefined {
  const v = args.flags[name];
  if (typeof v === 'string') return v;
  if (env && process.env[env]) return process.env[env];
  return fallback;
}

/** Reads a number flag, falling back to an environment variable and then a default. */
export function numberFlag(args: ParsedArgs, name: string, env?: string, fallback?: number): number | undefined {
  const v = args.flags[name];
  if (typeof v === 'number') return v;
  if (env && process.env[env] !== undefined && process.env[env] !== '') {
    const n = Number(process.env[env]);
    if (!Number.isFinite(n)) throw new UsageError(`${env} must be a number, got "${process.env[env]}"`);
    return n;
  }
  return fallback;
}

/** `--allowed-hosts a,b` (or LAYERWATCH_ALLOWED_HOSTS): host names requests may use besides loopback ones. */
export function allowedHostsFlag(args: ParsedArgs): string[] {
  const raw = stringFlag(args, 'allowed-hosts', 'LAYERWATCH_ALLOWED_HOSTS');
  if (raw === undefined) return [];
  const names = raw
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h.length > 0);
  if (!names.length || names.some((h) => h !== '*' && !/^[A-Za-z0-9.\-:[\]]+$/.test(h))) {
    throw new UsageError('--allowed-hosts takes a comma-separated list of host names (no ports), or *');
  }
  return names;
}

/** `--allowed-origins a,b` (or LAYERWATCH_ALLOWED_ORIGINS): web origins, besides the server's own, whose pages may open /ingest and /live. */
export function allowedOriginsFlag(args: ParsedArgs): string[] {
  const raw = stringFlag(args, 'allowed-origins', 'LAYERWATCH_ALLOWED_ORIGINS');
  if (raw === undefined) return [];
  const items = raw
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o.length > 0);
  const origins = items.map((o) => (o === '*' ? o : originOf(o)));
  if (!origins.length || origins.some((o) => o === null)) {
    throw new UsageError('--allowed-origins takes a comma-separated list of origins (scheme://host[:port], e.g. http://localhost:5173), or *');
  }
  return origins as string[];
}

/** The normalised origin of "scheme://host[:port]" (no path), or null. */
function originOf(text: string): string | null {
  try {
    const u = new URL(text);
    if (!/^https?:$/.test(u.protocol) || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash || text.endsWith('/')) return null;
    return u.origin;
  } catch {
    return null;
  }
}
