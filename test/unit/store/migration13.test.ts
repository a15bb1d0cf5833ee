import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { migrate } from '../../../src/store/db.js';
import { IncidentStore } from '../../../src/store/incidents.js';
import { MIGRATIONS } from '../../../src/store/migrations.js';

/** A database as version 12 left it. */
function v12(): Database.Database {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT NULL)');
  for (const m of MIGRATIONS.filter((x) => x.version <= 12)) {
    db.exec(m.sql);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, 0)').run(m.version, m.name);
  }
  return db;
}

describe('migration 13: page steps into typed reason columns', () => {
  it('converts every step text of old rows, keeps the rest of each row, and keeps a page once per reason', () => {
    const db = v12();
    const inc = db.prepare("INSERT INTO incidents (kind, fingerprint, title, severity, labels, policy, state, ack_code, opened_ms, next_step, steps_base_ms) VALUES ('alert', ?, 'T', 'critical', '{}', ?, 'open', ?, 0, 1, ?)");
    const moved = Number(inc.run('f1', 'crit', 'AAAA', 5).lastInsertRowid);
    const stayed = Number(inc.run('f2', 'default', 'BBBB', null).lastInsertRowid);
    const page = db.prepare("INSERT INTO pages (incident_id, step, channel, person, created_ms, not_before_ms, text, outbox_id) VALUES (?, ?, 'sms', 'alice', 7, 8, 'txt', ?)");
    const old = ['0', '0:crit', '1:undelivered', 'oob:fallback', 'resolved', '2:crit:fallback:fallback'];
    for (const [k, s] of old.entries()) page.run(moved, s, k);
    page.run(stayed, '0:critical', null);
    page.run(stayed, 'path', null);
    migrate(db);
    const store = new IncidentStore(db);
    const log = store.pageLog(100);
    assert.deepEqual(
      log.filter((p) => p.incidentId === moved).map((p) => p.reason).reverse(),
      [
        { kind: 'step', index: 0 },
        { kind: 'switched', index: 0, policy: 'crit' },
        { kind: 'undelivered', of: { kind: 'step', index: 1 } },
        { kind: 'fallback', of: { kind: 'outOfBand' } },
        { kind: 'resolved' },
        { kind: 'fallback', of: { kind: 'fallback', of: { kind: 'switched', index: 2, policy: 'crit' } } },
      ],
    );
    assert.deepEqual(log.filter((p) => p.incidentId === moved).map((p) => p.step).reverse(), old, 'the status API reads as before');
    assert.deepEqual(log.filter((p) => p.incidentId === stayed).map((p) => p.reason).reverse(), [{ kind: 'raised', index: 0, severity: 'critical' }, { kind: 'path' }]);
    const row = store.pagesOfMessage(3)[0];
    assert.deepEqual(row && { ...row, id: 0 }, { id: 0, incidentId: moved, reason: { kind: 'fallback', of: { kind: 'outOfBand' } }, channel: 'sms', person: 'alice', createdMs: 7, notBeforeMs: 8, text: 'txt', outboxId: 3 });
    // The unique rule holds on the typed columns: the same reason to the same person on the same channel is one page.
    assert.equal(store.addPage({ incidentId: moved, reason: { kind: 'undelivered', of: { kind: 'step', index: 1 } }, channel: 'sms', person: 'alice', nowMs: 9, notBeforeMs: 9, text: 'x' }), false);
    assert.equal(store.addPage({ incidentId: moved, reason: { kind: 'undelivered', of: { kind: 'step', index: 1 } }, channel: 'email', person: 'alice', nowMs: 9, notBeforeMs: 9, text: 'x' }), true);
    assert.equal(store.addPage({ incidentId: stayed, reason: { kind: 'path' }, channel: 'sms', person: 'alice', nowMs: 9, notBeforeMs: 9, text: 'x' }), false);
    assert.ok(store.pagedOn(moved, { kind: 'step', index: 2 }, 'sms', 'alice'), 'a fallback of step 2 counts as paged about step 2');
    assert.ok(!store.pagedOn(moved, { kind: 'step', index: 3 }, 'sms', 'alice'));
    assert.equal(db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM pages').get()?.n, 9, 'eight converted, one added');
  });
});
