import type Database from 'better-sqlite3';
import { matcherList, type Matcher } from '../policy/matchers.js';
import { convertPageSteps } from './pageReasons.js';
import { silenceKey } from './silenceKey.js';

/** One versioned schema change. Never edit a released migration; add a new one. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Rows SQL cannot convert alone, converted in TypeScript after `sql` (same transaction). */
  convert?(db: Database.Database): void;
  /** SQL run after `convert`. */
  sqlAfter?: string;
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
        kind        TEXT NOT NULL CHECK (kind IN ('group', 'summary', 'text', 'page')),
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
  {
    version: 2,
    name: 'incidents, pages, silences',
    sql: `
      -- One incident per alert firing episode (or per monitoring-path outage): the unit that is
      -- escalated, acknowledged and resolved. ack_code is what people type: !ack 7KQ2.
      CREATE TABLE incidents (
        id          INTEGER PRIMARY KEY,
        kind        TEXT NOT NULL CHECK (kind IN ('alert', 'path')),
        fingerprint TEXT,
        title       TEXT NOT NULL,
        severity    TEXT NOT NULL,
        labels      TEXT NOT NULL,
        policy      TEXT NOT NULL,
        state       TEXT NOT NULL CHECK (state IN ('open', 'acked', 'resolved')),
        ack_code    TEXT NOT NULL UNIQUE,
        opened_ms   INTEGER NOT NULL,
        acked_ms    INTEGER,
        acked_by    TEXT,
        resolved_ms INTEGER,
        next_step   INTEGER NOT NULL DEFAULT 0,
        next_due_ms INTEGER
      );
      CREATE INDEX incidents_due ON incidents (state, next_due_ms);
      CREATE UNIQUE INDEX incidents_live_fp ON incidents (kind, COALESCE(fingerprint, '')) WHERE state != 'resolved';

      -- Every page decided by escalation, unique per (incident, step, channel, person): a restart
      -- never pages the same step twice, and never skips one (undone steps stay due).
      -- outbox_id is set when the page is bundled into an outbox message for that person.
      CREATE TABLE pages (
        id            INTEGER PRIMARY KEY,
        incident_id   INTEGER NOT NULL REFERENCES incidents (id),
        step          TEXT NOT NULL,
        channel       TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
        person        TEXT NOT NULL,
        created_ms    INTEGER NOT NULL,
        not_before_ms INTEGER NOT NULL,
        text          TEXT NOT NULL,
        outbox_id     INTEGER,
        UNIQUE (incident_id, step, channel, person)
      );
      CREATE INDEX pages_unsent ON pages (channel, person, outbox_id);

      -- Silences set from IRC: label matchers with an expiry.
      CREATE TABLE silences (
        id         INTEGER PRIMARY KEY,
        matchers   TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'delivery result on the outbox',
    sql: `
      -- The outbox doubles as the delivery log: what (payload), to whom (destination), when
      -- (created_ms, done_ms) and the result (state, and the last error of a failed attempt).
      ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE outbox ADD COLUMN last_error TEXT;
    `,
  },
  {
    version: 4,
    name: 'indexes for retention',
    sql: `
      -- store.retention deletes history in small batches; these keep each batch an index range.
      CREATE INDEX outbox_done ON outbox (state, done_ms);
      CREATE INDEX incidents_resolved ON incidents (state, resolved_ms);
      CREATE INDEX alerts_resolved ON alerts (status, updated_ms);
      CREATE INDEX alert_events_at ON alert_events (at_ms);
      CREATE INDEX receipts_at ON receipts (received_ms);
      CREATE INDEX pages_incident ON pages (incident_id);
      CREATE INDEX silences_expiry ON silences (expires_ms);
    `,
  },
  {
    version: 5,
    name: 'probe state',
    sql: `
      -- Each probe's damped state, so a restart neither re-pages nor forgets a "down".
      -- status: unknown | up | down; behind: the dependency whose failure explains this one.
      CREATE TABLE probe_state (
        name        TEXT PRIMARY KEY,
        status      TEXT NOT NULL CHECK (status IN ('unknown', 'up', 'down')),
        failures    INTEGER NOT NULL DEFAULT 0,
        successes   INTEGER NOT NULL DEFAULT 0,
        since_ms    INTEGER NOT NULL,
        behind      TEXT,
        warning     TEXT,
        last_result TEXT,
        last_ms     INTEGER
      );
    `,
  },
  {
    version: 6,
    name: 'heartbeats',
    sql: `
      -- Dead man's switches: when each heartbeat (a Watchdog alert, or a ping) last arrived.
      CREATE TABLE heartbeats (
        name    TEXT PRIMARY KEY,
        last_ms INTEGER NOT NULL
      );
    `,
  },
  {
    version: 7,
    name: 'heartbeat failures',
    sql: `
      -- A sender's own "/fail" ping (healthchecks.io style): when, and the reason it gave.
      ALTER TABLE heartbeats ADD COLUMN failed_ms INTEGER;
      ALTER TABLE heartbeats ADD COLUMN fail_reason TEXT;
    `,
  },
  {
    version: 8,
    name: 'voice calls',
    sql: `
      -- Pages may go by voice: SQLite cannot change a CHECK, so the table is rebuilt as it was.
      CREATE TABLE pages_v8 (
        id            INTEGER PRIMARY KEY,
        incident_id   INTEGER NOT NULL REFERENCES incidents (id),
        step          TEXT NOT NULL,
        channel       TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'voice')),
        person        TEXT NOT NULL,
        created_ms    INTEGER NOT NULL,
        not_before_ms INTEGER NOT NULL,
        text          TEXT NOT NULL,
        outbox_id     INTEGER,
        UNIQUE (incident_id, step, channel, person)
      );
      INSERT INTO pages_v8 SELECT id, incident_id, step, channel, person, created_ms, not_before_ms, text, outbox_id FROM pages;
      DROP TABLE pages;
      ALTER TABLE pages_v8 RENAME TO pages;
      CREATE INDEX pages_unsent ON pages (channel, person, outbox_id);
      CREATE INDEX pages_incident ON pages (incident_id);

      -- One row per call Lifeline placed (one outbox message on a voice: destination): Twilio's
      -- CallSid, what Twilio last reported, the key pressed, and when it ended. A call that ended
      -- without key 1 has failed to reach the person: escalation moves on at once.
      CREATE TABLE calls (
        outbox_id  INTEGER PRIMARY KEY,
        call_sid   TEXT UNIQUE,
        person     TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        status     TEXT NOT NULL DEFAULT 'queued',
        digits     TEXT,
        outcome    TEXT CHECK (outcome IN ('acknowledged', 'declined', 'unanswered')),
        ended_ms   INTEGER
      );
    `,
  },
  {
    version: 9,
    name: 'sms delivery receipts',
    sql: `
      -- Every SMS sent with a StatusCallback: Twilio's MessageSid, the outbox message (its pages),
      -- the last status Twilio reported (queued, sent, delivered, undelivered, failed) with its
      -- ErrorCode, and whether it is settled: delivered, or moved to another channel (failed,
      -- undelivered, or no "delivered" within sms.delivery_timeout).
      CREATE TABLE sms_messages (
        message_sid TEXT PRIMARY KEY,
        outbox_id   INTEGER NOT NULL,
        person      TEXT NOT NULL,
        sent_ms     INTEGER NOT NULL,
        status      TEXT NOT NULL DEFAULT 'queued',
        error_code  TEXT,
        updated_ms  INTEGER NOT NULL,
        settled     TEXT CHECK (settled IN ('delivered', 'rerouted'))
      );
      CREATE INDEX sms_messages_unsettled ON sms_messages (settled, sent_ms);
      CREATE INDEX sms_messages_outbox ON sms_messages (outbox_id);
    `,
  },
  {
    version: 10,
    name: 'wireguard handshake timestamps',
    sql: `
      -- The last TAI64N timestamp (ns, as text) sent with each WireGuard probe key: the server drops
      -- an initiation that is not newer, so after a restart or a clock step back the next one
      -- continues from here.
      CREATE TABLE wg_timestamps (
        public_key TEXT PRIMARY KEY,
        last_ns    TEXT NOT NULL
      );
    `,
  },
  {
    version: 11,
    name: 'silences hold incidents; incidents know their group and when their steps count from',
    sql: `
      -- A silence or maintenance window that matches an open incident's alert holds the incident:
      -- no step runs and no page goes while held_since_ms is set. held_ms adds up the time held,
      -- so when it is released the remaining steps keep their spacing (a step due 5 min after
      -- opening is due 5 min after opening plus the time held).
      ALTER TABLE incidents ADD COLUMN held_since_ms INTEGER;
      ALTER TABLE incidents ADD COLUMN held_ms INTEGER NOT NULL DEFAULT 0;
      -- When the incident's policy steps count from (NULL: its opening). Set when a severity change
      -- moves the incident to another policy: that policy's steps run from then.
      ALTER TABLE incidents ADD COLUMN steps_base_ms INTEGER;
      -- The group notification (Alertmanager's groupKey, a probe's name) that opened the incident:
      -- "!ack CODE+" acknowledges every open incident of that group.
      ALTER TABLE incidents ADD COLUMN group_key TEXT;
      CREATE INDEX incidents_group ON incidents (group_key) WHERE group_key IS NOT NULL;
      -- Who ended a silence early (NULL: it ran out), and whether what it held was released: the
      -- alerts that still fire and matched it evaluated as new, the incidents it held resumed.
      ALTER TABLE silences ADD COLUMN ended_by TEXT;
      ALTER TABLE silences ADD COLUMN released INTEGER NOT NULL DEFAULT 0;
      -- Where a notification came from (AlertSource), so alerts evaluated again carry it.
      ALTER TABLE receipts ADD COLUMN source TEXT NOT NULL DEFAULT 'alertmanager';
    `,
  },
  {
    version: 12,
    name: 'voice key presses handled, people SMS fails for',
    sql: `
      -- Each key press Lifeline acted on, by Twilio's CallSid and the <Gather> it answered. Twilio's
      -- signature has no timestamp or nonce, so a captured, correctly signed "Digits=2" can be
      -- posted again at will: only the first press of a call's gather acts, every replay is told
      -- "already handled" and changes nothing, across restarts.
      CREATE TABLE voice_keys (
        call_sid   TEXT NOT NULL,
        gather     TEXT NOT NULL,
        digits     TEXT NOT NULL,
        handled_ms INTEGER NOT NULL,
        PRIMARY KEY (call_sid, gather)
      );

      -- People whose last SMS did not reach the phone (undelivered, failed, or no receipt in
      -- time): their SMS pages go by the fallback channel until an SMS to them is delivered again.
      CREATE TABLE sms_failing (
        person   TEXT PRIMARY KEY,
        since_ms INTEGER NOT NULL
      );
    `,
  },
  {
    version: 13,
    name: 'typed page reasons',
    sql: `
      -- A page's reason in typed columns instead of the step text ("0:critical", "oob:fallback"):
      -- reason is what the page is about, step_index the policy step (step, raised, switched),
      -- detail the severity (raised) or policy (switched); undelivered: sent again because an SMS
      -- carrying it did not reach the phone; fallbacks: times moved to a fallback channel because
      -- its channel kept failing (store/pageReasons.ts converts old rows).
      CREATE TABLE pages_v13 (
        id            INTEGER PRIMARY KEY,
        incident_id   INTEGER NOT NULL REFERENCES incidents (id),
        reason        TEXT NOT NULL CHECK (reason IN ('step', 'raised', 'switched', 'path', 'out_of_band', 'resolved', 'restored', 'lowered')),
        step_index    INTEGER CHECK ((step_index IS NOT NULL) = (reason IN ('step', 'raised', 'switched'))),
        detail        TEXT CHECK ((detail IS NOT NULL) = (reason IN ('raised', 'switched'))),
        undelivered   INTEGER NOT NULL DEFAULT 0 CHECK (undelivered IN (0, 1)),
        fallbacks     INTEGER NOT NULL DEFAULT 0 CHECK (fallbacks >= 0),
        -- No CHECK on the channel: a new paging channel must not rebuild this table (as voice did in
        -- 8); only PagingChannelKind values are written (escalation/channels/registry.ts).
        channel       TEXT NOT NULL,
        person        TEXT NOT NULL,
        created_ms    INTEGER NOT NULL,
        not_before_ms INTEGER NOT NULL,
        text          TEXT NOT NULL,
        outbox_id     INTEGER
      );
      INSERT INTO pages_v13 (id, incident_id, reason, step_index, detail, channel, person, created_ms, not_before_ms, text, outbox_id)
        SELECT id, incident_id, 'step', 0, NULL, channel, person, created_ms, not_before_ms, text, outbox_id FROM pages;
    `,
    convert: convertPageSteps,
    sqlAfter: `
      DROP TABLE pages;
      ALTER TABLE pages_v13 RENAME TO pages;
      -- One page per (incident, reason, channel, person): a step never pages a person twice.
      CREATE UNIQUE INDEX pages_once ON pages (incident_id, reason, COALESCE(step_index, -1), COALESCE(detail, ''), undelivered, fallbacks, channel, person);
      CREATE INDEX pages_unsent ON pages (channel, person, outbox_id);
      CREATE INDEX pages_incident ON pages (incident_id);
    `,
  },
  {
    version: 14,
    name: 'alert source and probe as columns',
    sql: `
      -- Where an alert came from (AlertSource) and, for a probe's own alerts and an inferred
      -- cause's, which probe (its probe label: a probe's name, or "~ENDPOINT") and whether it is
      -- the probe's warning alert: columns, so that nothing parses them out of the fingerprint.
      -- Fingerprints stay as they were: open incidents and their ack codes are keyed by them.
      ALTER TABLE alerts ADD COLUMN source TEXT NOT NULL DEFAULT 'alertmanager';
      ALTER TABLE alerts ADD COLUMN probe TEXT;
      ALTER TABLE alerts ADD COLUMN warning INTEGER NOT NULL DEFAULT 0;
      -- Rows stored before: Lifeline's own alerts were told apart by their fingerprints alone
      -- ("probe:NAME", "probe:NAME:warning", "probe:~ENDPOINT", "redundancy:GROUP"; Alertmanager's
      -- are hex), read here once.
      UPDATE alerts SET source = 'probe' WHERE substr(fingerprint, 1, 6) = 'probe:' OR substr(fingerprint, 1, 11) = 'redundancy:';
      UPDATE alerts SET probe = json_extract(labels, '$.probe'), warning = (substr(fingerprint, -8) = ':warning') WHERE substr(fingerprint, 1, 6) = 'probe:';
      -- Each change of a probe's down alert names the probe, so that the status page's history and
      -- the daily note read probes' changes by at_ms alone (a join to alerts per change cost half
      -- again the time of the history's read). NULL for every other alert's changes.
      ALTER TABLE alert_events ADD COLUMN probe TEXT;
      UPDATE alert_events SET probe = (SELECT a.probe FROM alerts a WHERE a.fingerprint = alert_events.fingerprint AND a.warning = 0);
    `,
  },
  {
    version: 15,
    name: 'cluster outbox and the peer messages applied',
    sql: `
      -- What this instance decided and tells its peers, written in the same transaction as
      -- the decision, published to its JetStream stream afterwards: a crash between the two loses
      -- nothing, the row is published after the restart. msg_id goes out as Nats-Msg-Id, stable
      -- across retries, so a publish repeated within the stream's duplicate window is stored once.
      CREATE TABLE cluster_outbox (
        id           INTEGER PRIMARY KEY,
        msg_id       TEXT NOT NULL UNIQUE,
        subject      TEXT NOT NULL,
        payload      TEXT NOT NULL,
        created_ms   INTEGER NOT NULL,
        published_ms INTEGER
      );
      CREATE INDEX cluster_outbox_pending ON cluster_outbox (id) WHERE published_ms IS NULL;

      -- Peer messages already applied, by Nats-Msg-Id: JetStream delivers at least once (an ack can
      -- be lost when a server dies), and a peer that republishes after its duplicate window ran out
      -- stores the message twice. seq: the message's sequence in the peer's stream (a mirror keeps it).
      CREATE TABLE cluster_seen (
        msg_id     TEXT PRIMARY KEY,
        peer       TEXT NOT NULL,
        seq        INTEGER NOT NULL,
        applied_ms INTEGER NOT NULL
      );
      CREATE INDEX cluster_seen_applied ON cluster_seen (applied_ms);

      -- Who claimed, and who sent, each step of each incident, from every instance (this one's own
      -- and its peers'): an instance sends a step only when no one has sent it and no other
      -- instance's claim on it is still within its lease. A claim lapses at lease_until_ms (wall
      -- time of the claimer) unless sent_ms is set.
      CREATE TABLE cluster_claims (
        incident       TEXT NOT NULL,
        step           INTEGER NOT NULL,
        instance       TEXT NOT NULL,
        lease_until_ms INTEGER NOT NULL,
        sent_ms        INTEGER,
        PRIMARY KEY (incident, step, instance)
      );
    `,
  },
  {
    version: 16,
    name: 'incident episodes, claims by page, acks of episodes, pages sent by a peer',
    sql: `
      -- An incident's episode (escalation/episode.ts): the same text on every instance for the same
      -- event (an Alertmanager alert: its fingerprint and startsAt, which Alertmanager sends to every
      -- receiver alike); NULL for an episode only this instance knows (its probes, the IRC path).
      -- starts_at: the alert's startsAt as the source gave it.
      ALTER TABLE incidents ADD COLUMN episode TEXT;
      ALTER TABLE incidents ADD COLUMN starts_at TEXT;
      CREATE INDEX incidents_episode ON incidents (episode) WHERE episode IS NOT NULL;

      -- A page some peer sent (its claim and sent arrived first): this instance did not send it and
      -- says so (the status page: "sent by peer X"). NULL: this instance's own page.
      ALTER TABLE pages ADD COLUMN sent_by_peer TEXT;
      -- The pages an outbox message carried, looked up when it is delivered (to mark them sent for the peers).
      CREATE INDEX pages_outbox ON pages (outbox_id) WHERE outbox_id IS NOT NULL;

      -- Claims were keyed by (incident, step number) in 15 and never used by the paging core: now by
      -- (episode, page key), the page key a text (escalation/episode.ts, pageKey). Nothing to keep.
      DROP TABLE cluster_claims;
      CREATE TABLE cluster_claims (
        incident       TEXT NOT NULL,
        step           TEXT NOT NULL,
        instance       TEXT NOT NULL,
        lease_until_ms INTEGER NOT NULL,
        sent_ms        INTEGER,
        PRIMARY KEY (incident, step, instance)
      );

      -- The acknowledgement of each episode that holds everywhere: the earliest by hybrid logical
      -- clock of all instances' acks (hlc: cluster/hlc.ts formatHlc, which sorts as it compares), so
      -- every instance ends with the same one. An ack of an episode not open here yet acks its
      -- incident when it opens.
      CREATE TABLE episode_acks (
        episode  TEXT PRIMARY KEY,
        by       TEXT NOT NULL,
        instance TEXT NOT NULL,
        hlc      TEXT NOT NULL,
        at_ms    INTEGER NOT NULL
      );

      -- A second ack code of an incident: the code its episode has on other instances, when a local
      -- collision gave it another one here (store/incidents.ts, open).
      CREATE TABLE incident_code_aliases (
        code        TEXT NOT NULL,
        incident_id INTEGER NOT NULL REFERENCES incidents (id),
        PRIMARY KEY (code, incident_id)
      );
    `,
  },
  {
    version: 17,
    name: 'peers\' probe verdicts',
    sql: `
      -- Each peer's latest verdict on each probe (issue 23: verdicts from more than one place). A
      -- verdict stands until its region says otherwise, so it must outlive a restart: the message
      -- that carried it is applied once and not read again. hlc orders two verdicts of one region.
      CREATE TABLE cluster_verdicts (
        region   TEXT NOT NULL,
        probe    TEXT NOT NULL,
        up       INTEGER NOT NULL,
        reason   TEXT NOT NULL,
        since_ms INTEGER NOT NULL,
        hlc      TEXT NOT NULL,
        PRIMARY KEY (region, probe)
      );
    `,
  },
  {
    version: 18,
    name: 'unacks of episodes, silence keys and end timestamps, peers\' maintenance windows',
    sql: `
      -- Every ack and unack of every episode, this instance's and its peers' (store/episodeAcks.ts):
      -- the latest by hybrid logical clock decides whether the episode is acknowledged, the earliest
      -- ack after the latest unack is the one named. Replaces episode_acks (16), which kept only
      -- the earliest ack and so could not tell an unack made after an ack from one made before.
      CREATE TABLE episode_actions (
        episode  TEXT NOT NULL,
        hlc      TEXT NOT NULL,
        kind     TEXT NOT NULL CHECK (kind IN ('ack', 'unack')),
        by       TEXT NOT NULL,
        instance TEXT NOT NULL,
        at_ms    INTEGER NOT NULL,
        PRIMARY KEY (episode, hlc)
      );
      INSERT INTO episode_actions (episode, hlc, kind, by, instance, at_ms) SELECT episode, hlc, 'ack', by, instance, at_ms FROM episode_acks;
      DROP TABLE episode_acks;

      -- A silence's key on every instance (store/silences.ts silenceKey), stored instead of derived
      -- on each look-up; filled for the rows already there by the conversion below. ended_hlc: the
      -- hybrid logical clock timestamp of the end that holds (formatHlc text), so ends made on two
      -- instances merge by it (the latest end's clock loses to the earliest, see mergeEnd) and not
      -- by wall clocks that may disagree. NULL: it runs, ran out, or was ended by an older version.
      ALTER TABLE silences ADD COLUMN cluster_key TEXT;
      ALTER TABLE silences ADD COLUMN ended_hlc TEXT;

      -- Each peer's latest set of configured maintenance windows (issue 23: a window configured on
      -- any instance holds on all), replaced whole by a newer set (hlc, formatHlc text); kept while
      -- the peer is down. windows: the peer's maintenance section as JSON.
      CREATE TABLE peer_maintenance (
        peer        TEXT PRIMARY KEY,
        hlc         TEXT NOT NULL,
        windows     TEXT NOT NULL,
        received_ms INTEGER NOT NULL
      );
    `,
    convert(db) {
      const rows = db.prepare('SELECT id, matchers, created_by, created_ms FROM silences').all() as Array<{ id: number; matchers: string; created_by: string; created_ms: number }>;
      const set = db.prepare('UPDATE silences SET cluster_key = ? WHERE id = ?');
      for (const r of rows) set.run(silenceKey({ createdMs: r.created_ms, createdBy: r.created_by, matchers: matcherList(JSON.parse(r.matchers) as Matcher[] | Record<string, string>) }), r.id);
    },
    sqlAfter: 'CREATE INDEX silences_cluster_key ON silences (cluster_key);',
  },
  {
    version: 19,
    name: 'open episodes of Lifeline\'s own incidents, per instance',
    sql: `
      -- The open episode each instance gave an incident of Lifeline's own whose start every instance
      -- sees at its own time (the IRC path down, a redundancy group, an inferred shared cause; issue
      -- 23): this instance's (instance = its name) and its peers', by identity ("path:IRC alert
      -- path", "alert:redundancy:vpn"). An instance opening such an incident adopts a live peer's
      -- open episode; at claim time it moves to the earliest (escalation/episodeAgreement.ts). Kept
      -- across restarts: a peer's message is applied once and not read again. A row goes when its
      -- incident resolves.
      CREATE TABLE shared_episodes (
        instance TEXT NOT NULL,
        identity TEXT NOT NULL,
        episode  TEXT NOT NULL,
        hlc      TEXT NOT NULL,
        PRIMARY KEY (instance, identity)
      );
      CREATE INDEX shared_episodes_episode ON shared_episodes (episode);
    `,
  },
  {
    version: 21,
    name: 'how an alert\'s incident gets its cluster episode',
    sql: `
      -- Alert.sharedStart ('shared_start') or Alert.agreedEpisode ('agreed'), NULL for neither
      -- (store/alerts.ts episodeBasisOf): kept so that an alert read back when a silence or
      -- maintenance window ends opens the incident of the same episode as on the peers. Rows
      -- already stored have NULL: their incidents stay as they were opened.
      ALTER TABLE alerts ADD COLUMN episode_basis TEXT CHECK (episode_basis IN ('shared_start', 'agreed'));
    `,
  },
];
