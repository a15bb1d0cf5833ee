import assert from 'node:assert/strict';
import { Ngircd } from '../harness/ngircd.js';
import type { ReceivedMail } from '../harness/smtpSink.js';
import { Znc } from '../harness/znc.js';
import { Lifelines, defaultPaging, inboundUrlOf, mailSender, mailText } from './lifelines.js';

/*
 * The IRC path down on two clustered instances (issue 23): both Lifelines (regions a and b, each
 * its nats-server in its namespace) are on one ZNC (each its own user) in front of ngircd on host
 * loopback. The bouncer is killed: each instance sees its IRC path down at its own moment and
 * opens "IRC alert path down" after path_grace. They agree on one episode (the later adopts the
 * earlier's; at claim time position 1 moves to the one position 0 claimed), so alice gets exactly
 * one email and one SMS for it, and an ack made on b holds on a.
 * Timings (lifelines.ts TEST_TIMINGS): peer_timeout 3s, claim_lease 4s; path_grace 4s.
 */

const PATH_GRACE_MS = 4_000;
const PEER_TIMEOUT_MS = 3_000;
const paging = `${defaultPaging({ notify: 'email' })}\n  path_grace: ${PATH_GRACE_MS / 1000}s`;
const NICKS: Readonly<Record<string, string>> = { a: 'lifeline', b: 'lifeline-b' };

describe('the IRC path down on two clustered instances: one page, acks on both (integration, namespaces)', function () {
  this.timeout(180_000);
  let ircd: Ngircd;
  let znc: Znc;
  let ll: Lifelines;

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    ircd = await Ngircd.start(['#alerts']);
    znc = await Znc.start(ircd.port, ['#alerts'], undefined, undefined, ['lifeline-b']);
    const irc = (r: string): string =>
      [
        'irc:',
        '  host: 127.0.0.1',
        `  port: ${znc.port}`,
        '  tls: false',
        `  nick: ${NICKS[r] ?? r}`,
        '  bouncer: znc',
        `  password: "${znc.loginFor(NICKS[r] ?? r)}"`,
        '  channels:',
        '    - name: "#alerts"',
        '  reconnect:',
        '    initial_delay: 200ms',
        '    max_delay: 2s',
      ].join('\n');
    ll = await Lifelines.start({ regions: ['a', 'b'], paging, extra: irc, smsExtra: (r) => `  inbound_url: ${inboundUrlOf(r)}` });
    await ll.waitAllSettled();
    await Promise.all(['a', 'b'].map((r) => ll.get(r).waitLogged('irc_registered', 30_000)));
  });
  after(async () => {
    await ll?.destroy();
    await znc?.destroy();
    await ircd?.destroy();
  });

  it('the bouncer killed: exactly one "IRC alert path down" page at the SMTP server; an ACK sent to b holds on a', async () => {
    // Both joined and healthy for longer than path_grace: nothing about the path was paged yet.
    await new Promise((r) => setTimeout(r, PATH_GRACE_MS + 1_000));
    const pathMails = (): ReceivedMail[] => ll.mails(/IRC alert path down/);
    assert.equal(pathMails().length, 0, 'no path page before the bouncer dies');
    const [fa, fb] = [ll.get('a').logs.length, ll.get('b').logs.length];
    await znc.kill();
    await Promise.all([ll.get('a').waitLogged('irc_path_down', PATH_GRACE_MS + 15_000, fa), ll.get('b').waitLogged('irc_path_down', PATH_GRACE_MS + 15_000, fb)]);
    const [page] = await ll.waitMails(/IRC alert path down/, 1, 15_000);
    assert.ok(page);
    // Position 1 (b) pages only after peer_timeout; give it that and its claim lease, and more.
    await new Promise((r) => setTimeout(r, PEER_TIMEOUT_MS + 4_000 + 3_000));
    assert.equal(pathMails().length, 1, `exactly one path page; from ${pathMails().map(mailSender).join(', ')}`);
    const code = /ack ([0-9A-Z]{4})\b/.exec(mailText(page))?.[1];
    assert.ok(code, `the page carries an ack code: ${mailText(page)}`);

    const fromA = ll.get('a').logs.length;
    const answer = await ll.smsFromAlice('b', inboundUrlOf('b'), `ACK ${code}`, `SM${'5'.repeat(32)}`);
    assert.match(answer.text, new RegExp(`${code} acknowledged`), 'b knows the code of the page a sent');
    const acked = await ll.get('a').waitLogged('incident_acked', 10_000, fromA, (l) => l['peer'] === 'b');
    assert.equal(acked['code'], code, 'the ack made on b holds on a, on the same incident');
  });
});
