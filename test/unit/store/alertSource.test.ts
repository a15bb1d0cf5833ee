import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Alert, AlertBatch } from '../../../src/alerts/alert.js';
import { AlertStore } from '../../../src/store/alerts.js';
import { openDb } from '../../../src/store/db.js';
import { HistoryStore } from '../../../src/store/history.js';
import { MIGRATIONS } from '../../../src/store/migrations.js';

const T = Date.UTC(2026, 11, 4, 12);

function alert(fingerprint: string, status: 'firing' | 'resolved', labels: Record<string, string>, probe?: Alert['probe']): Alert {
  return { fingerprint, status, labels, annotations: {}, startsAt: '', endsAt: '', generatorURL: '', ...(probe ? { probe } : {}) };
}

function batch(source: AlertBatch['source'], a: Alert): AlertBatch {
  return { source, groupKey: a.fingerprint, status: a.status, commonLabels: a.labels, truncatedAlerts: 0, alerts: [a] };
}

describe('alert source and probe as columns (migration 14)', () => {
  it('converts the rows stored before: probe alerts by their old fingerprints, warnings apart, redundancy groups as probe alerts with no probe', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lifeline-db-')), 'old.db');
    const raw = new Database(file);
    raw.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT NULL)');
    for (const m of MIGRATIONS.filter((x) => x.version < 14)) {
      raw.exec(m.sql);
      raw.prepare('INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, 0)').run(m.version, m.name);
    }
    const put = raw.prepare("INSERT INTO alerts (fingerprint, status, alertname, labels, annotations, starts_at, ends_at, generator_url, first_seen_ms, updated_ms) VALUES (?, 'firing', ?, ?, '{}', '', '', '', ?, ?)");
    const rows: Array<[string, string, Record<string, string>]> = [
      ['probe:wiki', 'ProbeDown', { alertname: 'ProbeDown', probe: 'wiki' }],
      ['probe:wiki:warning', 'ProbeWarning', { alertname: 'ProbeWarning', probe: 'wiki' }],
      ['probe:~203.0.113.7:443', 'ProbeDown', { alertname: 'ProbeDown', probe: '~203.0.113.7:443' }],
      ['redundancy:vpn', 'VpnRedundancy', { alertname: 'VpnRedundancy', redundancy_group: 'vpn' }],
      ['0a1b2c3d4e5f6a7b', 'HostDown', { alertname: 'HostDown', probe: 'blackbox' }],
    ];
    raw.prepare("INSERT INTO receipts (id, received_ms, route, group_key, status, alert_count, truncated) VALUES (1, ?, 'default', 'g', 'firing', 1, 0)").run(T);
    for (const [fp, name, labels] of rows) {
      put.run(fp, name, JSON.stringify(labels), T, T);
      raw.prepare("INSERT INTO alert_events (fingerprint, status, at_ms, receipt_id) VALUES (?, 'firing', ?, 1)").run(fp, T);
    }
    raw.close();
    const db = openDb(file);
    const cols = db.prepare('SELECT fingerprint, source, probe, warning FROM alerts ORDER BY fingerprint').all();
    assert.deepEqual(cols, [
      { fingerprint: '0a1b2c3d4e5f6a7b', source: 'alertmanager', probe: null, warning: 0 },
      { fingerprint: 'probe:wiki', source: 'probe', probe: 'wiki', warning: 0 },
      { fingerprint: 'probe:wiki:warning', source: 'probe', probe: 'wiki', warning: 1 },
      { fingerprint: 'probe:~203.0.113.7:443', source: 'probe', probe: '~203.0.113.7:443', warning: 0 },
      { fingerprint: 'redundancy:vpn', source: 'probe', probe: null, warning: 0 },
    ]);
    const alerts = new AlertStore(db);
    assert.deepEqual(alerts.probesDownSince(T - 1), ['wiki', '~203.0.113.7:443']);
    assert.deepEqual(new HistoryStore(db).probeEvents(T - 1, 10).map((e) => e.probe).sort(), ['wiki', '~203.0.113.7:443']);
    // Evaluated again (a silence ended), each alert keeps its source, the receipt's or not.
    assert.deepEqual(
      alerts.firingAlerts().map((f) => [f.alert.fingerprint, f.source, f.alert.probe?.name ?? null, f.alert.probe?.warning ?? null]),
      [
        ['probe:wiki', 'probe', 'wiki', false],
        ['probe:wiki:warning', 'probe', 'wiki', true],
        ['probe:~203.0.113.7:443', 'probe', '~203.0.113.7:443', false],
        ['redundancy:vpn', 'probe', null, null],
        ['0a1b2c3d4e5f6a7b', 'alertmanager', null, null],
      ],
    );
    db.close();
  });

  it('reads a probe from its columns, not its fingerprint: an Alertmanager alert whose fingerprint looks like a probe\'s is no probe', () => {
    const db = openDb(':memory:');
    const alerts = new AlertStore(db);
    alerts.record('default', batch('alertmanager', alert('probe:lookalike', 'firing', { alertname: 'X' })), T);
    alerts.record('probes', batch('probe', alert('probe:web', 'firing', { alertname: 'ProbeDown', probe: 'web' }, { name: 'web', warning: false })), T);
    alerts.record('probes', batch('probe', alert('probe:web:warning', 'firing', { alertname: 'ProbeWarning', probe: 'web' }, { name: 'web', warning: true })), T);
    assert.deepEqual(alerts.probesDownSince(T - 1), ['web']);
    assert.deepEqual(new HistoryStore(db).probeEvents(T - 1, 10), [{ probe: 'web', status: 'firing', atMs: T }]);
    // Storing it again without its identity (an update) keeps the identity it was first stored with.
    alerts.record('probes', batch('probe', alert('probe:web', 'resolved', { alertname: 'ProbeDown', probe: 'web' })), T + 1);
    assert.deepEqual(new HistoryStore(db).probeEvents(T - 1, 10).map((e) => [e.probe, e.status]), [['web', 'firing'], ['web', 'resolved']]);
    db.close();
  });
});

describe('how an alert\'s incident gets its cluster episode, kept with the alert (migration 21)', () => {
  it('reads back a shared start and an agreed episode, and follows each notification (joined from all regions, then from one)', () => {
    const db = openDb(':memory:');
    const alerts = new AlertStore(db);
    const down = alert('probe:web', 'firing', { alertname: 'ProbeDown', probe: 'web' }, { name: 'web', warning: false });
    alerts.record('probes', batch('probe', { ...down, sharedStart: true }), T);
    alerts.record('probes', batch('probe', { ...alert('redundancy:vpn', 'firing', { alertname: 'VpnRedundancy' }), agreedEpisode: true }), T);
    alerts.record('default', batch('alertmanager', alert('0a1b', 'firing', { alertname: 'HostDown' })), T);
    const flags = (): Array<[string, boolean, boolean]> => alerts.firingAlerts().map((f) => [f.alert.fingerprint, f.alert.sharedStart === true, f.alert.agreedEpisode === true]);
    assert.deepEqual(flags().sort(), [
      ['0a1b', false, false],
      ['probe:web', true, false],
      ['redundancy:vpn', false, true],
    ]);
    // The same probe now alerting on this region's verdict alone: no shared start any more.
    alerts.record('probes', batch('probe', down), T + 1);
    assert.deepEqual(flags().find(([fp]) => fp === 'probe:web'), ['probe:web', false, false]);
    db.close();
  });
});
