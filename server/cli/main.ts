/** `layerwatch` command: dispatches to one module per subcommand, loaded only when used. */
import { UsageError } from './args';
import { logLines, warn } from './terminal-text';

/** `serves`: the command keeps the process running after `run` returns (a server); the others end with it. */
type Command = { summary: string; serves?: true; load: () => Promise<{ run: (argv: string[]) => Promise<number> }> };

const commands: Record<string, Command> = {
  serve: { summary: 'start the dashboard and collector (pages, /ingest, /live) on one port', serves: true, load: () => import('./serve') },
  simulate: { summary: 'stream a seeded synthetic training run to a collector', load: () => import('./simulate') },
  runs: { summary: 'list stored runs of a data directory', load: () => import('./runs') },
  export: { summary: 'print or write a stored run (analysis as JSON, or the raw log)', load: () => import('./export') },
  import: { summary: 'add a run log file to a data directory', load: () => import('./import') },
  replay: { summary: 'open a dashboard on a single run log', serves: true, load: () => import('./replay') },
  similarity: { summary: 'SVCCA / PWCCA / CKA between two .npy activation files', load: () => import('./similarity') },
};

function usage(): string {
  const lines = ['usage: layerwatch <command> [flags]', '', 'commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(11)} ${c.summary}`);
  lines.push('', 'Run `layerwatch <command> --help` for its flags.');
  return lines.join('\n');
}

/** Whether the process must end when `main(argv)` returns (every command but the servers; help and errors too). */
export function endsWithMain(argv: string[]): boolean {
  const command = commands[argv[0] ?? ''];
  return !command?.serves || argv.includes('--help') || argv.includes('-h');
}

export { exitFinished } from './exit';

/** Runs the CLI and returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    warn`layerwatch: unknown command "${name}"`;
    console.error(`\n${usage()}`);
    return 2;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest);
  } catch (err) {
    // Exit 2: the command line itself is wrong. Exit 1: it is well formed but names something invalid or unavailable.
    if (err instanceof UsageError) {
      logLines(`layerwatch ${name}: ${err.message}`, 'stderr');
      return 2;
    }
    const e = err as { code?: string; message?: string };
    if (e && typeof e.code === 'string' && /^[A-Z_]+$/.test(e.code)) {
      const message = String(e.message ?? '');
      // Some errors (the Node client's) already start with their code: print it once.
      warn`layerwatch ${name}: ${e.code}: ${message.startsWith(`${e.code}: `) ? message.slice(e.code.length + 2) : message}`;
      return 1;
    }
    throw err;
  }
}
