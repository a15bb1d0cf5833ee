import assert from 'node:assert/strict';
import { settle, type SettleTarget } from '../../../src/cluster/settle.js';
import { FakeClock } from '../fakeClock.js';

/** Runs settle on the fake clock, advancing it until settle returns (bounded). */
async function run(targets: SettleTarget[], clock: FakeClock, timeoutMs: number): ReturnType<typeof settle> {
  let done = false;
  const p = settle(targets, clock, timeoutMs).finally(() => (done = true));
  for (let i = 0; i < 10_000 && !done; i++) {
    await new Promise((r) => setImmediate(r));
    clock.advance(50);
  }
  return p;
}

describe('settle (issue 23: not ready until caught up with every reachable peer, bounded by settle_timeout)', () => {
  it('waits until each reachable peer is read up to the end it had, skips unreachable ones', async () => {
    const clock = new FakeClock();
    const start = clock.monotonic();
    let readA = 0;
    const a: SettleTarget = { peer: 'a', originLastSeq: async () => 40, processedSeq: () => readA };
    const c: SettleTarget = { peer: 'c', originLastSeq: async () => undefined, processedSeq: () => 0 };
    clock.setTimeout(() => (readA = 39), 1000);
    clock.setTimeout(() => (readA = 40), 2000);
    const out = await run([a, c], clock, 30_000);
    assert.deepEqual(out.caughtUp, ['a']);
    assert.deepEqual(out.unreachable, ['c']);
    assert.deepEqual(out.behind, []);
    assert.ok(out.tookMs >= 2000 && out.tookMs < 2500, `took ${out.tookMs}`);
    assert.ok(clock.monotonic() - start < 3000);
  });

  it('gives up after settle_timeout and names the peer still behind', async () => {
    const clock = new FakeClock();
    const a: SettleTarget = { peer: 'a', originLastSeq: async () => 10, processedSeq: () => 3 };
    const out = await run([a], clock, 5_000);
    assert.deepEqual(out.behind, ['a']);
    assert.ok(out.tookMs >= 5_000 && out.tookMs < 5_300, `took ${out.tookMs}`);
  });

  it('the goal is the end when first looked at: messages published later do not hold settling', async () => {
    const clock = new FakeClock();
    let last = 5;
    let read = 0;
    const a: SettleTarget = {
      peer: 'a',
      originLastSeq: async () => last,
      processedSeq: () => read,
    };
    clock.setTimeout(() => {
      read = 5;
      last = 9;
    }, 400);
    const out = await run([a], clock, 10_000);
    assert.deepEqual(out.caughtUp, ['a']);
  });
});
