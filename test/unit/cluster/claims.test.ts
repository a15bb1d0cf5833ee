import assert from 'node:assert/strict';
import { ClaimBook } from '../../../src/cluster/claims.js';
import type { ClusterBody, ClusterEnvelope } from '../../../src/cluster/messages.js';
import { ClaimStore } from '../../../src/store/cluster.js';
import { openDb } from '../../../src/store/db.js';
import { FakeClock } from '../fakeClock.js';

describe('claims (issue 23: one page per event; claim before sending, mark sent after)', () => {
  const LEASE = 60_000;
  const setup = (): { clock: FakeClock; a: ClaimBook; b: ClaimBook; toB: (body: ClusterBody) => void } => {
    const clock = new FakeClock();
    const a = new ClaimBook('a', new ClaimStore(openDb(':memory:')), clock);
    const b = new ClaimBook('b', new ClaimStore(openDb(':memory:')), clock);
    const toB = (body: ClusterBody): void => b.applyPeer({ from: 'a', hlc: { wall: clock.now(), counter: 0, node: 'a' }, body } as ClusterEnvelope);
    return { clock, a, b, toB };
  };

  it("a peer's live claim blocks; when its lease lapses without a send, the step is taken over", () => {
    const { clock, a, b, toB } = setup();
    const r = a.claim('K7', '0', LEASE);
    assert.ok(r.ok);
    toB({ kind: 'claim', incident: 'K7', step: '0', leaseUntilMs: r.leaseUntilMs });
    assert.deepEqual(b.claim('K7', '0', LEASE), { ok: false, blocker: { kind: 'claimed', by: 'a', leaseUntilMs: r.leaseUntilMs } });
    assert.equal(b.blocker('K7', '1'), undefined, 'another step is free');
    clock.advance(LEASE - 1);
    assert.equal(b.claim('K7', '0', LEASE).ok, false);
    clock.advance(1);
    assert.equal(b.claim('K7', '0', LEASE).ok, true, 'a died mid-send: b takes over, never both silent');
  });

  it('a step sent by anyone is never sent again, lease or not; a sent without its claim (claim lost) blocks too', () => {
    const { clock, a, b, toB } = setup();
    assert.ok(a.claim('K7', '0', LEASE).ok);
    a.sent('K7', '0');
    toB({ kind: 'sent', incident: 'K7', step: '0' });
    clock.advance(10 * LEASE);
    assert.equal(b.blocker('K7', '0')?.kind, 'sent');
    assert.equal(a.blocker('K7', '0')?.kind, 'sent', 'and not by itself either');
    toB({ kind: 'sent', incident: 'K8', step: '2' });
    assert.deepEqual(b.blocker('K8', '2'), { kind: 'sent', by: 'a', atMs: clock.now() });
  });

  it("an instance's own claim does not block it (a retry after a failed send), a renewed one keeps the later lease", () => {
    const { clock, a } = setup();
    const first = a.claim('K9', '1', LEASE);
    clock.advance(1000);
    const again = a.claim('K9', '1', LEASE);
    assert.ok(first.ok && again.ok && again.leaseUntilMs > first.leaseUntilMs);
  });
});
