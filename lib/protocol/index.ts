/** The one protocol module: every message of /ingest and /live, the frame codec and the error table. */
export * from './version';
export * from './errors';
export * from './ingest';
export * from './probe-classes';
export * from './frame';
export * from './live';
export * from './parse';
export * from './analysis';
export * from './concepts';
export * from './images';
export * from './gradcam';
export * from './events';
export * from './annotations';
export * from './overview';
export * from './ranks';
export * from './requests';
