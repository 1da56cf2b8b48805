/**
 * Debian's Chromium as the e2e suite and the browser benches drive it: no sandbox (CI runs as root), no GPU, none of
 * its background traffic.
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
