/** The API's answer about one run (`{run}` or `{error: {code, message}}`), read the same way by import and tag editing. */
import type { RunMeta } from '@/lib/protocol/live';

/** Resolves with the run, or rejects with the server's {code, message} (HTTP_<status> when it gave none). */
export async function runAnswer(res: Response, failed: string): Promise<RunMeta> {
  let body: { run?: RunMeta; error?: { code: string; message: string } } = {};
  try {
    body = await res.json();
  } catch {
    throw { code: `HTTP_${res.status}`, message: `the server answered ${res.status} without an explanation` };
  }
  if (!res.ok || !body.run) throw body.error ?? { code: `HTTP_${res.status}`, message: failed };
  return body.run;
}
