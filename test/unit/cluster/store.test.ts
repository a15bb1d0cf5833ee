import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeEnvelope, encodeEnvelope } from '../../../src/cluster/messages.js';
import { ClusterStore } from '../../../src/store/cluster.js';
import { openDb } from '../../../src/store/db.js';

describe('cluster store (migration 15): outbox and applied peer messages', () => {
  it('a queued message survives a restart until marked published; an id is queued once', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'llcs-')), 's.db');
    const s = new ClusterStore(openDb(file));
    assert.equal(s.enqueue('a:1', 'll.a.ack', '{}', 1), true);
    assert.equal(s.enqueue('a:1', 'll.a.ack', '{}', 2), false, 'the same decision recorded twice is one message');
    s.enqueue('a:2', 'll.a.claim', '{}', 3);
    const again = new ClusterStore(openDb(file));
    assert.deepEqual(again.pending(10).map((r) => r.msgId), ['a:1', 'a:2']);
    again.markPublished(again.pending(1)[0]?.id ?? 0, 5);
    assert.deepEqual(again.pending(10).map((r) => r.msgId), ['a:2']);
    assert.equal(again.pendingCount(), 1);
  });

  it('applies a peer message once by its id, and not at all when applying throws', () => {
    const s = new ClusterStore(openDb(':memory:'));
    let n = 0;
    assert.equal(s.applyOnce('b:x', 'b', 7, 1, () => n++), true);
    assert.equal(s.applyOnce('b:x', 'b', 9, 2, () => n++), false, 'a redelivery, or a copy stored again after the duplicate window');
    assert.equal(n, 1);
    assert.throws(() => s.applyOnce('b:y', 'b', 8, 3, () => { throw new Error('boom'); }));
    assert.equal(s.applyOnce('b:y', 'b', 8, 4, () => n++), true, 'the failed one applies on its redelivery');
    assert.equal(s.appliedSeq('b'), 8);
    assert.equal(s.appliedSeq('c'), 0);
    assert.equal(s.prune(10), 2);
  });

  it('messages round-trip; a foreign message is refused with the reason', () => {
    const env = { from: 'a', hlc: { wall: 1_800_000_000_000, counter: 3, node: 'a' }, body: { kind: 'ack' as const, incident: 'K7', by: 'alice', via: 'irc' } };
    assert.deepEqual(decodeEnvelope(encodeEnvelope(env)), env);
    assert.throws(() => decodeEnvelope('{"v":1,"from":"a","hlc":"x","body":{"kind":"nope"}}'), /not a Lifeline cluster message/);
  });
});
