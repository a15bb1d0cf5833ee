import assert from 'node:assert/strict';
import { NotifyError } from '../../../src/errors.js';
import { SendQueue } from '../../../src/notifiers/irc/sendQueue.js';
import { TokenBucket } from '../../../src/util/tokenBucket.js';
import { FakeClock } from '../fakeClock.js';

describe('SendQueue', () => {
  it('writes the burst at once and paces the rest', async () => {
    const clock = new FakeClock();
    const wire: Array<[number, string]> = [];
    const t0 = clock.now();
    const q = new SendQueue(clock, new TokenBucket(clock, 2, 1), (l) => (wire.push([clock.now() - t0, l]), true));
    const done = ['a', 'b', 'c', 'd'].map((l) => q.push(l));
    assert.deepEqual(wire.map((w) => w[1]), ['a', 'b']);
    assert.equal(q.depth, 2);
    clock.advance(1000);
    clock.advance(1000);
    await Promise.all(done);
    assert.deepEqual(wire, [[0, 'a'], [0, 'b'], [1000, 'c'], [2000, 'd']]);
  });
  it('puts urgent lines first', () => {
    const clock = new FakeClock();
    const wire: string[] = [];
    const q = new SendQueue(clock, new TokenBucket(clock, 1, 1), (l) => (wire.push(l), true));
    void q.push('a');
    void q.push('b');
    void q.push('canary', true);
    clock.advance(1000);
    assert.deepEqual(wire, ['a', 'canary']);
  });
  it('fails everything queued, retryably, when the link is down', async () => {
    const clock = new FakeClock();
    const q = new SendQueue(clock, new TokenBucket(clock, 5, 1), () => false);
    await assert.rejects(q.push('a'), (e: unknown) => e instanceof NotifyError && e.retryable);
    assert.equal(q.depth, 0);
  });
});
