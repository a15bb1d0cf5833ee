import assert from 'node:assert/strict';
import { TokenBucket } from '../../../src/util/tokenBucket.js';
import { FakeClock } from '../fakeClock.js';

describe('TokenBucket', () => {
  it('allows the burst at once, then the sustained rate', () => {
    const clock = new FakeClock();
    const b = new TokenBucket(clock, 5, 1);
    for (let i = 0; i < 5; i++) assert.ok(b.tryTake(), `burst token ${i}`);
    assert.equal(b.tryTake(), false);
    assert.equal(b.waitMs(), 1000);
    clock.advance(999);
    assert.equal(b.tryTake(), false);
    clock.advance(1);
    assert.ok(b.tryTake());
  });
  it('refills no further than the burst after a long idle time', () => {
    const clock = new FakeClock();
    const b = new TokenBucket(clock, 3, 2);
    for (let i = 0; i < 3; i++) b.tryTake();
    clock.advance(3_600_000);
    let n = 0;
    while (b.tryTake() && n < 100) n++;
    assert.equal(n, 3);
    assert.equal(b.waitMs(), 500);
  });
});
