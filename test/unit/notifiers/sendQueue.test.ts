import assert from 'node:assert/strict';
import { NotifyError } from '../../../src/errors.js';
import { SendQueue } from '../../../src/notifiers/irc/sendQueue.js';
import { TokenBucket } from '../../../src/util/tokenBucket.js';
import { FakeClock } from '../fakeClock.js';

/** A queue on a fake clock whose wire records [ms since start, line]. */
function rig(burst: number, perSecond: number): { clock: FakeClock; q: SendQueue; wire: Array<[number, string]>; lines: () => string[] } {
  const clock = new FakeClock();
  const wire: Array<[number, string]> = [];
  const t0 = clock.now();
  const q = new SendQueue(clock, new TokenBucket(clock, burst, perSecond), (l) => (wire.push([clock.now() - t0, l]), true));
  return { clock, q, wire, lines: () => wire.map(([, l]) => l) };
}

describe('SendQueue', () => {
  it('writes the burst at once and paces the rest', async () => {
    const { clock, q, wire } = rig(2, 1);
    const done = ['a', 'b', 'c', 'd'].map((l) => q.push(l));
    assert.deepEqual(wire.map((w) => w[1]), ['a', 'b']);
    assert.equal(q.depth, 2);
    clock.advance(1000);
    clock.advance(1000);
    await Promise.all(done);
    assert.deepEqual(wire, [[0, 'a'], [0, 'b'], [1000, 'c'], [2000, 'd']]);
  });
  it('sends alert lines before replies, whatever the order they were queued in', () => {
    const { clock, q, lines } = rig(1, 1);
    void q.push('r1', 'reply');
    void q.push('r2', 'reply');
    void q.push('alert');
    clock.advance(1000);
    clock.advance(1000);
    assert.deepEqual(lines(), ['r1', 'alert', 'r2']);
  });
  it('an outbox waiting for its turn gets the next token even while replies stream in (issue 7.2)', async () => {
    // ZNC's pace: one line every 2 s. 60 replies are queued (six strangers, ten !help each).
    const { clock, q, lines } = rig(1, 0.5);
    const replies = Array.from({ length: 60 }, (_, i) => q.push(`reply${i}`, 'reply').catch(() => 'dropped'));
    assert.deepEqual(lines(), ['reply0']);
    let turn = false;
    void q.whenWritable().then(() => {
      turn = true;
      void q.push('ALERT');
    });
    for (let i = 0; i < 4 && !turn; i++) {
      clock.advance(1000);
      await Promise.resolve(); // the outbox's pick runs as soon as its turn resolves, as in Node
    }
    assert.ok(turn, 'the outbox got its turn within one token interval');
    assert.deepEqual(lines(), ['reply0', 'ALERT']);
    clock.advance(2000);
    assert.deepEqual(lines().slice(0, 3), ['reply0', 'ALERT', 'reply1'], 'replies resume after the alert');
    for (let i = 0; i < 60; i++) clock.advance(1000);
    const outcome = await Promise.all(replies);
    assert.equal(outcome.slice(21).filter((r) => r === 'dropped').length, 60 - 21, 'at most 20 replies wait; the rest are refused at once');
    assert.ok(outcome.slice(1, 21).some((r) => r === 'dropped'), 'replies still waiting after 30 s are dropped, not written late');
  });
  it('drops a reply that waited longer than 30 s instead of writing it late', async () => {
    const { clock, q, lines } = rig(1, 0.02); // one line per 50 s
    void q.push('first', 'reply');
    const late = q.push('late', 'reply');
    clock.advance(30_001);
    clock.advance(20_000);
    await assert.rejects(late, /reply dropped: not sent within 30 s/);
    assert.deepEqual(lines(), ['first']);
    assert.equal(q.droppedReplies, 1);
  });
  it('background lines take only spare tokens, so a steady alert stream is never delayed by them', () => {
    // ZNC's default pace: 4 at once, then one every 2 s.
    const { clock, q, wire } = rig(4, 0.5);
    for (let i = 0; i < 4; i++) void q.push(`burst${i}`);
    void q.push('canary', 'background', 60_000);
    // One alert every 2 s, each as soon as a token exists: the canary must not take their turn.
    for (let i = 0; i < 10; i++) {
      clock.advance(2000);
      void q.push(`alert${i}`);
      clock.advance(0);
    }
    const alerts = wire.filter(([, l]) => l.startsWith('alert'));
    assert.equal(alerts.length, 10);
    for (const [at, l] of alerts) assert.ok(at - (Number(l.slice(5)) + 1) * 2000 <= 0, `${l} went at once (${at} ms)`);
    assert.ok(!wire.some(([, l]) => l === 'canary'), 'no spare token yet: the canary waits');
    clock.advance(60_000);
    assert.ok(wire.some(([, l]) => l === 'canary'), 'it goes when the path is idle or its deferral is over');
  });
  it('a deferred background line goes at its deadline even under sustained load', () => {
    const { clock, q, wire } = rig(1, 1);
    for (let i = 0; i < 20; i++) void q.push(`a${i}`);
    void q.push('ping', 'background', 5000);
    clock.advance(10_000);
    const at = wire.find(([, l]) => l === 'ping')?.[0];
    assert.ok(at !== undefined && at >= 5000 && at <= 6000, `ping written at ${at} ms`);
  });
  it('past its deferral, a background line with a busy bound waits for queued alert lines, at most that bound (issue 19.5)', () => {
    // ZNC's pace; 200 alert lines queued (400 s of sustained traffic); a canary deferred 120 s, or
    // 240 s while alert lines wait. Before, it went at 120 s and took an alert's slot.
    const { clock, q, wire } = rig(1, 0.5);
    for (let i = 0; i < 200; i++) void q.push(`a${i}`);
    void q.push('canary', 'background', 120_000, undefined, 240_000);
    for (let i = 0; i < 400; i++) clock.advance(1000);
    const at = wire.find(([, l]) => l === 'canary')?.[0];
    assert.ok(at !== undefined && at >= 240_000 && at <= 242_000, `canary written at ${at} ms`);
    const alerts = wire.filter(([, l]) => l !== 'canary').map(([t]) => t);
    const gaps = alerts.slice(1).map((t, i) => t - (alerts[i] as number));
    assert.deepEqual(gaps.filter((g) => g > 2000), [4000], 'one alert waited one slot more, at the bound, none before');
  });
  it('a deferred background line goes as soon as queued alert lines have drained', () => {
    const { clock, q, wire } = rig(1, 0.5);
    for (let i = 0; i < 75; i++) void q.push(`a${i}`); // the last one at 148 s
    void q.push('canary', 'background', 120_000, undefined, 240_000);
    for (let i = 0; i < 300; i++) clock.advance(1000);
    assert.equal(wire.filter(([, l]) => l !== 'canary').at(-1)?.[0], 148_000);
    assert.equal(wire.find(([, l]) => l === 'canary')?.[0], 150_000, 'the next token after the last alert, not the bound');
  });
  it('whenWritable resolves only once no alert line waits and a token is free', async () => {
    const { clock, q, wire } = rig(1, 1);
    void q.push('a1');
    void q.push('a2');
    let at: number | undefined;
    const t0 = clock.now();
    void q.whenWritable().then(() => (at = clock.now() - t0));
    for (let i = 0; i < 30; i++) {
      clock.advance(100);
      await Promise.resolve();
    }
    assert.deepEqual(wire, [[0, 'a1'], [1000, 'a2']]);
    assert.equal(at, 2000, 'a2 took the token at 1 s; the next is free at 2 s');
  });
  it('fails everything queued, retryably, when the link is down', async () => {
    const clock = new FakeClock();
    const q = new SendQueue(clock, new TokenBucket(clock, 5, 1), () => false);
    await assert.rejects(q.push('a'), (e: unknown) => e instanceof NotifyError && e.retryable);
    assert.equal(q.depth, 0);
  });
});
