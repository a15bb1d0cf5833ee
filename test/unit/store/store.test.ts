import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LifelineError } from '../../../src/errors.js';
import { RepeatFilter } from '../../../src/store/repeat.js';
import { groupMessageOf } from '../../../src/alerts/messages.js';
import type { AlertBatch } from '../../../src/alerts/alert.js';
import { batchOf, parseWebhookPayload } from '../../../src/sources/alertmanager.js';
import { AlertStore } from '../../../src/store/alerts.js';
import { openDb } from '../../../src/store/db.js';
import { MIGRATIONS } from '../../../src/store/migrations.js';
import { Outbox } from '../../../src/store/outbox.js';

function notification(status: 'firing' | 'resolved', fps: string[]): AlertBatch {
  const r = parseWebhookPayload({
    version: '4',
    groupKey: 'g1',
    status,
    alerts: fps.map((fp) => ({ status, labels: { alertname: 'HostDown', instance: fp }, fingerprint: fp })),
  });
  assert.ok(r.ok);
  return batchOf(r.value);
}

describe('store', () => {
  it('records migrations and refuses a database from a newer Lifeline', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lifeline-db-')), 'x.db');
    openDb(file).close();
    const raw = new Database(file);
    assert.equal((raw.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number }).v, MIGRATIONS.at(-1)?.version);
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    raw.prepare('INSERT INTO schema_migrations (version, name, applied_ms) VALUES (999, ?, 0)').run('future');
    raw.close();
    assert.throws(() => openDb(file), (e: unknown) => e instanceof LifelineError && /newer than this Lifeline knows/.test(e.message));
  });

  it('records state changes only when an alert changes', () => {
    const db = openDb(':memory:');
    const store = new AlertStore(db);
    assert.deepEqual(store.record('default', notification('firing', ['a', 'b']), 1).changes.map((c) => `${c.fingerprint}:${c.from}->${c.to}`), ['a:new->firing', 'b:new->firing']);
    assert.deepEqual(store.record('default', notification('firing', ['a', 'b']), 2).changes, []);
    assert.deepEqual(store.record('default', notification('resolved', ['a']), 3).changes.map((c) => `${c.fingerprint}:${c.from}->${c.to}`), ['a:firing->resolved']);
    assert.deepEqual(store.countByStatus(), { firing: 1, resolved: 1 });
    assert.deepEqual(store.countByStatus(['HostDown']), { firing: 0, resolved: 0 }, 'leaves out alerts by name (the Watchdog)');
    assert.deepEqual(store.countByStatus(['Watchdog']), { firing: 1, resolved: 1 });
    assert.equal(store.receipts(), 3);
  });

  it('repeat filter holds back an unchanged group until the reminder interval', () => {
    const db = openDb(':memory:');
    const f = new RepeatFilter(db, 60_000);
    const g = groupMessageOf(notification('firing', ['a', 'b']));
    assert.ok(f.admit('irc:#a', g, 0));
    assert.ok(!f.admit('irc:#a', g, 59_999), 'unchanged repeat held back');
    assert.ok(f.admit('irc:#b', g, 1), 'another destination is separate');
    assert.ok(f.admit('irc:#a', groupMessageOf(notification('firing', ['a', 'b', 'c'])), 30_000), 'a change goes through');
    const again = groupMessageOf(notification('firing', ['a', 'b', 'c']));
    assert.ok(!f.admit('irc:#a', again, 60_000));
    assert.ok(f.admit('irc:#a', again, 90_000), 'reminder after the interval');
  });

  it('outbox folds the oldest pending entries when over its bound', () => {
    const db = openDb(':memory:');
    const o = new Outbox(db, 10);
    for (let i = 0; i < 11; i++) o.enqueue('irc:#a', groupMessageOf(notification('firing', [`f${i}`])), i);
    const pending = o.pending('irc:#a');
    assert.ok(pending.length <= 10, `${pending.length} pending`);
    const summary = pending.find((e) => e.message.kind === 'summary');
    assert.ok(summary && summary.message.kind === 'summary');
    assert.equal(summary.message.messages, 6);
    assert.equal(summary.createdMs, 0);
    const total = pending.reduce((n, e) => n + (e.message.kind === 'summary' ? Object.keys(e.message.alerts).length : 1), 0);
    assert.equal(total, 11, 'no alert lost in folding');
  });

  it('outbox never folds pages, even over its bound', () => {
    const o = new Outbox(openDb(':memory:'), 10);
    for (let i = 0; i < 15; i++) o.enqueue('email:a@example.org', { kind: 'page', subject: `p${i}`, body: [] }, i);
    const pending = o.pending('email:a@example.org');
    assert.equal(pending.length, 15);
    assert.ok(pending.every((e) => e.message.kind === 'page'));
  });
});
