import assert from 'node:assert/strict';
import { FLUSH_LOOKS, FLUSH_STEP_MS, flushOutbox } from '../../../src/relay/flush.js';
import { FakeClock } from '../fakeClock.js';

describe('flushing the outbox at shutdown', () => {
  /** Runs flushOutbox on the fake clock, advancing it FLUSH_STEP_MS at a time (bounded); ms waited. */
  const run = async (pending: () => number, pathUp: () => boolean): Promise<number> => {
    const clock = new FakeClock();
    const start = clock.monotonic();
    let done = false;
    const p = flushOutbox({ outbox: { pendingCount: pending }, clock, pathUp }).then(() => void (done = true));
    for (let i = 0; i < FLUSH_LOOKS * 2 && !done; i++) {
      await new Promise((r) => setImmediate(r));
      if (!done) clock.advance(FLUSH_STEP_MS);
    }
    await p;
    return clock.monotonic() - start;
  };

  it('waits while lines are pending and the path is up, until the outbox is empty', async () => {
    let left = 5;
    const waited = await run(() => left--, () => true);
    assert.equal(waited, 5 * FLUSH_STEP_MS);
  });

  it('returns at once with nothing pending, or with the path down', async () => {
    assert.equal(await run(() => 0, () => true), 0);
    assert.equal(await run(() => 10, () => false), 0);
  });

  it('gives up after FLUSH_LOOKS looks (3 s) when the outbox does not drain', async () => {
    assert.equal(await run(() => 10, () => true), FLUSH_LOOKS * FLUSH_STEP_MS);
    assert.equal(FLUSH_LOOKS * FLUSH_STEP_MS, 3_000);
  });
});
