// Types of bin/huge-pages.mjs (plain JavaScript: it runs before the TypeScript loader).
/** Re-executes `layerwatch serve` in place with glibc.malloc.hugetlb=1 when wanted and missing; returns why it did not (null: not wanted). */
export declare function restartWithHugePages(root: string): string | null;
