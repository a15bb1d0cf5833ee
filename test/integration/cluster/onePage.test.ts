import assert from 'node:assert/strict';
import { episodeOf } from '../../../src/escalation/episode.js';
import { episodeCode } from '../../../src/store/incidents.js';
import { waitFor } from '../harness/procs.js';
import type { ReceivedMail } from '../harness/smtpSink.js';
import { groupPayload } from '../harness/webhook.js';
import { Lifelines, defaultPaging, inboundUrlOf, mailSender, mailText } from './lifelines.js';

/*
 * One page per event and acks everywhere (issue 23), end to end: two regions, each with its
 * nats-server in a namespace and a whole `lifeline run`, every webhook posted to both (as
 * Alertmanager with one webhook_config per Lifeline does), pages counted at the shared SMTP sink
 * and Twilio stand-in. Timings (lifelines.ts TEST_TIMINGS): peer_timeout 3s, claim_lease 4s,
 * heartbeats every 500ms. Policy: email at once, SMS after 8 s unless acknowledged.
 */

const PEER_TIMEOUT_MS = 3_000;
const LEASE_MS = 4_000;
const SMS_AFTER_MS = 8_000;
const STARTS_AT = '2026-11-23T00:00:00Z'; // groupPayload's startsAt

const paging = defaultPaging({ notify: 'email', smsAfter: `${SMS_AFTER_MS / 1000}s` });

const inboundUrl = inboundUrlOf;

/** The ack code every instance gives the first alert of groupPayload(name). */
function codeOf(name: string): string {
  return episodeCode(episodeOf({ source: 'alertmanager', fingerprint: `${name}-0`, startsAt: STARTS_AT }) ?? '', 0);
}

const textOf = mailText;
const senderOf = mailSender;

describe('one page per event across two regions, acks everywhere (issue 23)', function () {
  this.timeout(240_000);
  let ll: Lifelines;

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    ll = await Lifelines.start({ regions: ['a', 'b'], paging, smsExtra: (r) => `  inbound_url: ${inboundUrl(r)}` });
    await ll.waitAllSettled();
  });
  after(async () => {
    await ll?.destroy();
  });

  /** Mails mentioning `token` (a page of that event), by sender. */
  const pagesOf = (token: string): ReceivedMail[] => ll.smtp.received.filter((m) => textOf(m).includes(token));

  /** Posts a signed Twilio inbound SMS from alice to a region's Lifeline; its TwiML answer. */
  async function smsTo(region: string, body: string): Promise<string> {
    const res = await ll.smsFromAlice(region, inboundUrl(region), body, `SM${'2'.repeat(32)}`);
    assert.equal(res.status, 200);
    return res.text;
  }

  async function restartA(): Promise<void> {
    const fromB = ll.get('b').logs.length;
    await ll.restart('a');
    await ll.waitReady('a', 60_000);
    await ll.get('b').waitLogged('cluster_peer_up', 30_000, fromB, (l) => l['peer'] === 'a');
  }

  it('20 events posted to both connected instances: exactly 20 email pages at the sink, 0 duplicates, 0 lost; b records them as sent by a', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `Storm${String(i).padStart(2, '0')}x`);
    for (const n of names) assert.deepEqual(await ll.postAlert(groupPayload(n, 1)), [200, 200]);
    await waitFor('every event paged', () => names.every((n) => pagesOf(n).length >= 1), 20_000, 50);
    // b (position 1) waits peer_timeout, then finds a's sent; a late duplicate would come by then or after a lease.
    await new Promise((r) => setTimeout(r, PEER_TIMEOUT_MS + LEASE_MS + 2_000));
    const counts = names.map((n) => pagesOf(n).length);
    const senders = names.map((n) => `${n}:${pagesOf(n).map(senderOf).join('+') || 'none'}`);
    assert.deepEqual(counts, names.map(() => 1), `pages per event (by sender): ${senders.join(' ')}`);
    assert.ok(names.every((n) => pagesOf(n).every((m) => senderOf(m) === 'a')), 'a (position 0) sent them');
    const byPeer = ll.get('b').logs.filter((l) => l['event'] === 'paged_by_peer' && l['peer'] === 'a').length;
    assert.ok(byPeer >= 20, `b recorded the pages as sent by a (${byPeer})`);
  });

  it("an SMS ACK at a holds on b within 1 s: with a killed, b (now position 0) does not send the next step", async () => {
    const code = codeOf('AckMe');
    assert.deepEqual(await ll.postAlert(groupPayload('AckMe', 1)), [200, 200]);
    await waitFor('the email page', () => pagesOf('AckMe').length >= 1, 15_000, 50);
    assert.match(pagesOf('AckMe')[0] ? textOf(pagesOf('AckMe')[0] as ReceivedMail) : '', new RegExp(code), 'the page carries the episode code');
    const fromB = ll.get('b').logs.length;
    const t0 = Date.now();
    assert.match(await smsTo('a', `ACK ${code}`), new RegExp(`${code} acknowledged`));
    const acked = await ll.get('b').waitLogged('incident_acked', 5_000, fromB, (l) => l['peer'] === 'a');
    const took = Date.now() - t0;
    assert.ok(took <= 1_000, `honoured on b after ${took} ms`);
    assert.equal(acked['by'], 'alice (SMS)');
    await ll.kill('a');
    await ll.get('b').waitLogged('cluster_peer_down', 10_000, fromB, (l) => l['peer'] === 'a');
    await new Promise((r) => setTimeout(r, SMS_AFTER_MS + 2_000));
    assert.equal(ll.sms(/AckMe/).length, 0, 'no SMS step from either instance');
    await restartA();
  });

  /**
   * Posts `n` events while the SMTP server answers "try later", so that a claims their pages and
   * queues them but cannot deliver them; then SIGKILLs a and lets the SMTP server take mail again.
   */
  async function killWithClaimedPages(prefix: string, n: number): Promise<{ names: string[]; killedAt: number }> {
    const names = Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(2, '0')}x`);
    const fromA = ll.get('a').logs.length;
    ll.smtp.failNext = Array.from({ length: 100 }, () => ({ code: 451, message: '4.3.0 try again later' }));
    for (const name of names) assert.deepEqual(await ll.postAlert(groupPayload(name, 1)), [200, 200]);
    await ll.get('a').waitLogged('delivery_retry', 15_000, fromA);
    // The first page went at once, the rest in one bundle after bundle_window (1s): all claimed by a.
    await waitFor('a claimed every page', () => ll.get('a').logged('paged', fromA).reduce((k, l) => k + Number(l['pages']), 0) >= names.length, 10_000, 20);
    await ll.kill('a');
    const killedAt = Date.now();
    ll.smtp.failNext = [];
    assert.equal(names.filter((x) => pagesOf(x).length > 0).length, 0, 'a delivered none');
    return { names, killedAt };
  }

  /** Waits until every event has a page at the sink; bounded. */
  async function waitEveryPaged(names: readonly string[], timeoutMs: number): Promise<void> {
    await waitFor(`every event paged (missing: ${names.filter((n) => pagesOf(n).length === 0).join(', ')})`, () => names.every((n) => pagesOf(n).length >= 1), timeoutMs, 50);
  }

  it('SIGKILL of a mid-storm, its pages claimed but not delivered: b sends every one within claim_lease + 5 s; 0 lost', async () => {
    const { names, killedAt } = await killWithClaimedPages('Kill', 8);
    await waitEveryPaged(names, LEASE_MS + 10_000);
    const tookMs = Math.max(...names.map((n) => Math.min(...pagesOf(n).map((m) => m.atMs)))) - killedAt;
    assert.ok(tookMs <= LEASE_MS + 5_000, `the last page came ${tookMs} ms after the kill`);
    assert.ok(names.every((n) => pagesOf(n).every((m) => senderOf(m) === 'b')), 'b sent them');
    await restartA();
  });

  it('a restarted after b took over the pages it had claimed and queued: a delivers none of them (0 duplicates, 0 lost) and records them as sent by b', async () => {
    const { names } = await killWithClaimedPages('Back', 6);
    await waitEveryPaged(names, LEASE_MS + 10_000);
    const fromA = ll.get('a').logs.length;
    await restartA();
    // Before the fix a delivered its queued copies at once after the start; now it decides them once settled.
    await waitFor('a recorded every page as sent by b', () => ll.get('a').logged('paged_by_peer', fromA).filter((l) => l['peer'] === 'b').length >= names.length, 10_000, 50).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 2_000));
    const by = names.map((n) => `${n}:${pagesOf(n).map(senderOf).join('+')}`);
    assert.deepEqual(names.map((n) => pagesOf(n).length), names.map(() => 1), `pages per event (by sender): ${by.join(' ')}`);
    assert.ok(names.every((n) => pagesOf(n).every((m) => senderOf(m) === 'b')), 'b sent them');
    // At least these (b's "peer down a" incident and its notices are recorded so too).
    assert.ok(ll.get('a').logged('paged_by_peer', fromA).filter((l) => l['peer'] === 'b').length >= names.length, 'a recorded each as sent by b');
    assert.ok(ll.get('a').logged('pages_taken_back', fromA).length >= 1, 'a took its queued copies back at the start');
  });

  it('a restarted with pages claimed and queued that no peer sent (b down too): a sends each of them once, 0 lost', async () => {
    const { names } = await killWithClaimedPages('Lone', 4);
    await ll.kill('b');
    await ll.restart('a');
    await waitEveryPaged(names, 30_000);
    await new Promise((r) => setTimeout(r, 1_000));
    assert.deepEqual(names.map((n) => pagesOf(n).map(senderOf)), names.map(() => ['a']), 'one page each, from a');
    // b back: its own copies of these pages (waiting for a's claim when it died) are a's now.
    const fromA = ll.get('a').logs.length;
    await ll.restart('b');
    await ll.waitReady('b', 60_000);
    await ll.get('a').waitLogged('cluster_peer_up', 30_000, fromA, (l) => l['peer'] === 'b');
    await new Promise((r) => setTimeout(r, PEER_TIMEOUT_MS + 1_000));
    assert.deepEqual(names.map((n) => pagesOf(n).length), names.map(() => 1), 'b, back, sent none of them');
  });

  it('cut between the regions: each side pages each event at most once, 0 lost', async () => {
    const names = Array.from({ length: 5 }, (_, i) => `Cut${String(i).padStart(2, '0')}x`);
    const [fa, fb] = [ll.get('a').logs.length, ll.get('b').logs.length];
    ll.cut('b');
    await Promise.all([ll.get('a').waitLogged('cluster_peer_down', 15_000, fa), ll.get('b').waitLogged('cluster_peer_down', 15_000, fb)]);
    for (const n of names) assert.deepEqual(await ll.postAlert(groupPayload(n, 1)), [200, 200]);
    await waitFor('every event paged by both sides', () => names.every((n) => new Set(pagesOf(n).map(senderOf)).size === 2), 20_000, 50);
    await new Promise((r) => setTimeout(r, LEASE_MS + 1_000));
    for (const n of names) {
      const by = pagesOf(n).map(senderOf).sort();
      assert.deepEqual(by, ['a', 'b'], `${n}: one page per side`);
    }
    ll.heal('b');
    await Promise.all([ll.get('a').waitLogged('cluster_peer_up', 30_000, fa), ll.get('b').waitLogged('cluster_peer_up', 30_000, fb)]);
  });
});
