import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { migrate } from '../../../src/store/db.js';
import { EpisodeAckStore } from '../../../src/store/episodeAcks.js';
import { MIGRATIONS } from '../../../src/store/migrations.js';
import { silenceKey } from '../../../src/store/silenceKey.js';
import { SilenceStore } from '../../../src/store/silences.js';

/** A database as version 17 left it. */
function v17(): Database.Database {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT NULL)');
  for (const m of MIGRATIONS.filter((x) => x.version <= 17)) {
    db.exec(m.sql);
    m.convert?.(db);
    if (m.sqlAfter) db.exec(m.sqlAfter);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, 0)').run(m.version, m.name);
  }
  return db;
}

describe('migration 18: episode actions, silence keys, peers\' maintenance windows', () => {
  it("keeps the acks of episodes (they still hold) and gives the silences already stored their key, so a peer's copy is found by it", () => {
    const db = v17();
    db.prepare("INSERT INTO episode_acks (episode, by, instance, hlc, at_ms) VALUES ('am:x@t', 'alice', 'a', '000001764000000000.000000.a', 5)").run();
    const matchers = [{ name: 'alertname', op: '=~', value: 'Host.*' }];
    db.prepare('INSERT INTO silences (matchers, created_by, created_ms, expires_ms) VALUES (?, ?, ?, ?)').run(JSON.stringify(matchers), 'bob', 1_000, 9_000);
    // Stored by a version before 11: matchers as an object.
    db.prepare('INSERT INTO silences (matchers, created_by, created_ms, expires_ms) VALUES (?, ?, ?, ?)').run(JSON.stringify({ team: 'db' }), 'carol', 2_000, 9_000);
    migrate(db);
    assert.deepEqual(new EpisodeAckStore(db).get('am:x@t'), { episode: 'am:x@t', by: 'alice', instance: 'a', hlc: '000001764000000000.000000.a' });
    const silences = new SilenceStore(db);
    assert.equal(silences.byKey(silenceKey({ createdMs: 1_000, createdBy: 'bob', matchers: [{ name: 'alertname', op: '=~', value: 'Host.*' }] }))?.createdBy, 'bob');
    assert.equal(silences.byKey(silenceKey({ createdMs: 2_000, createdBy: 'carol', matchers: [{ name: 'team', op: '=', value: 'db' }] }))?.createdBy, 'carol');
    assert.equal(silences.addShared({ id: 'x', matchers: [{ name: 'team', op: '=', value: 'db' }], createdBy: 'carol', createdMs: 2_000, expiresMs: 9_000 }, 0).added, false, 'a peer\'s copy of it is the same row');
  });
});
