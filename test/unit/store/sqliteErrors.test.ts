import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { NotifyError } from '../../../src/errors.js';
import { isStoreError, sqliteErrorCode } from '../../../src/store/sqliteErrors.js';

/** The error `fn` throws. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('expected a throw');
}

describe('SQLite error classification', () => {
  it('reads the primary code of errors SQLite really throws', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB)');
    db.prepare('INSERT INTO t VALUES (?, ?)').run('a', 'x');
    const unique = thrown(() => db.prepare('INSERT INTO t VALUES (?, ?)').run('a', 'y'));
    assert.equal((unique as { code: string }).code, 'SQLITE_CONSTRAINT_PRIMARYKEY', 'better-sqlite3 gives the extended code');
    assert.equal(sqliteErrorCode(unique), 'SQLITE_CONSTRAINT');
    // A full disk, as the page limit gives it.
    const pages = Number(db.pragma('page_count', { simple: true }));
    db.pragma(`max_page_count = ${pages}`);
    const full = thrown(() => db.prepare('INSERT INTO t VALUES (?, ?)').run('b', Buffer.alloc(64 * 1024)));
    assert.equal(sqliteErrorCode(full), 'SQLITE_FULL');
    assert.equal(isStoreError(full), true);
    db.close();
  });

  it('reads SQLITE_READONLY from a database opened read-only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-sqlite-'));
    try {
      const path = join(dir, 'ro.db');
      new Database(path).exec('CREATE TABLE t (v)').close();
      const ro = new Database(path, { readonly: true });
      assert.equal(sqliteErrorCode(thrown(() => ro.exec('INSERT INTO t VALUES (1)'))), 'SQLITE_READONLY');
      ro.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('maps extended codes to their primary code (SQLITE_IOERR_*)', () => {
    assert.equal(sqliteErrorCode(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_FSYNC' })), 'SQLITE_IOERR');
    assert.equal(sqliteErrorCode(Object.assign(new Error('x'), { code: 'SQLITE_BUSY_SNAPSHOT' })), 'SQLITE_BUSY');
  });

  it('goes by the code, never the message: other errors are not the store', () => {
    assert.equal(isStoreError(new Error('SQLITE_FULL: database or disk is full')), false);
    assert.equal(isStoreError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), false);
    assert.equal(isStoreError(Object.assign(new Error('x'), { code: 'SQLITE_NOSUCHCODE' })), false);
    assert.equal(isStoreError(new NotifyError('smtp 421', { retryable: true })), false);
    assert.equal(isStoreError(undefined), false);
    assert.equal(isStoreError('SQLITE_FULL'), false);
  });
});
