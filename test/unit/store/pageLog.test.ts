import assert from 'node:assert/strict';
import { openDb } from '../../../src/store/db.js';
import { IncidentStore } from '../../../src/store/incidents.js';
import { Outbox } from '../../../src/store/outbox.js';

describe('page log: what became of each page (status page)', () => {
  const t = Date.UTC(2026, 10, 23, 3, 0);
  function setup(): { db: ReturnType<typeof openDb>; store: IncidentStore; outbox: Outbox; id: number } {
    const db = openDb(':memory:');
    const store = new IncidentStore(db);
    const outbox = new Outbox(db, 1000);
    const inc = store.open({ kind: 'alert', fingerprint: 'fp', title: 'DiskFull', severity: 'critical', labels: {}, policy: 'p', nowMs: t, firstDueMs: null });
    assert.ok(inc);
    return { db, store, outbox, id: inc.id };
  }
  const page = (store: IncidentStore, id: number, step: string, channel: 'sms' | 'email', notBeforeMs = t): void =>
    void store.addPage({ incidentId: id, reason: { kind: 'step', index: Number(step) }, channel, person: 'alice', nowMs: t, notBeforeMs, text: 'x' });
  const pageId = (db: ReturnType<typeof openDb>, step: string, channel: string): number => (db.prepare("SELECT id FROM pages WHERE reason = 'step' AND step_index = ? AND channel = ?").get(Number(step), channel) as { id: number }).id;

  it('waiting (not bundled yet, with its not-before time), queued, sent, failed with the error and attempts', () => {
    const { db, store, outbox, id } = setup();
    page(store, id, '0', 'sms');
    page(store, id, '0', 'email');
    page(store, id, '1', 'sms', t + 60_000);
    page(store, id, '2', 'sms');
    const sent = outbox.enqueue('sms:+4915112345678', { kind: 'page', subject: 's', body: ['b'] }, t);
    store.markPagesSent([pageId(db, '0', 'sms')], sent);
    outbox.markSent(sent, t + 900);
    const failed = outbox.enqueue('email:alice@example.org', { kind: 'page', subject: 's', body: ['b'] }, t);
    store.markPagesSent([pageId(db, '0', 'email')], failed);
    outbox.recordFailure(failed, '535 authentication failed');
    outbox.markFailed(failed, t + 2000);
    const queued = outbox.enqueue('sms:+4915112345678', { kind: 'page', subject: 's', body: ['b'] }, t);
    store.markPagesSent([pageId(db, '2', 'sms')], queued);
    outbox.recordFailure(queued, 'ETIMEDOUT');

    const log = store.pageLog(10);
    const by = (step: string, channel: string) => log.find((p) => p.step === step && p.channel === channel);
    assert.deepEqual(
      { state: by('0', 'sms')?.state, doneMs: by('0', 'sms')?.doneMs, code: by('0', 'sms')?.incidentCode },
      { state: 'sent', doneMs: t + 900, code: store.get(id)?.ackCode },
    );
    assert.deepEqual({ state: by('0', 'email')?.state, attempts: by('0', 'email')?.attempts, error: by('0', 'email')?.error }, { state: 'failed', attempts: 1, error: '535 authentication failed' });
    assert.deepEqual({ state: by('1', 'sms')?.state, notBeforeMs: by('1', 'sms')?.notBeforeMs }, { state: 'waiting', notBeforeMs: t + 60_000 });
    assert.deepEqual({ state: by('2', 'sms')?.state, error: by('2', 'sms')?.error }, { state: 'queued', error: 'ETIMEDOUT' });
    // Newest first; a limit and an incident filter.
    assert.deepEqual(log.map((p) => p.step), ['2', '1', '0', '0']);
    assert.equal(store.pageLog(2).length, 2);
    assert.equal(store.pageLog(10, []).length, 0);
    assert.equal(store.pageLog(10, [id]).length, 4);
  });

  it('a page folded into a summary follows the summary; a delivery record removed by retention is unknown, not "sent"', () => {
    const { db, store, outbox, id } = setup();
    page(store, id, '0', 'sms');
    page(store, id, '1', 'sms');
    const a = outbox.enqueue('sms:+1', { kind: 'page', subject: 's', body: ['b'] }, t);
    store.markPagesSent([pageId(db, '0', 'sms')], a);
    const summary = outbox.foldEntries('sms:+1', outbox.pending('sms:+1'), t);
    assert.equal(store.pageLog(10).find((p) => p.step === '0')?.state, 'queued');
    outbox.markSent(summary.id, t + 5);
    assert.equal(store.pageLog(10).find((p) => p.step === '0')?.state, 'sent');
    const b = outbox.enqueue('sms:+1', { kind: 'page', subject: 's', body: ['b'] }, t);
    store.markPagesSent([pageId(db, '1', 'sms')], b);
    db.prepare('DELETE FROM outbox WHERE id = ?').run(b);
    assert.equal(store.pageLog(10).find((p) => p.step === '1')?.state, 'unknown');
  });

  it('counts open and acknowledged incidents', () => {
    const { store, id } = setup();
    const other = store.open({ kind: 'alert', fingerprint: 'fp2', title: 'B', severity: 'warning', labels: {}, policy: 'p', nowMs: t, firstDueMs: null });
    assert.ok(other);
    store.ack(id, 'alice', t, null);
    assert.deepEqual(store.countUnresolved(), { open: 1, acked: 1 });
    store.resolve(other.id, t);
    assert.deepEqual(store.countUnresolved(), { open: 0, acked: 1 });
  });
});
