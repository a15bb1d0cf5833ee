/**
 * SQLite's primary result codes that are errors (sqlite.org/rescode.html). better-sqlite3 throws a
 * SqliteError whose `code` is the extended result code when there is one: the primary code's name,
 * an underscore and the detail (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED, SQLITE_BUSY_SNAPSHOT).
 */
export const SQLITE_ERROR_CODES = [
  'SQLITE_ERROR',
  'SQLITE_INTERNAL',
  'SQLITE_PERM',
  'SQLITE_ABORT',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_NOMEM',
  'SQLITE_READONLY',
  'SQLITE_INTERRUPT',
  'SQLITE_IOERR',
  'SQLITE_CORRUPT',
  'SQLITE_NOTFOUND',
  'SQLITE_FULL',
  'SQLITE_CANTOPEN',
  'SQLITE_PROTOCOL',
  'SQLITE_EMPTY',
  'SQLITE_SCHEMA',
  'SQLITE_TOOBIG',
  'SQLITE_CONSTRAINT',
  'SQLITE_MISMATCH',
  'SQLITE_MISUSE',
  'SQLITE_NOLFS',
  'SQLITE_AUTH',
  'SQLITE_FORMAT',
  'SQLITE_RANGE',
  'SQLITE_NOTADB',
] as const;

/** One of SQLite's primary error codes. */
export type SqliteErrorCode = (typeof SQLITE_ERROR_CODES)[number];

const PRIMARY: ReadonlySet<string> = new Set(SQLITE_ERROR_CODES);
const isPrimary = (code: string): code is SqliteErrorCode => PRIMARY.has(code);

/**
 * The primary SQLite result code of an error the store threw (SQLITE_IOERR for SQLITE_IOERR_FSYNC),
 * read from the error's `code`, never from its message; undefined for any error that is not
 * SQLite's (a socket's ECONNRESET, a notifier's NotifyError).
 */
export function sqliteErrorCode(err: unknown): SqliteErrorCode | undefined {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  if (typeof code !== 'string') return undefined;
  if (isPrimary(code)) return code;
  // An extended code: the primary code is the name up to the second underscore.
  const second = code.indexOf('_', 'SQLITE_'.length);
  const primary = second === -1 ? '' : code.slice(0, second);
  return isPrimary(primary) ? primary : undefined;
}

/**
 * True when `err` came from the state database (a full disk, a read-only or vanished file, I/O
 * errors, a lock): Lifeline's fault `store_write`, not the delivery worker's own.
 */
export function isStoreError(err: unknown): boolean {
  return sqliteErrorCode(err) !== undefined;
}
