import assert from 'node:assert/strict';
import { compareHlc, formatHlc, Hlc, laterHlc, parseHlc } from '../../../src/cluster/hlc.js';
import { FakeClock } from '../fakeClock.js';

describe('hybrid logical clock (issue 23: merges by HLC, instance id breaks ties)', () => {
  it('rises for events within one ms, and after the wall clock steps back', () => {
    const clock = new FakeClock();
    const h = new Hlc('a', clock);
    const t1 = h.now();
    const t2 = h.now();
    assert.equal(t1.wall, clock.now());
    assert.deepEqual([t2.wall, t2.counter], [t1.wall, 1]);
    clock.stepWall(-60_000);
    const t3 = h.now();
    assert.ok(compareHlc(t3, t2) > 0, 'a wall clock stepped back does not go back in HLC time');
    clock.advance(5);
    const t4 = h.now();
    assert.ok(compareHlc(t4, t3) > 0);
  });

  it('orders an event after a received one even when the local wall clock is behind', () => {
    const clockA = new FakeClock();
    const clockB = new FakeClock();
    clockB.stepWall(-5_000); // B's wall clock is 5 s behind A's
    const a = new Hlc('a', clockA);
    const b = new Hlc('b', clockB);
    const sent = a.now();
    const recv = b.receive(sent);
    assert.ok(compareHlc(recv, sent) > 0);
    const later = b.now();
    assert.ok(compareHlc(later, sent) > 0, "B's next event comes after A's, though B's wall clock reads 5 s earlier");
    assert.equal(later.wall, sent.wall);
  });

  it('takes the larger counter when both walls are equal, and resets it when the wall clock moves on', () => {
    const clock = new FakeClock();
    const h = new Hlc('b', clock);
    const r = h.receive({ wall: clock.now(), counter: 7, node: 'a' });
    assert.deepEqual([r.wall, r.counter], [clock.now(), 8]);
    clock.advance(1);
    assert.equal(h.now().counter, 0);
  });

  it('does not adopt a remote time far ahead (a peer with a clock a year off), but orders it right', () => {
    const clock = new FakeClock();
    const h = new Hlc('b', clock, 60_000);
    const future = { wall: clock.now() + 365 * 86_400_000, counter: 0, node: 'a' };
    const t = h.receive(future);
    assert.equal(t.wall, clock.now());
    assert.ok(compareHlc(future, t) > 0);
  });

  it('breaks ties by instance name, the same on every instance', () => {
    const x = { wall: 10, counter: 2, node: 'eu-west' };
    const y = { wall: 10, counter: 2, node: 'us-east' };
    assert.ok(compareHlc(x, y) < 0);
    assert.ok(compareHlc(y, x) > 0);
    assert.equal(compareHlc(x, { ...x }), 0);
    assert.equal(laterHlc(x, y), y);
    assert.equal(laterHlc(y, x), y);
  });

  it('text form round-trips and sorts as the timestamps do', () => {
    const ts = [
      { wall: 1_800_000_000_000, counter: 0, node: 'b' },
      { wall: 1_800_000_000_000, counter: 10, node: 'a' },
      { wall: 1_800_000_000_001, counter: 0, node: 'a' },
      { wall: 1_800_000_000_000, counter: 0, node: 'a' },
    ];
    for (const t of ts) assert.deepEqual(parseHlc(formatHlc(t)), t);
    const byText = [...ts].sort((p, q) => (formatHlc(p) < formatHlc(q) ? -1 : 1));
    const byHlc = [...ts].sort(compareHlc);
    assert.deepEqual(byText, byHlc);
    assert.equal(parseHlc('nope'), undefined);
  });

  it('continues after a restart from its last timestamp, though the wall clock stepped back', () => {
    const clock = new FakeClock();
    const before = new Hlc('a', clock);
    before.now();
    const last = before.now();
    clock.stepWall(-3_600_000);
    const after = new Hlc('a', clock);
    after.restore(last);
    assert.ok(compareHlc(after.now(), last) > 0);
  });
});
