/** The analysis backlog: counts what waits, measures service and arrival times, and says when (or whether) it catches up. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalysisBacklog } from '../../../lib/protocol';
import { BacklogTracker } from '../../../server/analysis/backlog';
import { backlogText } from '../../../components/panels/backlog-fact';

function tracker() {
  let t = 0;
  const published: AnalysisBacklog[] = [];
  const b = new BacklogTracker(
    'svcca-k',
    (x) => published.push(x),
    () => t,
  );
  return { b, published, at: (ms: number) => (t = ms) };
}

describe('analysis backlog', () => {
  it('checkpoints arriving faster than they are analysed: behind grows and no catch-up time is promised', () => {
    const { b, at } = tracker();
    for (let c = 0; c < 6; c++) {
      at(c * 1000); // one checkpoint a second
      b.arrive(c);
    }
    at(3000);
    b.done(0); // 3 s for the first
    at(6000);
    b.done(1); // 3 s for the next
    const s = b.state();
    assert.equal(s.behind, 4);
    assert.ok(s.secondsPerCheckpoint! > 2.9 && s.secondsPerCheckpoint! <= 3, `service ${s.secondsPerCheckpoint}`);
    assert.equal(s.arrivalSeconds, 1);
    assert.equal(s.catchUpSeconds, null);
    assert.match(backlogText(s)!.detail, /not catching up: a checkpoint takes 3\.0 s to analyse, one arrives every 1\.0 s/);
    b.close();
  });

  it('after the trainer stops, the catch-up time is what is left times the time per checkpoint', () => {
    const { b, at } = tracker();
    for (let c = 0; c < 5; c++) b.arrive(c);
    at(2000);
    b.done(0);
    b.end();
    const s = b.state();
    assert.equal(s.behind, 4);
    assert.equal(s.arrivalSeconds, null);
    assert.equal(s.catchUpSeconds, 8);
    assert.match(backlogText(s)!.value, /4 checkpoints behind/);
    b.close();
  });

  it('analysis faster than arrivals: catches up in behind × s / (1 − s/a); nothing is shown once at most one waits', () => {
    const { b, at, published } = tracker();
    for (const [c, t] of [
      [0, 0],
      [1, 4000],
    ]) {
      at(t);
      b.arrive(c);
      at(t + 1000);
      b.done(c); // 1 s each
    }
    for (const [c, t] of [
      [2, 8000],
      [3, 12000],
    ]) {
      at(t);
      b.arrive(c); // the worker was busy elsewhere: two wait
    }
    const s = b.state();
    assert.equal(s.behind, 2);
    assert.equal(s.secondsPerCheckpoint, 1);
    assert.equal(s.arrivalSeconds, 4);
    assert.ok(Math.abs(s.catchUpSeconds! - 2 / (1 - 0.25)) < 1e-9, `catch-up ${s.catchUpSeconds}`);
    assert.match(backlogText(s)!.detail, /catches up in ~2\.7 s/);
    b.done(2);
    b.done(3);
    assert.equal(published.at(-1)!.behind, 0, 'catching up is published at once');
    assert.equal(backlogText(published.at(-1)!), null);
    b.close();
  });
});
