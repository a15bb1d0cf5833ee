import assert from 'node:assert/strict';
import { episodeOf } from '../../../src/escalation/episode.js';
import { episodeCode } from '../../../src/store/incidents.js';
import { IrcPeer, plain } from '../harness/ircPeer.js';
import { Ngircd } from '../harness/ngircd.js';
import { waitFor } from '../harness/procs.js';
import { groupPayload } from '../harness/webhook.js';
import { Lifelines, defaultPaging, inboundUrlOf, mailSender, mailText } from './lifelines.js';

/*
 * Operator actions made on one instance hold on the other (issue 23), whole Lifelines in two
 * regions (lifelines.ts): `!unack` on A reopens the incident on B too, and its next step goes once;
 * a maintenance window only in A's config mutes an alert posted to B alone, and ends there at its
 * time. Only A has IRC (ngircd, no bouncer) and the window, so what B does comes from the cluster.
 * Timings (lifelines.ts TEST_TIMINGS): peer_timeout 3s, claim_lease 4s, heartbeats every 500ms.
 * Policy: email at once, SMS after 30 s unless acknowledged.
 */

const PEER_TIMEOUT_MS = 3_000;
const LEASE_MS = 4_000;
const STARTS_AT = '2026-11-23T00:00:00Z'; // groupPayload's startsAt
/** How long after the start of the suite a's window ends (long enough for the start and the first test). */
const WINDOW_MS = 75_000;

describe('operator actions on one instance hold on the other: unack, maintenance windows (issue 23)', function () {
  this.timeout(240_000);
  let ll: Lifelines;
  let ircd: Ngircd;
  let alice: IrcPeer;
  /** Set when the suite starts, not when mocha loads the file (in a full run that is minutes earlier). */
  let windowEndMs = 0;

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    windowEndMs = Date.now() + WINDOW_MS;
    ircd = await Ngircd.start();
    const onA = `irc:
  host: 127.0.0.1
  port: ${ircd.port}
  tls: false
  nick: lifeline-a
  bouncer: none
  channels:
    - name: "#alerts"
  reconnect:
    initial_delay: 200ms
    max_delay: 2s
commands:
  allowed: ["nick:alice"]
maintenance:
  - { name: db-upgrade, match: { alertname: "~Maint.*" }, from: "${new Date(windowEndMs - 3_600_000).toISOString()}", to: "${new Date(windowEndMs).toISOString()}" }`;
    ll = await Lifelines.start({ regions: ['a', 'b'], paging: defaultPaging({ notify: 'email', smsAfter: '30s' }), smsExtra: (r) => `  inbound_url: ${inboundUrlOf(r)}`, extra: (r) => (r === 'a' ? onA : '') });
    await ll.waitAllSettled();
    alice = await IrcPeer.connect(ircd.port, 'alice');
    await waitFor('lifeline-a in #alerts', () => alice.lines.some((l) => /JOIN/.test(l) && l.startsWith(':lifeline-a!')) || alice.lines.some((l) => / 353 .*lifeline-a/.test(l)), 15_000);
  });
  after(async () => {
    alice?.close();
    await ll?.destroy();
    await ircd?.destroy();
  });

  /** GET /api/v1/status of a region's Lifeline: its maintenance windows in force. */
  async function windowsOn(region: string): Promise<unknown> {
    const r = await fetch(`http://127.0.0.1:${ll.get(region).httpPort}/api/v1/status`, { signal: AbortSignal.timeout(3_000) });
    return ((await r.json()) as Record<string, unknown>)['maintenance'];
  }

  it("a window only in a's config mutes an alert posted to b alone (no page from b), and ends there at its time: then b pages it", async () => {
    await waitFor("a's window in force on b", async () => JSON.stringify(await windowsOn('b')) === JSON.stringify([{ name: 'db-upgrade', peer: 'a' }]), 10_000, 100);
    assert.deepEqual(await windowsOn('a'), [{ name: 'db-upgrade', peer: null }], 'on a: its own config');
    assert.ok(Date.now() < windowEndMs - 10_000, `the suite started too slowly for the window (${windowEndMs - Date.now()} ms left)`);
    assert.deepEqual(await ll.postAlert(groupPayload('MaintDb', 1), ['b']), [200]);
    assert.deepEqual(await ll.postAlert(groupPayload('ControlNotInWindow', 1), ['b']), [200]);
    // b is at position 1: its pages wait peer_timeout; the control shows when one would have gone.
    await ll.waitMails(/ControlNotInWindow/, 1, PEER_TIMEOUT_MS + 10_000);
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(ll.mails(/MaintDb/).length, 0, 'no page for the alert in the window');
    await new Promise((r) => setTimeout(r, Math.max(0, windowEndMs - Date.now() - 1_000)));
    assert.equal(ll.mails(/MaintDb/).length, 0, 'none until the window ends');
    const [mail] = await ll.waitMails(/MaintDb/, 1, PEER_TIMEOUT_MS + 12_000);
    console.log(`      window end → b's page: ${(mail?.atMs ?? NaN) - windowEndMs} ms`);
    assert.ok((mail?.atMs ?? 0) >= windowEndMs, 'paged after the window ended');
    assert.equal(mailSender(mail as NonNullable<typeof mail>), 'b');
    assert.deepEqual(await windowsOn('b'), []);
  });

  it('!unack on a after an ack: b reopens the incident too and escalates again; its next step (SMS) is sent once, not twice', async () => {
    const name = 'UnackMe';
    const code = episodeCode(episodeOf({ source: 'alertmanager', fingerprint: `${name}-0`, startsAt: STARTS_AT }) ?? '', 0);
    assert.deepEqual(await ll.postAlert(groupPayload(name, 1)), [200, 200]);
    await waitFor('the email page', () => ll.smtp.received.some((m) => mailText(m).includes(name)), 15_000, 50);
    const fromB = ll.get('b').logs.length;
    const start = alice.lines.length;
    alice.send(`PRIVMSG #alerts :!ack ${code}`);
    await waitFor('a confirms the ack', () => alice.lines.slice(start).some((l) => new RegExp(`${code}.*acknowledged`, 'i').test(plain(l))), 10_000);
    await ll.get('b').waitLogged('incident_acked', 5_000, fromB, (l) => l['peer'] === 'a');
    const fromB2 = ll.get('b').logs.length;
    const t0 = Date.now();
    alice.send(`PRIVMSG #alerts :!unack ${code}`);
    const reopened = await ll.get('b').waitLogged('incident_unacked', 5_000, fromB2, (l) => l['peer'] === 'a');
    const took = Date.parse(String(reopened['time'])) - t0;
    console.log(`      !unack on a → reopened on b: ${took} ms`);
    assert.ok(took <= 1_000, `reopened on b ${took} ms after the !unack (at most 1 s)`);
    assert.equal(reopened['by'], 'alice');
    // Escalation resumes at once on both (as after a local !unack): a sends the SMS step, b (position 1)
    // waits peer_timeout, finds a's sent and records it as a's.
    await ll.waitSms(new RegExp(name), 1, 10_000);
    await ll.get('b').waitLogged('paged_by_peer', PEER_TIMEOUT_MS + LEASE_MS + 5_000, fromB2, (l) => l['channel'] === 'sms' && l['peer'] === 'a');
    await new Promise((r) => setTimeout(r, LEASE_MS + 1_000));
    assert.equal(ll.sms(new RegExp(name)).length, 1, 'one SMS for the next step, from a');
  });
});
