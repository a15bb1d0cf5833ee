import assert from 'node:assert/strict';
import { waitFor } from '../harness/procs.js';
import type { ReceivedMail } from '../harness/smtpSink.js';
import { groupPayload } from '../harness/webhook.js';
import { Lifelines, defaultPaging, mailSender, mailText } from './lifelines.js';

/*
 * Three regions in a star (a is the NATS hub, b and c leaves), a whole `lifeline run` in each,
 * every webhook posted to all three as Alertmanager does with one webhook_config per Lifeline.
 * Timings (lifelines.ts TEST_TIMINGS): peer_timeout 3s, claim_lease 4s. Position among live
 * instances by name: a 0, b 1 (waits one peer_timeout), c 2 (waits two).
 */

const PEER_TIMEOUT_MS = 3_000;
const LEASE_MS = 4_000;
const paging = defaultPaging({ notify: 'email', bundleWindow: '1s' });

const textOf = mailText;
const senderOf = mailSender;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('three regions: one page per event, and the next instance takes over (integration, namespaces)', function () {
  this.timeout(300_000);
  let ll: Lifelines;

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    ll = await Lifelines.start({ regions: ['a', 'b', 'c'], paging });
    await ll.waitAllSettled(60_000);
  });
  after(async () => {
    await ll?.destroy();
  });

  const pagesOf = (token: string): ReceivedMail[] => ll.smtp.received.filter((m) => textOf(m).includes(token));

  async function countAfterQuiet(names: readonly string[]): Promise<{ counts: number[]; senders: string }> {
    await waitFor('every event paged', () => names.every((n) => pagesOf(n).length >= 1), 30_000, 50);
    // c (position 2) waits two peer_timeouts before it looks; a late duplicate comes by then or after a lease.
    await sleep(2 * PEER_TIMEOUT_MS + LEASE_MS + 2_000);
    return { counts: names.map((n) => pagesOf(n).length), senders: names.map((n) => `${n}:${pagesOf(n).map(senderOf).join('+') || 'none'}`).join(' ') };
  }

  it('10 events posted to all three: exactly 10 pages, all from a (position 0)', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `Tri${i}x`);
    for (const n of names) assert.deepEqual(await ll.postAlert(groupPayload(n, 1)), [200, 200, 200]);
    const { counts, senders } = await countAfterQuiet(names);
    assert.deepEqual(counts, names.map(() => 1), `pages per event (by sender): ${senders}`);
    assert.ok(names.every((n) => pagesOf(n).every((m) => senderOf(m) === 'a')), senders);
  });

  it('a SIGKILLed: one "peer down" page from the survivors, and then b alone pages each new event', async () => {
    const fromB = ll.get('b').logs.length;
    const fromC = ll.get('c').logs.length;
    await ll.kill('a');
    await ll.get('b').waitLogged('cluster_peer_down', PEER_TIMEOUT_MS + 5_000, fromB, (l) => l['peer'] === 'a');
    await ll.get('c').waitLogged('cluster_peer_down', PEER_TIMEOUT_MS + 5_000, fromC, (l) => l['peer'] === 'a');
    const peerDown = await waitFor('a "peer down" page', () => {
      const got = ll.smtp.received.filter((m) => /LifelinePeerDown/.test(textOf(m)) && !/RESOLVED/i.test(m.mail.subject ?? ''));
      return got.length > 0 ? got : undefined;
    }, 15_000, 50);
    assert.ok(peerDown.every((m) => senderOf(m) !== 'a'), 'only survivors page it');
    // Both survivors heard a's last heartbeat: the alert starts at its send time on both, one
    // episode; c (position 1 among b and c) waits a peer_timeout, then finds b's page.
    await sleep(PEER_TIMEOUT_MS + LEASE_MS + 2_000);
    const downPages = ll.smtp.received.filter((m) => /LifelinePeerDown/.test(textOf(m)) && !/RESOLVED/i.test(m.mail.subject ?? ''));
    assert.equal(downPages.length, 1, `one "peer down" page from the survivors, got ${downPages.map(senderOf).join('+')}`);

    const names = Array.from({ length: 5 }, (_, i) => `After${i}x`);
    for (const n of names) assert.deepEqual(await ll.postAlert(groupPayload(n, 1), ['b', 'c']), [200, 200]);
    const { counts, senders } = await countAfterQuiet(names);
    assert.deepEqual(counts, names.map(() => 1), `pages per event (by sender): ${senders}`);
    assert.ok(names.every((n) => pagesOf(n).every((m) => senderOf(m) === 'b')), `b is position 0 among the live: ${senders}`);
  });
});
