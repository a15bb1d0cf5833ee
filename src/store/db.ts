import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCodes, LifelineError, describeError } from '../errors.js';
import { MIGRATIONS } from './migrations.js';

/** The embedded database handle used by every store module. */
export type Db = Database.Database;

/**
 * Opens (creating if needed) the SQLite database and applies pending migrations.
 *
 * Durability: WAL journal with synchronous=FULL, so a transaction that returned has been fsynced to
 * the WAL file; SIGKILL or power loss after that cannot lose it. This is what lets the webhook
 * answer 200 only after the alerts are stored.
 */
export function openDb(path: string): Db {
  let db: Db;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
  } catch (err) {
    throw new LifelineError(
      ErrorCodes.STORE_OPEN,
      `cannot open the state database at ${path} (${describeError(err)}); check store.path and that the folder is writable`,
      { cause: err },
    );
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
  } catch (err) {
    db.close();
    if (err instanceof LifelineError) throw err;
    const code = (err as { code?: string }).code ?? '';
    const fix = /READONLY|PERM|CANTOPEN|AUTH/.test(code)
      ? 'Lifeline must be able to write it and its folder (the -wal and -shm files live next to it): fix the owner or mode, or mount the volume read-write'
      : /FULL|IOERR/.test(code)
        ? 'free space on that volume or move store.path'
        : /CORRUPT|NOTADB/.test(code)
          ? 'the file is not a healthy Lifeline database: restore a backup or move it aside'
          : 'check store.path';
    throw new LifelineError(ErrorCodes.STORE_OPEN, `cannot use the state database at ${path} (${describeError(err)}); ${fix}`, { cause: err });
  }
  return db;
}

/** Applies every migration newer than the database's recorded version, each in its own transaction. */
export function migrate(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT NULL)');
  const current = (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number }).v;
  const latest = MIGRATIONS.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new LifelineError(
      ErrorCodes.STORE_OPEN,
      `the state database has schema version ${current}, newer than this Lifeline knows (${latest}); run a newer Lifeline or restore a backup`,
    );
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      m.convert?.(db);
      if (m.sqlAfter) db.exec(m.sqlAfter);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    })();
  }
}

/** Whether the database answers a query now (for /readyz). */
export function storeReadable(db: Db): boolean {
  try {
    db.prepare('SELECT 1').get();
    return true;
  } catch {
    return false;
  }
}
