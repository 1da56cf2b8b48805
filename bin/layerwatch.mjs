#!/usr/bin/env node
// Entry point of the `layerwatch` command: registers the TypeScript loader, then hands over to server/cli.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../server/cli.ts');
const code = await main(process.argv.slice(2));
if (typeof code === 'number') process.exitCode = code;
