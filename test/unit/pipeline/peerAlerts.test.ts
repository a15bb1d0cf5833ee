import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load.js';
import { EscalationEngine } from '../../../src/escalation/engine.js';
import { ChannelHealth } from '../../../src/escalation/health.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { OnCallSchedule } from '../../../src/people/oncall.js';
import { makeIngest } from '../../../src/pipeline/ingest.js';
import { NATS_FINGERPRINT, PeerAlerts, peerFingerprint } from '../../../src/pipeline/peerAlerts.js';
import { episodeOf } from '../../../src/escalation/episode.js';
import { AlertStore } from '../../../src/store/alerts.js';
import { openDb } from '../../../src/store/db.js';
import { escalationStores } from '../../../src/store/escalationStores.js';
import { Outbox } from '../../../src/store/outbox.js';
import { RepeatFilter } from '../../../src/store/repeat.js';
import { FakeClock } from '../fakeClock.js';

/** The pipeline with PeerAlerts wired as app.ts wires it; `held` holds paging (pagingHeld). */
function rig() {
  const config = parseConfig(
    `people:\n  - { name: alice, email: alice@example.org }\noncall:\n  rotations:\n    - { name: p, people: [alice], start: "2026-11-23" }\nemail: { host: smtp.example.org, from: l@example.org }\nescalation:\n  policies:\n    - { name: now, steps: [{ after: 0s, notify: [email] }] }\n`,
    't.yaml',
    {},
  );
  const clock = new FakeClock();
  const db = openDb(':memory:');
  const outbox = new Outbox(db, 10_000);
  const alerts = new AlertStore(db);
  const state = { held: undefined as string | undefined };
  const engine = new EscalationEngine({ config, ...escalationStores(db), outbox, schedule: new OnCallSchedule(config), clock, log: silentLogger(), health: new ChannelHealth(), poke: () => undefined, pathOutageEnded: () => ({ fired: 0, resolved: 0, firingNow: 0 }), pagingHeld: () => state.held });
  const ingest = makeIngest({ db, alerts, muted: () => () => false, escalation: engine, repeats: new RepeatFilter(db, 4 * 3600_000), outbox, routes: new Map([['default', ['irc:#alerts']]]) });
  const peers = new PeerAlerts({
    self: 'b',
    natsUrl: 'nats://nats:4222',
    info: new Map([['a', 'Hetzner fsn1, ops VM']]),
    now: () => clock.now(),
    firing: (fp) => alerts.firingName(fp),
    emit: (batch) => {
      ingest('default', batch, clock.now());
      engine.kick();
    },
  });
  engine.start();
  const emails = () => outbox.pending('email:alice@example.org').map((e) => (e.message.kind === 'page' ? e.message.subject : e.message.kind));
  return { clock, engine, alerts, peers, state, emails, irc: () => outbox.pending('irc:#alerts').length };
}

describe('a peer down is an incident (issue 23, pipeline/peerAlerts.ts)', () => {
  it('silent → LifelinePeerDown paged to on-call through the normal pipeline (source peer); peerUp resolves it with the resolved notice', () => {
    const r = rig();
    r.peers.handle({ kind: 'peerDown', peer: 'a', reason: 'silent', lastHeardMs: r.clock.now() - 15_000 });
    const inc = r.engine.incidents.live('alert', peerFingerprint('a'));
    assert.ok(inc, 'an incident for the peer');
    assert.deepEqual(r.emails(), [`[CRITICAL] LifelinePeerDown a - ack ${inc.ackCode}`]);
    assert.equal(r.alerts.firing()[0]?.name, 'LifelinePeerDown');
    assert.match(inc.labels['summary'] ?? '', /^Lifeline peer a \(Hetzner fsn1, ops VM\) is down: /, 'the page says where the peer runs (cluster.peers[].info)');
    r.peers.handle({ kind: 'peerUp', peer: 'a' });
    assert.equal(r.engine.incidents.live('alert', peerFingerprint('a')), undefined, 'resolved');
    assert.equal(r.emails().length, 2);
    assert.match(String(r.emails()[1]), /RESOLVED LifelinePeerDown a/);
  });

  it('unreachable → LifelinePeerUnreachable; local → one LifelineNatsDown (no alert about the peers), resolved by natsUp; a peerUp never resolves what was not raised', () => {
    const r = rig();
    r.peers.handle({ kind: 'peerUp', peer: 'a' });
    assert.equal(r.irc(), 0, 'nothing posted for an alert that never fired');
    r.peers.handle({ kind: 'peerDown', peer: 'a', reason: 'unreachable', lastHeardMs: undefined });
    assert.equal(r.alerts.firing().find((x) => x.fp === peerFingerprint('a'))?.name, 'LifelinePeerUnreachable');
    r.peers.handle({ kind: 'peerDown', peer: 'c', reason: 'local', lastHeardMs: undefined });
    r.peers.handle({ kind: 'peerDown', peer: 'd', reason: 'local', lastHeardMs: undefined });
    const firing = r.alerts.firing().map((x) => x.name).sort();
    assert.deepEqual(firing, ['LifelineNatsDown', 'LifelinePeerUnreachable']);
    assert.equal(r.engine.incidents.unresolved().length, 2);
    r.peers.handle({ kind: 'natsUp' });
    assert.equal(r.engine.incidents.live('alert', NATS_FINGERPRINT), undefined);
    r.peers.handle({ kind: 'peerUp', peer: 'a' });
    assert.equal(r.engine.incidents.unresolved().length, 0);
  });

  it('paging waits while not settled (pagingHeld): the incident opens, no page goes until the hold ends', () => {
    const r = rig();
    r.state.held = 'catching up with the peers';
    r.peers.handle({ kind: 'peerDown', peer: 'a', reason: 'silent', lastHeardMs: undefined });
    assert.ok(r.engine.incidents.live('alert', peerFingerprint('a')));
    r.clock.advance(5_000);
    assert.deepEqual(r.emails(), [], 'held');
    r.state.held = undefined;
    r.clock.advance(300);
    assert.equal(r.emails().length, 1, 'paged within a recheck (250 ms) of the hold ending');
  });
});

describe('a peer down starts when the peer sent its last heartbeat (one episode for every survivor)', () => {
  it('a down with the last heartbeat\'s send time is one shared episode at that time; one without it stays local', () => {
    const sent = Date.parse('2026-11-23T11:59:58.500Z');
    const r = rig();
    r.peers.handle({ kind: 'peerDown', peer: 'a', reason: 'silent', lastHeardMs: r.clock.now(), lastSentMs: sent });
    const inc = r.engine.incidents.unresolved().find((i) => i.fingerprint === peerFingerprint('a'));
    assert.equal(inc?.episode, episodeOf({ source: 'peer', fingerprint: peerFingerprint('a'), startsAt: new Date(sent).toISOString(), sharedStart: true }));
    assert.match(inc?.episode ?? '', /^peer:peer:a@2026-11-23T11:59:58\.500Z$/);
    const other = rig();
    other.peers.handle({ kind: 'peerDown', peer: 'a', reason: 'unreachable', lastHeardMs: undefined });
    assert.equal(other.engine.incidents.unresolved().find((i) => i.fingerprint === peerFingerprint('a'))?.episode, null, 'no send time known: this instance alone pages it');
  });
});
