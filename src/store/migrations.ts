/** One versioned schema change. Never edit a released migration; add a new one. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** All migrations, in order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'alerts, events, receipts, outbox, group state',
    sql: `
      -- Latest known state of each alert, by Alertmanager fingerprint.
      CREATE TABLE alerts (
        fingerprint   TEXT PRIMARY KEY,
        status        TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
        alertname     TEXT NOT NULL,
        labels        TEXT NOT NULL,
        annotations   TEXT NOT NULL,
        starts_at     TEXT NOT NULL,
        ends_at       TEXT NOT NULL,
        generator_url TEXT NOT NULL,
        first_seen_ms INTEGER NOT NULL,
        updated_ms    INTEGER NOT NULL
      );
      CREATE INDEX alerts_status ON alerts (status);

      -- Every webhook accepted (answered 200).
      CREATE TABLE receipts (
        id          INTEGER PRIMARY KEY,
        received_ms INTEGER NOT NULL,
        route       TEXT NOT NULL,
        group_key   TEXT NOT NULL,
        status      TEXT NOT NULL,
        alert_count INTEGER NOT NULL,
        truncated   INTEGER NOT NULL
      );

      -- State changes: a row each time an alert is first seen or changes status.
      CREATE TABLE alert_events (
        id          INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        status      TEXT NOT NULL,
        at_ms       INTEGER NOT NULL,
        receipt_id  INTEGER NOT NULL REFERENCES receipts (id)
      );
      CREATE INDEX alert_events_fp ON alert_events (fingerprint, at_ms);

      -- Messages waiting for, or already given to, a destination (irc:#chan, console).
      -- state: pending -> sent | failed (not retryable), or pending -> folded (summarised into a digest row).
      -- lines/lines_sent make delivery resumable line by line across restarts.
      CREATE TABLE outbox (
        id          INTEGER PRIMARY KEY,
        destination TEXT NOT NULL,
        kind        TEXT NOT NULL CHECK (kind IN ('group', 'summary', 'text')),
        group_key   TEXT,
        payload     TEXT NOT NULL,
        created_ms  INTEGER NOT NULL,
        state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'folded', 'failed')),
        lines       TEXT,
        lines_sent  INTEGER NOT NULL DEFAULT 0,
        done_ms     INTEGER,
        folded_into INTEGER
      );
      CREATE INDEX outbox_pending ON outbox (destination, state, id);

      -- What was last queued for each group at each destination, to hold back unchanged repeats.
      CREATE TABLE group_state (
        destination  TEXT NOT NULL,
        group_key    TEXT NOT NULL,
        signature    TEXT NOT NULL,
        queued_ms    INTEGER NOT NULL,
        PRIMARY KEY (destination, group_key)
      );
    `,
  },
];
