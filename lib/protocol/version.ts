/** Protocol version spoken on /ingest and /live; a hello with another major version is refused. */
export const PROTOCOL_VERSION = 1;
/** The /ingest and /live paths on the server's one port. */
export const INGEST_PATH = '/ingest';
export const LIVE_PATH = '/live';
