/**
 * Fault bench at full size: 10,000 fuzzed frames against a real server (with pipelined hellos, idle sockets and
 * cross-origin upgrades among them), 20 kill -9 during writes, a full disk, and hostile run-log files (the crafted
 * cases plus 300 seeded mutations uploaded, 40 planted in the data directory).
 * Prints frames fuzzed, crashes survived, records lost (must be 0) and logs unreadable (must be 0); exits 1 otherwise,
 * or when a connection case let a ghost run, an idle socket or a foreign origin through.
 * Usage: node --import tsx bench/chaos.ts [--frames 10000] [--kills 20] [--files 300] [--planted 40] [--seed 1] [--smoke]
 */
import { runDiskFull } from './chaos/disk-full';
import { runFuzz } from './chaos/fuzz';
import { runHostileFiles } from './chaos/hostile-files';
import { runKills } from './chaos/kill';
import { numArg, SMOKE } from './helpers';
import { HOSTILE_LOGS } from '../test/fixtures/hostile-logs';

const frames = numArg('frames', SMOKE ? 500 : 10_000);
const kills = numArg('kills', SMOKE ? 2 : 20);
const files = numArg('files', SMOKE ? 30 : 300);
const planted = numArg('planted', SMOKE ? 6 : 40);
const seed = numArg('seed', 1);
const log = (line: string) => console.log(`  ${line}`);

console.log(`layerwatch chaos bench: seed ${seed}`);
const fuzz = await runFuzz({ frames, seed, log });
console.log(
  `fuzz        ${fuzz.framesFuzzed} frames over ${fuzz.connections} connections in ${fuzz.seconds.toFixed(1)} s; server ${fuzz.serverAlive ? 'up' : 'DOWN'}; ` +
    `well-behaved trainer ${fuzz.acked} checkpoints acked; viewer ${fuzz.livePongs}/${fuzz.livePings} pings answered within 2 s (slowest ${fuzz.liveSlowestServedMs} ms, ${fuzz.liveSlowestMs} ms of wall time with ${fuzz.serverCpuWaitMs} ms waiting for a CPU; ${fuzz.liveUnanswered} unanswered); server errors logged ${fuzz.serverErrors}; ${fuzz.audit.logs} logs audited`,
);
const cc = fuzz.connectionCases;
console.log(
  `connections ${cc.pipelinedHellos} pipelined-hello sessions (${cc.ghostRuns} ghost runs), ${cc.idleSockets} idle sockets (${cc.idleNotClosed} not closed by the deadline), ` +
    `${cc.crossOrigin} cross-origin upgrades (${cc.crossOriginAccepted} let in)`,
);
const kill = await runKills({ kills, seed, log });
console.log(
  `kill -9     ${kill.kills} kills, ${kill.survived} survived; ${kill.acked} checkpoints acked; partial records read ${kill.partialRecords}; incomplete checkpoints ${kill.incompleteCheckpoints}`,
);
const disk = await runDiskFull(log);
if (disk.skipped) console.log(`disk full   skipped: ${disk.skipped}`);
else
  console.log(
    `disk full   ${disk.ackedWhileFull} acked, then ${disk.diskFullErrors}× DISK_FULL; server ${disk.serverAlive ? 'up' : 'DOWN'}, viewer ${disk.liveAnswered ? 'answered' : 'NOT answered'}; ${disk.ackedAfter} acked after space returned`,
  );
const hostile = await runHostileFiles({ files, planted, seed, log });
console.log(
  `files       ${hostile.uploaded} uploaded in ${hostile.seconds.toFixed(1)} s: ${hostile.refused} refused with a stable code, ${hostile.accepted} accepted (${hostile.acceptedBroken} not intact), ` +
    `${hostile.badAnswers} bad answers; ${planted + HOSTILE_LOGS.length - 1} planted runs, ${hostile.plantedUnopened} did not open; server ${hostile.serverAlive ? 'up' : 'DOWN'}, ` +
    `trainer ${hostile.acked} checkpoints acked; server errors logged ${hostile.serverErrors}; ${hostile.audit.logs} logs audited`,
);

const recordsLost = fuzz.recordsLost + kill.recordsLost + disk.recordsLost + hostile.recordsLost;
const logsUnreadable =
  fuzz.audit.unreadable.length +
  fuzz.audit.incomplete.length +
  kill.logsUnreadable +
  kill.incompleteCheckpoints +
  disk.logsUnreadable +
  hostile.audit.unreadable.length +
  hostile.audit.incomplete.length;
console.log('');
console.log(`frames fuzzed:     ${fuzz.framesFuzzed}`);
console.log(`crashes survived:  ${kill.survived}/${kill.kills}`);
console.log(`records lost:      ${recordsLost}`);
console.log(`logs unreadable:   ${logsUnreadable}`);
const connectionsHeld = cc.ghostRuns === 0 && cc.idleNotClosed === 0 && cc.crossOriginAccepted === 0;
const filesOk =
  hostile.serverAlive &&
  hostile.serverErrors === 0 &&
  hostile.badAnswers === 0 &&
  hostile.acceptedBroken === 0 &&
  hostile.plantedUnopened === 0 &&
  hostile.refused >= HOSTILE_LOGS.length;
const ok =
  connectionsHeld &&
  filesOk &&
  recordsLost === 0 &&
  logsUnreadable === 0 &&
  fuzz.serverAlive &&
  fuzz.serverErrors === 0 &&
  kill.survived === kill.kills &&
  kill.partialRecords === 0 &&
  (disk.skipped !== undefined || (disk.serverAlive && disk.diskFullErrors > 0 && disk.ackedAfter > 0));
if (!ok) {
  console.log('FAILED');
  process.exitCode = 1;
}
