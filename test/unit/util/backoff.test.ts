import assert from 'node:assert/strict';
import { backoffDelay } from '../../../src/util/backoff.js';

describe('backoffDelay', () => {
  const opts = { initialMs: 1000, maxMs: 60_000 };
  it('doubles from the initial delay, between half and all of it', () => {
    assert.equal(backoffDelay(0, opts, () => 0), 500);
    assert.equal(backoffDelay(0, opts, () => 0.999999), 1000);
    assert.equal(backoffDelay(3, opts, () => 0), 4000);
    assert.equal(backoffDelay(3, opts, () => 0.999999), 8000);
  });
  it('is capped, and never zero, however many attempts', () => {
    for (const n of [6, 10, 100, 10_000]) {
      const lo = backoffDelay(n, opts, () => 0);
      const hi = backoffDelay(n, opts, () => 0.999999);
      assert.equal(lo, 30_000);
      assert.equal(hi, 60_000);
    }
  });
  it('spreads retries (jitter)', () => {
    const seen = new Set(Array.from({ length: 50 }, (_, i) => backoffDelay(4, opts, () => i / 50)));
    assert.ok(seen.size > 40);
  });
});
