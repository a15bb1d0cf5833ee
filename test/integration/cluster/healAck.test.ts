import assert from 'node:assert/strict';
import { episodeOf } from '../../../src/escalation/episode.js';
import { episodeCode } from '../../../src/store/incidents.js';
import { waitFor } from '../harness/procs.js';
import type { ReceivedMail } from '../harness/smtpSink.js';
import { groupPayload } from '../harness/webhook.js';
import { Lifelines, defaultPaging, inboundUrlOf, mailSender, mailText } from './lifelines.js';

/*
 * A partition heals (issue 23): each side paged the event on its own while cut; an ack made on one
 * side during the cut reaches the other after the heal, and that side's next step does not page.
 * Timings (lifelines.ts TEST_TIMINGS): peer_timeout 3s, claim_lease 4s. Policy: email at once, SMS
 * after 25 s unless acknowledged (long enough for the heal and the catch-up to come first).
 */

const SMS_AFTER_MS = 25_000;
const STARTS_AT = '2026-11-23T00:00:00Z'; // groupPayload's startsAt
const paging = defaultPaging({ notify: 'email', smsAfter: `${SMS_AFTER_MS / 1000}s` });
const inboundUrl = inboundUrlOf;
const textOf = mailText;
const senderOf = mailSender;

describe('a partition heals: an ack made on one side stops the other side\'s escalation (integration, namespaces)', function () {
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

  it('cut: both sides page the event; ACK at a; heal: b applies the ack, and neither side sends the SMS step', async () => {
    const name = 'HealAck';
    const code = episodeCode(episodeOf({ source: 'alertmanager', fingerprint: `${name}-0`, startsAt: STARTS_AT }) ?? '', 0);
    const [fa, fb] = [ll.get('a').logs.length, ll.get('b').logs.length];
    ll.cut('b');
    await Promise.all([ll.get('a').waitLogged('cluster_peer_down', 15_000, fa), ll.get('b').waitLogged('cluster_peer_down', 15_000, fb)]);
    const postedAt = Date.now();
    assert.deepEqual(await ll.postAlert(groupPayload(name, 1)), [200, 200]);
    const pages = (): ReceivedMail[] => ll.smtp.received.filter((m) => textOf(m).includes(name) && !/RESOLVED/i.test(m.mail.subject ?? ''));
    await waitFor('the email page from each side', () => new Set(pages().map(senderOf)).size === 2, 15_000, 50);

    assert.match((await ll.smsFromAlice('a', inboundUrl('a'), `ACK ${code}`, `SM${'7'.repeat(32)}`)).text, new RegExp(`${code} acknowledged`));

    const healFrom = ll.get('b').logs.length;
    ll.heal('b');
    const acked = await ll.get('b').waitLogged('incident_acked', 20_000, healFrom, (l) => l['peer'] === 'a');
    const mergedAfterMs = Date.parse(String(acked['time'])) - postedAt;
    assert.ok(mergedAfterMs < SMS_AFTER_MS, `b applied a's ack ${mergedAfterMs} ms after the post, before its SMS step`);

    await new Promise((r) => setTimeout(r, Math.max(0, postedAt + SMS_AFTER_MS + 3_000 - Date.now())));
    assert.equal(ll.sms(new RegExp(name)).length, 0, 'no SMS step from either side');
    assert.deepEqual(pages().map(senderOf).sort(), ['a', 'b'], 'one email page per side, from the cut');
  });
});
