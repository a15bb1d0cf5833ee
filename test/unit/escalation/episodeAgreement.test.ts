import assert from 'node:assert/strict';
import type { Incident } from '../../../src/store/incidents.js';
import { cluster, PEER_TIMEOUT, S, type Inst } from './clusterRig.js';

/*
 * Episodes agreed between instances (issue 23) for Lifeline's own incidents whose start each
 * instance sees at its own time: the IRC path down, a redundancy group, a shared cause. On the fake
 * clock with two engines joined by the in-memory bus of clusterRig.ts.
 */

const GRACE = 60 * S;
/** A policy whose first page waits: both instances know both episodes before anyone claims. */
const LATER = '{ name: p, steps: [{ after: 30s, notify: [email] }] }';

function open(i: Inst, kind: Incident['kind'] = 'alert'): Incident {
  const inc = i.engine.incidents.unresolved().find((x) => x.kind === kind);
  assert.ok(inc, `${i.name} has an open ${kind} incident`);
  return inc;
}

function emailsSent(i: Inst): number {
  return i.engine.incidents.pageLog(50).filter((p) => p.state !== 'peer' && p.channel === 'email').length;
}

/**
 * The bouncer dies under both while their messages are held (b `bFirstMs` before a): each opens its
 * own episode, a (position 0) pages its own at once and delivers; then the messages flow.
 */
function bothDownWhileCut(bFirstMs: number): ReturnType<typeof cluster> {
  const c = cluster();
  c.cut(true);
  c.b.irc(false);
  c.clock.advance(bFirstMs);
  c.a.irc(false);
  c.clock.advance(GRACE);
  assert.notEqual(open(c.b, 'path').episode, open(c.a, 'path').episode, 'two episodes while neither knows the other');
  assert.equal(c.a.queued().filter((q) => q.dest.startsWith('email:')).length, 1, 'a pages its own at once');
  c.a.deliverAll();
  c.cut(false);
  return c;
}

describe('agreed episodes: the IRC path down on two instances (issue 23)', () => {
  it('an instance that sees the path down later adopts the live peer\'s open episode: the same ack code, and it does not page', () => {
    const { clock, a, b } = cluster();
    a.irc(false);
    clock.advance(GRACE);
    const ia = open(a, 'path');
    assert.ok(ia.episode?.startsWith('path:IRC alert path@'), `a's episode is agreed: ${ia.episode}`);
    assert.equal(a.queued().filter((q) => q.dest.startsWith('email:')).length, 1, 'a (position 0) pages at once');
    a.deliverAll();
    clock.advance(20 * S);
    b.irc(false);
    clock.advance(GRACE);
    const ib = open(b, 'path');
    assert.equal(ib.episode, ia.episode, "b adopted a's episode");
    assert.equal(ib.ackCode, ia.ackCode);
    clock.advance(PEER_TIMEOUT + S);
    assert.equal(b.queued().length, 0, 'b sends nothing: a sent the page');
    assert.equal(emailsSent(b), 0);
    assert.equal(b.engine.ack(ia.ackCode, 'alice').ok, true);
    assert.equal(open(a, 'path').state, 'acked', 'an ack on b holds on a');
  });

  it('both open at once while their messages are in flight: b (position 1) moves to the episode a claimed, keeps its own code as an alias, and does not page', () => {
    // b's bouncer link drops first: b's episode is the earlier one, but a (position 0) claims its own at once.
    const { clock, a, b } = bothDownWhileCut(S);
    const ia = open(a, 'path');
    const before = open(b, 'path');
    clock.advance(PEER_TIMEOUT + S);
    const ib = open(b, 'path');
    assert.equal(ib.episode, ia.episode, "at claim time b moved to a's episode (a claimed and sent a page of it)");
    assert.equal(ib.ackCode, ia.ackCode, 'the same code on both');
    assert.equal(b.queued().length, 0, 'exactly one page for the event');
    assert.equal(emailsSent(a) + emailsSent(b), 1);
    const r = b.engine.ack(before.ackCode, 'bob');
    assert.ok(r.ok, `b's old code still answers: ${r.ok ? '' : r.reason}`);
    assert.equal(open(a, 'path').state, 'acked', 'and the ack holds on a');
  });

  it('only one instance sees the path down: it pages, at position 1 after its wait', () => {
    const { clock, a, b } = cluster();
    b.irc(false);
    clock.advance(GRACE);
    assert.ok(open(b, 'path').episode?.endsWith('~b'));
    assert.equal(b.queued().length, 0, 'b (position 1) waits peer_timeout');
    clock.advance(PEER_TIMEOUT);
    assert.equal(b.queued().filter((q) => q.dest.startsWith('email:')).length, 1, 'then pages: nobody else did');
    assert.equal(a.engine.incidents.unresolved().length, 0);
  });

  it('a resolved path is dropped by the peer: the next outage is a new episode', () => {
    const { clock, a, b } = cluster();
    a.irc(false);
    clock.advance(GRACE);
    const first = open(a, 'path').episode;
    a.irc(true);
    clock.advance(10 * S);
    b.irc(false);
    clock.advance(GRACE);
    assert.notEqual(open(b, 'path').episode, first, "a's resolved episode is not adopted");
    assert.ok(open(b, 'path').episode?.endsWith('~b'));
  });
});

describe('agreed episodes: canonical choice at claim time (issue 23)', () => {
  it('the earlier peer episode wins when nobody claimed yet: a (position 0) moves to b\'s, pages once under it, its old code answers as an alias', () => {
    const { clock, a, b, cut } = cluster(LATER);
    cut(true);
    b.fireAgreed('redundancy:vpn');
    clock.advance(2 * S);
    a.fireAgreed('redundancy:vpn');
    const aBefore = open(a);
    const ib = open(b);
    assert.ok(ib.episode?.startsWith('alert:redundancy:vpn@'), `a redundancy group's incident has an agreed episode: ${ib.episode}`);
    assert.notEqual(aBefore.episode, ib.episode);
    cut(false);
    clock.advance(30 * S);
    const ia = open(a);
    assert.equal(ia.episode, ib.episode, "a moved to b's earlier episode");
    assert.equal(ia.ackCode, ib.ackCode, "and took b's code");
    assert.equal(a.queued().length, 1, 'a (position 0) pages, under the shared episode');
    assert.match(a.queued()[0]?.subject ?? '', new RegExp(`ack ${ib.ackCode}$`), 'the page carries the shared code');
    a.deliverAll();
    clock.advance(PEER_TIMEOUT + S);
    assert.equal(b.queued().length, 0, "b finds a's sent on its own episode: no second page");
    assert.equal(emailsSent(a) + emailsSent(b), 1);
    const r = a.engine.ack(aBefore.ackCode, 'alice');
    assert.ok(r.ok, `a's old code answers as an alias: ${r.ok ? '' : r.reason}`);
    assert.equal(open(b).state, 'acked', 'the ack holds on b');
  });

  it('opened in the same millisecond: the tie goes by instance name (a), whichever instance claims first', () => {
    const { clock, a, b, cut } = cluster(LATER);
    a.position = 1;
    b.position = 0;
    cut(true);
    a.fireAgreed('probe:~10.0.0.1');
    b.fireAgreed('probe:~10.0.0.1');
    cut(false);
    clock.advance(30 * S);
    const ia = open(a);
    const ib = open(b);
    assert.ok(ia.episode?.endsWith('~a'));
    assert.equal(ib.episode, ia.episode, "b (position 0) moved to a's episode: same time, a sorts first");
    assert.equal(b.queued().length, 1, 'b pages');
    b.deliverAll();
    clock.advance(PEER_TIMEOUT + S);
    assert.equal(a.queued().length, 0, 'a (position 1) finds b\'s sent');
    assert.equal(emailsSent(a) + emailsSent(b), 1);
  });

  it("a peer counted down is not adopted from: the survivor pages on its own", () => {
    const { clock, a, b } = cluster(LATER);
    a.fireAgreed('redundancy:vpn');
    b.down.add('a');
    b.position = 0;
    b.fireAgreed('redundancy:vpn');
    assert.notEqual(open(b).episode, open(a).episode);
    clock.advance(30 * S);
    assert.equal(b.queued().length, 1);
  });
});

describe('agreed episodes: acks reach the same event under another episode (issue 23)', () => {
  it('an ack on b within its position wait (before it moved) holds on a: b moves to the winning episode first', () => {
    const { clock, a, b } = bothDownWhileCut(0);
    const own = open(b, 'path');
    const r = b.engine.ack(own.ackCode, 'bob');
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.equal(r.ok ? r.incident.episode : '', open(a, 'path').episode, 'b moved to the episode a paged');
    assert.equal(open(a, 'path').state, 'acked', 'the ack holds on a');
    clock.advance(PEER_TIMEOUT + S);
    assert.equal(b.queued().length, 0);
  });

  it('a partition: each side paged its own episode; after the heal an ack on a holds on b', () => {
    const { b } = healedAndAckedOnA();
    assert.equal(open(b).state, 'acked', "b's incident of the same event is acknowledged");
    assert.equal(open(b).ackedBy, 'alice (on a)');
  });

  it('after such a heal, !unack on a reopens b too', () => {
    const { a, b } = healedAndAckedOnA();
    assert.equal(a.engine.unack(open(a).ackCode, 'alice').ok, true);
    assert.equal(open(a).state, 'open');
    assert.equal(open(b).state, 'open', "a's unack reaches b's incident of the same event");
  });

  it("after such a heal, !unack on b with b's own code holds on both, and the next step pages again", () => {
    const { clock, a, b } = healedAndAckedOnA();
    const r = b.engine.unack(open(b).ackCode, 'bob');
    assert.ok(r.ok, r.ok ? '' : r.reason);
    clock.advance(10 * 60 * S + PEER_TIMEOUT);
    assert.equal(open(b).state, 'open', "b's next claim-time move must not take a's older ack again");
    assert.equal(open(a).state, 'open', 'a learns of the unack');
    assert.ok(a.queued().length + b.queued().length > 0, 'escalation resumed: the next step is queued');
  });

  it("after such a heal, b answers the code a paged with (an SMS reply reaching b)", () => {
    const { a, b } = healedAndAckedOnA({ ack: false });
    const codeA = open(a).ackCode;
    assert.notEqual(open(b).ackCode, codeA);
    const r = b.engine.ack(codeA, 'alice');
    assert.ok(r.ok, r.ok ? '' : r.reason);
  });
});

describe('agreed episodes: the old code after a move (issue 23)', () => {
  it('!unack and !ack CODE+ take the old code as !ack does', () => {
    const { clock, a, b, cut } = cluster(LATER);
    cut(true);
    b.fireAgreed('redundancy:vpn');
    clock.advance(2 * S);
    a.fireAgreed('redundancy:vpn');
    const old = open(a).ackCode;
    cut(false);
    clock.advance(30 * S);
    assert.notEqual(open(a).ackCode, old, 'a moved to the earlier episode');
    assert.equal(a.engine.ackGroup(old, 'alice').ok, true, '!ack OLD+');
    const r = a.engine.unack(old, 'alice');
    assert.ok(r.ok, `!unack OLD: ${r.ok ? '' : r.reason}`);
  });
});

/**
 * Cut off, both instances open the same redundancy-group event under their own episodes and each
 * pages it; then the link heals (b at position 1) and, unless told otherwise, alice acks it on a.
 */
function healedAndAckedOnA(o: { ack?: boolean } = {}): ReturnType<typeof cluster> {
  const c = cluster();
  const { clock, a, b, cut } = c;
  cut(true);
  b.position = 0;
  a.fireAgreed('redundancy:vpn');
  b.fireAgreed('redundancy:vpn');
  a.deliverAll();
  b.deliverAll();
  assert.equal(emailsSent(a) + emailsSent(b), 2, 'each side paged once (duplicates, never loss)');
  cut(false);
  b.position = 1;
  clock.advance(S);
  if (o.ack !== false) assert.equal(a.engine.ack(open(a).ackCode, 'alice').ok, true);
  return c;
}
