// Worker bootstrap: worker threads do not inherit the TypeScript loader, so register it before loading worker.ts.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
