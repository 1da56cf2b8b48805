/** A stored run's state, rebuilt from its log's JSON records with the code live ingest uses (frames are not read). */
import type { RunMeta } from '../../lib/protocol';
import { DEFAULT_LOG_LIMITS, LogContentCheck, type LogCheckLimits } from './log-content-check';
import { RECORD_KIND } from './records';
import { RunState } from './run-state';
import { readRunLog } from '../storage/run-log-reader';

/**
 * Reads the log under the protocol's rules (a hand-edited or old data directory is untrusted input): a record that
 * breaks one is left out and the view says so with one BAD_RECORD warning, instead of failing or hanging.
 */
export async function readRunState(file: string, meta: RunMeta, limits: LogCheckLimits = DEFAULT_LOG_LIMITS): Promise<RunState> {
  const state = new RunState(meta);
  const check = new LogContentCheck(limits, { frames: false });
  let skipped = 0;
  let first = '';
  for await (const rec of readRunLog(file, { kinds: [RECORD_KIND.message, RECORD_KIND.event] })) {
    const r = check.accept(rec.kind, rec.time, rec.payload);
    if ('problem' in r) {
      if (skipped++ === 0) first = ` (the first at byte ${rec.offset}: ${r.problem.code}: ${r.problem.message.slice(0, 300)})`;
    } else if (r.record) {
      state.apply(r.record);
    }
  }
  if (skipped) {
    const message = `${skipped} stored record(s) break the protocol's rules and are left out${first}`;
    state.apply({ kind: 'event', time: 0, event: { type: 'warning', warning: { code: 'BAD_RECORD', message } } });
  }
  return state;
}
