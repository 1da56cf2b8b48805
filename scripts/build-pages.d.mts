// Types of scripts/build-pages.mjs (plain JavaScript so `npm run demo` runs it without a TypeScript loader).
export declare const PAGE_SOURCES: { dirs: string[]; files: string[] };
/** True when `root`/.next holds a build newer than every page source. */
export declare function pagesFresh(root: string): boolean;
/** Runs `next build` in `root`; resolves with its exit code. */
export declare function nextBuild(root: string): Promise<number>;
/** Builds the pages when .next is missing or stale (one line says so first); PAGES_BUILD_FAILED when the build fails. */
export declare function ensurePages(
  root: string,
  opts?: { log?: (line: string) => void; env?: Record<string, string | undefined>; build?: (root: string) => Promise<number> },
): Promise<'fresh' | 'skipped' | 'built'>;
