import assert from 'node:assert/strict';
import { episodeOf } from '../../../src/escalation/episode.js';
import { episodeCode, IncidentStore } from '../../../src/store/incidents.js';
import { cluster, LEASE, PEER_TIMEOUT, S, type Inst } from './clusterRig.js';

const T0 = '2026-11-23T11:00:00.123456789Z';

describe('one page per event across instances (issue 23): position wait, claims, takeover', () => {
  it('the same Alertmanager alert is one episode with one ack code on both instances', () => {
    const { a, b } = cluster();
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    const ia = a.engine.incidents.unresolved()[0];
    const ib = b.engine.incidents.unresolved()[0];
    assert.ok(ia && ib);
    assert.equal(ia.episode, episodeOf({ source: 'alertmanager', fingerprint: 'DiskFull', startsAt: T0 }));
    assert.equal(ia.episode, ib.episode);
    assert.equal(ia.ackCode, ib.ackCode, 'a page sent by either can be acked at the other');
    assert.equal(ia.startsAt, T0);
  });

  it('position 0 pages at once; position 1 waits peer_timeout, then records the page as sent by the peer and sends nothing', () => {
    const { clock, a, b } = cluster();
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    assert.equal(a.queued().length, 1, 'a (position 0) pages with no wait');
    assert.equal(b.queued().length, 0, 'b (position 1) waits');
    a.deliverAll();
    clock.advance(PEER_TIMEOUT - 1);
    assert.equal(b.queued().length, 0);
    clock.advance(1);
    assert.equal(b.queued().length, 0, "a's sent blocks b for good");
    const log = b.engine.incidents.pageLog(10);
    assert.equal(log.length, 1);
    assert.equal(log[0]?.state, 'peer');
    assert.equal(log[0]?.sentBy, 'a', 'the status page says a sent it, not b');
    assert.equal(a.engine.incidents.pageLog(10)[0]?.sentBy, undefined);
  });

  it('a claim that lapses without a sent (the claimer died mid-send) is taken over by the next instance after the lease', () => {
    const { clock, a, b } = cluster();
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    assert.equal(a.queued().length, 1, 'a claimed and queued, but never delivers (SIGKILL)');
    a.engine.stop(); // dead: no delivery, no renewal
    b.position = 0; // a is down: b moves up
    clock.advance(S);
    assert.equal(b.queued().length, 0, "a's claim is live: b waits for it to lapse");
    clock.advance(LEASE);
    assert.equal(b.queued().length, 1, 'b sends the page a claimed but never sent: never both silent');
    b.deliverAll();
    assert.equal(b.engine.incidents.pageLog(10)[0]?.state, 'sent');
  });

  it('while cut off from each other both sides page once (duplicates, never loss)', () => {
    const { clock, a, b, cut } = cluster();
    cut(true);
    a.fire('DiskFull', T0);
    b.position = 0; // each side sees the other down
    b.fire('DiskFull', T0);
    a.deliverAll();
    b.deliverAll();
    clock.advance(LEASE);
    assert.equal(a.queued().length + b.queued().length, 0);
    assert.equal(a.engine.incidents.pageLog(10).filter((p) => p.state === 'sent').length, 1);
    assert.equal(b.engine.incidents.pageLog(10).filter((p) => p.state === 'sent').length, 1);
    cut(false);
  });

  it("Lifeline's own alerts (a probe's start is its own time) are local: no wait, no claim at position 1", () => {
    const { a, b } = cluster();
    b.fire('probe:web', T0, 'probe');
    assert.equal(b.engine.incidents.unresolved()[0]?.episode, null);
    assert.equal(b.queued().length, 1);
    assert.equal(a.claims.blocker(String(b.engine.incidents.unresolved()[0]?.id), 'step:0|email|alice'), undefined);
  });
});

describe('a probe down from every region (joined verdicts): one episode, one page', () => {
  it('both instances open the same episode and only position 0 sends; position 1 records it as sent by the peer', () => {
    const { clock, a, b } = cluster();
    a.fire('probe:web', T0, 'probe', true);
    b.fire('probe:web', T0, 'probe', true);
    const ia = a.engine.incidents.unresolved()[0];
    const ib = b.engine.incidents.unresolved()[0];
    assert.ok(ia && ib);
    assert.equal(ia.episode, episodeOf({ source: 'probe', fingerprint: 'probe:web', startsAt: T0, sharedStart: true }));
    assert.equal(ia.episode, ib.episode);
    assert.equal(ia.ackCode, ib.ackCode);
    assert.equal(a.queued().length, 1);
    a.deliverAll();
    clock.advance(PEER_TIMEOUT + S);
    b.engine.kick();
    assert.equal(b.queued().length, 0, 'b sends nothing: a sent the page');
  });
});

describe('acks across instances (issue 23): replicated, merged by HLC, never undone', () => {
  it("an ack on a stops b's escalation: b's next step does not page", () => {
    const { clock, a, b } = cluster();
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    a.deliverAll();
    const code = a.engine.incidents.unresolved()[0]?.ackCode ?? '';
    assert.equal(a.engine.ack(code, 'alice').ok, true);
    const ib = b.engine.incidents.unresolved()[0];
    assert.equal(ib?.state, 'acked');
    assert.equal(ib?.ackedBy, 'alice (on a)');
    b.position = 0;
    clock.advance(10 * 60 * S);
    assert.equal(b.queued().length, 0, 'no SMS step from b');
    assert.equal(a.queued().length, 0);
  });

  it('an ack that arrives before the alert acks the incident when it opens', () => {
    const { a, b, cut } = cluster();
    cut(true);
    a.fire('DiskFull', T0);
    assert.equal(a.engine.ack(a.engine.incidents.unresolved()[0]?.ackCode ?? '', 'alice').ok, true);
    cut(false);
    b.fire('DiskFull', T0);
    assert.equal(b.engine.incidents.unresolved()[0]?.state, 'acked');
    assert.equal(b.queued().length, 0);
  });

  it('two acks made apart during a cut: after the heal both name the earlier (HLC), and both stay acked', () => {
    const { clock, a, b, cut } = cluster();
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    cut(true);
    const code = a.engine.incidents.unresolved()[0]?.ackCode ?? '';
    assert.equal(b.engine.ack(code, 'bob').ok, true, 'the same code works on b');
    clock.advance(S);
    assert.equal(a.engine.ack(code, 'alice').ok, true);
    cut(false);
    assert.equal(a.engine.incidents.unresolved()[0]?.ackedBy, 'bob (on b)');
    assert.equal(b.engine.incidents.unresolved()[0]?.ackedBy, 'bob');
    assert.equal(a.engine.incidents.unresolved()[0]?.state, 'acked');
  });
});

describe('unacks across instances (issue 23): the latest action by HLC holds, an ack is never undone by a merge', () => {
  it("an unack on a after the ack reopens the incident on b; with a gone, b sends the next step (once)", () => {
    const { clock, a, b } = cluster();
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    a.deliverAll();
    const code = a.engine.incidents.unresolved()[0]?.ackCode ?? '';
    assert.equal(a.engine.ack(code, 'alice').ok, true);
    assert.equal(b.engine.incidents.unresolved()[0]?.state, 'acked');
    clock.advance(S);
    assert.equal(a.engine.unack(code, 'alice').ok, true);
    assert.equal(b.engine.incidents.unresolved()[0]?.state, 'open', "a's unack reopened it on b");
    a.engine.stop(); // a dies: b must page on
    b.position = 0;
    clock.advance(5 * 60 * S);
    assert.deepEqual(b.queued().map((q) => q.dest), ['sms:+4915112345678'], 'b sends the SMS step, once');
    b.deliverAll();
    clock.advance(10 * 60 * S);
    assert.equal(b.queued().length, 0);
  });

  it('both connected: after an unack on b, the next step is sent once across the two (a at position 0), b records it as sent by a', async () => {
    const { clock, a, b } = cluster();
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    a.deliverAll();
    const code = a.engine.incidents.unresolved()[0]?.ackCode ?? '';
    assert.equal(b.engine.ack(code, 'bob').ok, true, 'acked on b this time');
    assert.equal(a.engine.incidents.unresolved()[0]?.state, 'acked');
    clock.advance(S);
    assert.equal(b.engine.unack(code, 'bob').ok, true);
    assert.equal(a.engine.incidents.unresolved()[0]?.state, 'open');
    await Promise.resolve(); // a peer's unack wakes escalation after the transaction applying it (a microtask)
    assert.equal(a.queued().filter((q) => q.dest.startsWith('sms:')).length, 1, 'a (position 0) sends the SMS step at once, as after a local unack');
    a.deliverAll();
    clock.advance(PEER_TIMEOUT + S);
    assert.equal(b.queued().length, 0, "b finds a's sent: no second SMS");
    assert.ok(b.engine.incidents.pageLog(10).some((p) => p.channel === 'sms' && p.state === 'peer' && p.sentBy === 'a'), 'b records the SMS as sent by a');
    clock.advance(10 * 60 * S);
    assert.equal(a.queued().length + b.queued().length, 0);
  });

  it('an unack made before a newer ack, arriving after it (a partition), undoes nothing: both end acked, naming the newer ack', () => {
    const { clock, a, b, cut } = cluster();
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    const code = a.engine.incidents.unresolved()[0]?.ackCode ?? '';
    assert.equal(a.engine.ack(code, 'alice').ok, true);
    cut(true);
    clock.advance(S);
    assert.equal(b.engine.unack(code, 'bob').ok, true, 'b takes it back while cut');
    clock.advance(S);
    assert.equal(a.engine.unack(code, 'alice').ok, true);
    clock.advance(S);
    assert.equal(a.engine.ack(code, 'carol').ok, true, "carol's ack on a is the latest action");
    // a's own unack paged the next step at once (position 0); nothing more may page from here on.
    const smsBefore = [...a.queued(), ...b.queued()].filter((q) => q.dest.startsWith('sms:')).length;
    cut(false);
    assert.equal(a.engine.incidents.unresolved()[0]?.state, 'acked', "b's older unack did not undo carol's ack");
    assert.equal(a.engine.incidents.unresolved()[0]?.ackedBy, 'carol');
    assert.equal(b.engine.incidents.unresolved()[0]?.state, 'acked', "carol's ack reached b");
    assert.equal(b.engine.incidents.unresolved()[0]?.ackedBy, 'carol (on a)');
    b.position = 0;
    clock.advance(10 * 60 * S);
    assert.equal([...a.queued(), ...b.queued()].filter((q) => q.dest.startsWith('sms:')).length, smsBefore, 'no further SMS from either');
  });

  it('an unack older than an ack made on another instance during a cut: the ack holds on both after the heal', () => {
    const { clock, a, b, cut } = cluster();
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    const code = a.engine.incidents.unresolved()[0]?.ackCode ?? '';
    assert.equal(a.engine.ack(code, 'alice').ok, true);
    cut(true);
    clock.advance(S);
    assert.equal(b.engine.unack(code, 'bob').ok, true);
    clock.advance(S);
    assert.equal(b.engine.ack(code, 'bob').ok, true);
    clock.advance(S);
    assert.equal(b.engine.unack(code, 'bob').ok, true, "b's unack (3 s) is older than ...");
    clock.advance(S);
    // ... a's unack and ack at 4 s and 5 s.
    assert.equal(a.engine.unack(code, 'alice').ok, true);
    clock.advance(S);
    assert.equal(a.engine.ack(code, 'dave').ok, true);
    cut(false);
    for (const i of [a, b]) assert.equal(i.engine.incidents.unresolved()[0]?.state, 'acked', `${i.name} acked`);
    assert.equal(b.engine.incidents.unresolved()[0]?.ackedBy, 'dave (on a)');
  });
});

describe('ack codes of episodes: collisions', () => {
  it('a local collision takes the next candidate and keeps the episode code as an alias; an ambiguous code is refused with both codes', () => {
    // Two episodes whose first codes collide (bounded search: 923,521 codes, a pair turns up within a few thousand).
    const seen = new Map<string, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; i < 200_000 && !pair; i++) {
      const ep = `am:fp${i}@${T0}`;
      const c = episodeCode(ep, 0);
      const other = seen.get(c);
      if (other !== undefined) pair = [other, ep];
      seen.set(c, ep);
    }
    assert.ok(pair, 'a colliding pair exists');
    const [x, y] = pair;
    const { a } = cluster();
    const store = new IncidentStore(a.db);
    const open = (fp: string, episode: string) => store.open({ kind: 'alert', fingerprint: fp, title: fp, severity: 'critical', labels: {}, policy: 'p', nowMs: 0, firstDueMs: null, episode });
    const ix = open('x', x);
    const iy = open('y', y);
    assert.equal(ix?.ackCode, episodeCode(x, 0));
    assert.equal(iy?.ackCode, episodeCode(y, 1), 'the next candidate, the same on every instance with the same collision');
    const shared = episodeCode(y, 0);
    const r = a.engine.ack(shared, 'alice');
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason, new RegExp(`names more than one incident here: ${ix?.ackCode} \\(x\\), ${iy?.ackCode} \\(y\\)`));
    assert.equal(a.engine.ack(iy?.ackCode ?? '', 'alice').ok, true, "y's own code works");
    a.db.prepare("UPDATE incidents SET state = 'resolved', resolved_ms = 0 WHERE id = ?").run(ix?.id);
    const again = a.engine.unack(iy?.ackCode ?? '', 'alice');
    assert.equal(again.ok, true);
    assert.equal(a.engine.ack(shared, 'alice').ok, true, 'once x is resolved, the alias (what a peer paged with) answers for y');
  });
});

describe('claims of pages stuck in the outbox (issue 23)', () => {
  it('a page queued but not delivered (a slow SMTP server) keeps its claim while its instance lives: no duplicate from b', () => {
    const { clock, a, b } = cluster();
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    assert.equal(a.queued().length, 1, 'claimed and queued; the SMTP server does not take it for minutes');
    for (let i = 0; i < 10; i++) clock.advance(LEASE / 2);
    assert.equal(b.queued().length, 0, 'a renews its claim: b waits');
    a.deliverAll();
    clock.advance(LEASE);
    assert.equal(b.queued().length, 0);
    assert.equal(b.engine.incidents.pageLog(10)[0]?.sentBy, 'a');
  });
});

describe('ack codes when only one instance had a collision (issue 23)', () => {
  it("a's page carries a's code; its sent makes that code an alias on b, so an SMS reply reaching b acks the episode", () => {
    const { clock, a, b } = cluster();
    const episode = episodeOf({ source: 'alertmanager', fingerprint: 'DiskFull', startsAt: T0 }) ?? '';
    // On a only, an open local incident already holds the episode's code.
    new IncidentStore(a.db).open({ kind: 'path', fingerprint: null, title: 'IRC path', severity: 'critical', labels: {}, policy: 'p', nowMs: clock.now(), firstDueMs: null });
    a.db.prepare("UPDATE incidents SET ack_code = ? WHERE kind = 'path'").run(episodeCode(episode, 0));
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    const ia = a.engine.incidents.byEpisode(episode);
    const ib = b.engine.incidents.byEpisode(episode);
    assert.equal(ia?.ackCode, episodeCode(episode, 1), 'a took the next code');
    assert.equal(ib?.ackCode, episodeCode(episode, 0));
    a.deliverAll();
    const r = b.engine.ack(ia?.ackCode ?? '', 'alice (SMS)');
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.equal(a.engine.incidents.byEpisode(episode)?.state, 'acked', 'and the ack went back to a');
  });
});

describe('a restart with pages still queued (issue 23)', () => {
  it('a restarted after b took over the page it had queued: a waits while b holds the claim, then records it as sent by b and never delivers its copy', () => {
    const { clock, a, b } = cluster();
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    const [mine] = a.queued();
    assert.ok(mine, 'a claimed and queued the page, its SMTP server refuses it for now');
    a.kill();
    b.position = 0;
    clock.advance(LEASE + S);
    assert.equal(b.queued().length, 1, "b took the page over after a's claim lapsed");
    a.restart();
    assert.equal(a.queued().length, 0, 'not delivered before a caught up with b');
    a.settle();
    assert.equal(a.queued().length, 0, "b's claim is live: a waits for it");
    assert.equal(a.engine.incidents.pageLog(10)[0]?.state, 'waiting');
    b.deliverAll();
    clock.advance(LEASE + S);
    assert.equal(a.queued().length, 0);
    assert.equal(a.outbox.get(mine.id)?.state, 'folded', "a's copy is taken out of its queue, unsent");
    const log = a.engine.incidents.pageLog(10);
    assert.deepEqual(log.map((p) => [p.state, p.sentBy]), [['peer', 'b']], 'the status page says b sent it');
    assert.equal(a.engine.incidents.countSentSince(mine.dest, 0), 0, 'not counted as sent by a (budgets)');
  });

  it('a restarted before any peer sent its queued page: a claims it anew and sends it (never lost), b then records it as a\'s', () => {
    const { clock, a, b } = cluster();
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    assert.equal(a.queued().length, 1);
    a.kill();
    b.position = 0;
    clock.advance(10 * S);
    a.restart();
    a.settle();
    b.position = 1;
    assert.equal(a.queued().length, 1, 'queued again at once: its own claim, no peer in the way');
    a.deliverAll();
    clock.advance(2 * LEASE);
    assert.equal(b.queued().length, 0, 'b never sends it');
    assert.equal(b.engine.incidents.pageLog(10)[0]?.sentBy, 'a');
  });

  it('a restarted after its claim lapsed and no peer sent the page (b down too): a sends it', () => {
    const { clock, a, b } = cluster();
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    a.kill();
    b.kill();
    clock.advance(LEASE + S);
    a.restart();
    a.settle();
    assert.equal(a.queued().length, 1);
    assert.equal(b.queued().length, 0);
  });
});

describe('a page a peer sent while this instance was cut off, still queued here (issue 23)', () => {
  it('after the heal, the next claim renewal takes a\'s queued copy out unsent and records the page as sent by b: one page, not two', () => {
    const { clock, a, b } = bothQueuedWhileCut((b) => b.deliverAll());
    const [mine] = a.queued();
    assert.ok(mine, "a queued its page; its SMTP server refuses it for now");
    assert.equal(a.queued().length, 1, 'until the renewal a does not know its copy is covered');
    clock.advance(LEASE / 3 + S);
    clock.advance(LEASE / 3 + S);
    assert.equal(a.queued().length, 0, "a's copy is out of its queue");
    assert.equal(a.outbox.get(mine.id)?.state, 'folded', 'taken out unsent, never delivered');
    assert.deepEqual(a.engine.incidents.pageLog(10).filter((p) => p.channel === 'email').map((p) => [p.state, p.sentBy]), [['peer', 'b']], 'the status page says b sent it');
  });

  it('a peer that only claimed it (no sent yet) does not stop a\'s copy: a duplicate at worst, never a loss', () => {
    const { clock, a } = bothQueuedWhileCut(() => undefined);
    clock.advance(LEASE / 3 + S);
    clock.advance(LEASE / 3 + S);
    assert.equal(a.queued().length, 1, "a's copy stays queued while nobody sent it");
  });
});

/** Cut off, a and b each claim and queue the page of one event; `whileCut` runs on b before the link heals (b back at position 1). */
function bothQueuedWhileCut(whileCut: (b: Inst) => void): ReturnType<typeof cluster> {
  const c = cluster();
  c.cut(true);
  c.b.position = 0;
  c.a.fire('DiskFull', T0);
  c.b.fire('DiskFull', T0);
  assert.equal(c.a.queued().length + c.b.queued().length, 2, 'each side queued its page');
  whileCut(c.b);
  c.cut(false);
  c.b.position = 1;
  return c;
}
