import assert from 'node:assert/strict';
import { silentLogger } from '../../../src/observability/logger.js';
import { CLOCK_CHECK_MS, CLOCK_FAULT_MS, ClockWatch } from '../../../src/store/clockWatch.js';
import { openDb } from '../../../src/store/db.js';
import { HeartbeatStore } from '../../../src/store/heartbeats.js';
import { FakeClock } from '../fakeClock.js';

describe('clock watch', () => {
  const rig = () => {
    const clock = new FakeClock();
    const db = openDb(':memory:');
    const heartbeats = new HeartbeatStore(db);
    const faults = new Map<string, string>();
    let steps = 0;
    const watch = new ClockWatch({
      clock,
      db,
      log: silentLogger(),
      faults: { raise: (k, d) => void faults.set(k, d), clear: (k) => void faults.delete(k) },
      onStep: () => void steps++,
    });
    return { clock, db, heartbeats, faults, watch, steps: () => steps };
  };

  it('sees no step while wall and monotonic time move together', () => {
    const r = rig();
    r.clock.advance(10 * 60_000);
    assert.equal(r.watch.check(), false);
    assert.equal(r.faults.size, 0);
  });

  it('moves stored times by a step and raises clock_step, which clears an hour (monotonic) after the last step', () => {
    const r = rig();
    const beat = r.clock.now();
    r.heartbeats.beat('nightly', beat);
    r.clock.stepWall(-60 * 60_000);
    assert.equal(r.watch.check(), true);
    assert.equal(r.heartbeats.last('nightly'), beat - 60 * 60_000, 'the beat keeps its age');
    assert.match(r.faults.get('clock_step') ?? '', /^the wall clock stepped back 1 h at .*check the host's time sync/);
    r.clock.advance(CLOCK_FAULT_MS);
    assert.equal(r.watch.check(), false);
    assert.equal(r.faults.has('clock_step'), true, 'still listed at exactly an hour');
    r.clock.advance(1);
    r.watch.check();
    assert.equal(r.faults.has('clock_step'), false);
  });

  it('checks every CLOCK_CHECK_MS once started, calls onStep after a step, and stops', () => {
    const r = rig();
    r.watch.start();
    r.clock.advance(CLOCK_CHECK_MS * 3);
    assert.equal(r.steps(), 0);
    r.clock.stepWall(5 * 60_000);
    r.clock.advance(CLOCK_CHECK_MS);
    assert.equal(r.steps(), 1);
    assert.match(r.faults.get('clock_step') ?? '', /stepped forward 5 min/);
    r.watch.stop();
    assert.equal(r.clock.pending, 0);
  });
});
