// Worker bootstrap of the ping viewer: worker threads do not inherit the TypeScript loader, so register it first.
import { register } from 'tsx/esm/api';

register();
await import('./ping-viewer.ts');
