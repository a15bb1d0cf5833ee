import assert from 'node:assert/strict';
import { IrcPeer, plain } from '../harness/ircPeer.js';
import { Ngircd } from '../harness/ngircd.js';
import { waitFor } from '../harness/procs.js';
import { groupPayload } from '../harness/webhook.js';
import { Lifelines, TEST_TIMINGS } from './lifelines.js';
import { NATS_CLIENT_PORT } from './natsRegions.js';
import { inNs } from './netns.js';

/*
 * Issue 23 in the paging core, whole Lifelines in two regions (lifelines.ts): a peer down is an
 * incident paged by the survivor; an instance is not ready (and does not page) until settled;
 * a silence set on A holds on B within 1 s. Test timings: peer_timeout 5s (longer than a restart
 * refused by its nats-server for 1.5 s takes to connect and hear its peer), heartbeats every
 * 500ms, settle_timeout 20s; the shipped defaults are 15s, 2s and 1m.
 * Only A has IRC (ngircd, no bouncer): a command said in the channel acts on A alone, so what
 * B does comes from the cluster.
 */
describe('cluster in the paging core: peer down, settling, shared silences (issue 23)', function () {
  this.timeout(180_000);
  const PEER_TIMEOUT_MS = 5_000;
  let ll: Lifelines;
  let ircd: Ngircd;
  let alice: IrcPeer;

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    ircd = await Ngircd.start();
    const irc = `irc:
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
  allowed: ["nick:alice"]`;
    ll = await Lifelines.start({ regions: ['a', 'b'], timings: { ...TEST_TIMINGS, peerTimeout: `${PEER_TIMEOUT_MS / 1000}s` }, extra: (r) => (r === 'a' ? irc : '') });
    await ll.waitAllSettled();
    alice = await IrcPeer.connect(ircd.port, 'alice');
    await waitFor('lifeline-a in #alerts', () => alice.lines.some((l) => /JOIN/.test(l) && l.startsWith(':lifeline-a!')) || alice.lines.some((l) => / 353 .*lifeline-a/.test(l)), 15_000);
  });
  after(async () => {
    if (process.env['CLUSTER_DEBUG']) for (const i of ll?.instances.values() ?? []) console.log(i.name, i.logs.filter((l) => l['event'] !== 'http_request').map((l) => `${String(l['time'])} ${String(l['event'])} ${String(l['msg'])}`).join('\n'));
    alice?.close();
    await ll?.destroy();
    await ircd?.destroy();
  });

  /** When a log line was written (its ISO `time`), in epoch ms. */
  const loggedAt = (l: Record<string, unknown>): number => Date.parse(String(l['time']));

  it('a silence set on A (IRC) holds on B within 1 s: an alert posted to both then pages nobody; unsilenced on A, it ends on B within 1 s too', async () => {
    // A mirror made a moment ago pulls its first message on its own retry (10 ms to 1.5 s, see
    // cluster.test.ts): one silence through it first, then the one measured.
    const [wa, wb] = [ll.get('a').logs.length, ll.get('b').logs.length];
    alice.send('PRIVMSG #alerts :!silence alertname=WarmUp 1m');
    await ll.get('a').waitLogged('silence_created', 10_000, wa);
    await ll.get('b').waitLogged('silence_created', 10_000, wb, (l) => l['from'] === 'a');
    const [fa, fb] = [ll.get('a').logs.length, ll.get('b').logs.length];
    const start = alice.lines.length;
    alice.send('PRIVMSG #alerts :!silence alertname=SilencedOnA 1h');
    await waitFor('A confirms the silence', () => alice.lines.slice(start).some((l) => /silence #\d+ set by alice/.test(plain(l))), 10_000);
    const onA = await ll.get('a').waitLogged('silence_created', 5_000, fa);
    assert.match(String(onA['matchers']), /SilencedOnA/);
    const onB = await ll.get('b').waitLogged('silence_created', 5_000, fb, (l) => l['from'] === 'a');
    const took = loggedAt(onB) - loggedAt(onA);
    console.log(`      silence set on A → in force on B: ${took} ms`);
    assert.ok(took <= 1_000, `the silence held on B ${took} ms after A set it (at most 1 s)`);
    assert.equal(onB['matchers'], onA['matchers']);

    // Both instances get both alerts; the silenced one pages nobody, the other pages (the control).
    assert.deepEqual(await ll.postAlert(groupPayload('SilencedOnA', 1)), [200, 200]);
    assert.deepEqual(await ll.postAlert(groupPayload('ControlNotSilenced', 1)), [200, 200]);
    await ll.waitMails(/ControlNotSilenced/, 1, 15_000);
    await ll.waitSms(/ControlNotSilenced/, 1, 15_000);
    await new Promise((r) => setTimeout(r, 2_000)); // the bundle window (1 s) and then some
    assert.equal(ll.mails(/SilencedOnA/).length, 0, 'no email for the silenced alert, from either instance');
    assert.equal(ll.sms(/SilencedOnA/).length, 0, 'no SMS for the silenced alert, from either instance');

    const idA = Number(onA['silence']);
    const [ea, eb] = [ll.get('a').logs.length, ll.get('b').logs.length];
    alice.send(`PRIVMSG #alerts :!unsilence ${idA}`);
    const endA = await ll.get('a').waitLogged('silence_ended', 5_000, ea);
    const endB = await ll.get('b').waitLogged('silence_ended', 5_000, eb);
    const tookEnd = loggedAt(endB) - loggedAt(endA);
    console.log(`      unsilence on A → ended on B: ${tookEnd} ms`);
    assert.ok(tookEnd <= 1_000, `the silence ended on B ${tookEnd} ms after A ended it (at most 1 s)`);
    assert.equal(endB['by'], 'alice (on a)');
    // Released on B exactly as a local unsilence: the alert that fired under it now opens its incident and pages.
    assert.ok(Array.isArray(endB['opened']) && (endB['opened'] as unknown[]).length === 1, `B opened the incident held back: ${JSON.stringify(endB)}`);
    await ll.waitMails(/SilencedOnA/, 1, 15_000);
  });

  it("restart: /readyz answers 503 with the reason until the instance has settled (its region's nats-server refusing it for 1.5 s meanwhile), then 200", async () => {
    const b = ll.get('b');
    const ns = ll.regions.nets.regions.get('b')?.ns ?? '';
    await ll.kill('b');
    const from = b.logs.length;
    // Region b's server refuses connections from the host for 1.5 s (TCP reset; its leaf link to the
    // hub is untouched): B cannot connect, so cannot settle, until the rule goes.
    const nft = (...args: string[]): string => inNs(ns, 'nft', args);
    nft('add', 'table', 'inet', 'llrefuse');
    nft('add', 'chain', 'inet', 'llrefuse', 'in', '{ type filter hook input priority -10 ; policy accept ; }');
    nft('add', 'rule', 'inet', 'llrefuse', 'in', 'iifname', 'h0', 'tcp', 'dport', String(NATS_CLIENT_PORT), 'reject', 'with', 'tcp', 'reset');
    let thawed = false;
    try {
      await ll.restart('b');
      const frozen: Array<{ status: number; cluster: unknown }> = [];
      const until = Date.now() + 1_500;
      for (let i = 0; i < 200 && Date.now() < until; i++) {
        const r = await ll.readyz('b');
        frozen.push({ status: r.status, cluster: (r.body['checks'] as Record<string, unknown>)['cluster'] });
        await new Promise((res) => setTimeout(res, 50));
      }
      assert.ok(frozen.length >= 5);
      assert.ok(frozen.every((a) => a.status === 503), `503 while not settled: ${JSON.stringify(frozen.filter((a) => a.status !== 503))}`);
      assert.match(String(frozen[0]?.cluster), /^not settled: not yet connected to this region's nats-server/);
      nft('delete', 'table', 'inet', 'llrefuse');
      thawed = true;
      const answers: Array<{ status: number; cluster: unknown; settledLogged: boolean }> = [];
      await waitFor('b ready', async () => {
        const r = await ll.readyz('b');
        answers.push({ status: r.status, cluster: (r.body['checks'] as Record<string, unknown>)['cluster'], settledLogged: b.logged('cluster_settled', from).length > 0 });
        return r.status === 200;
      }, 30_000, 10);
      console.log(`      /readyz after restart: ${frozen.length + answers.length - 1} × 503 (first: ${JSON.stringify(frozen[0]?.cluster)}), then 200`);
      assert.equal(answers.at(-1)?.cluster, 'settled');
      await b.waitLogged('cluster_settled', 2_000, from);
    } finally {
      if (!thawed) nft('delete', 'table', 'inet', 'llrefuse');
    }
    await b.waitLogged('cluster_peer_up', 5_000, from);
    assert.equal(b.logged('cluster_peer_down', from).length, 0, 'no peer went down meanwhile');
  });

  it('partition: each side pages "peer unreachable" about the other (duplicates over loss); healed, both resolve', async () => {
    const n = ll.smtp.received.length;
    const cutAt = Date.now();
    ll.cut('b');
    assert.equal(await ll.regions.leafCount(), 0, 'the hub lists no leaf during the cut');
    // peer_timeout, plus up to 2 s for the question to the peer's region, plus the page itself.
    const [onA] = await ll.waitMails(/LifelinePeerUnreachable b/, 1, PEER_TIMEOUT_MS + 5_000);
    const [onB] = await ll.waitMails(/LifelinePeerUnreachable a/, 1, PEER_TIMEOUT_MS + 5_000);
    console.log(`      cut → "peer unreachable" emails: from A ${(onA?.atMs ?? NaN) - cutAt} ms, from B ${(onB?.atMs ?? NaN) - cutAt} ms`);
    assert.match(onA?.mail.text ?? '', /Lifeline peer b unreachable from a/);
    assert.match(onB?.mail.text ?? '', /Lifeline peer a unreachable from b/);
    ll.heal('b');
    await ll.waitMails(/RESOLVED LifelinePeerUnreachable b/, 1, 40_000);
    await ll.waitMails(/RESOLVED LifelinePeerUnreachable a/, 1, 40_000);
    assert.equal(ll.mails(/\[CRITICAL\] LifelinePeerUnreachable/).length, 2, 'one page per side');
    assert.equal(ll.smtp.received.slice(0, n).filter((m) => /LifelinePeer/.test(m.mail.subject ?? '')).length, 0, 'no peer page before the cut');
  });

  it("B's own nats-server killed: B pages \"this region's NATS is down\" and nothing about A, A pages \"peer b unreachable\"; server back: both resolve", async () => {
    const n = ll.smtp.received.length;
    const fromB = ll.get('b').logs.length;
    await ll.regions.servers.get('b')?.proc.kill();
    const [natsDown] = await ll.waitMails(/LifelineNatsDown b/, 1, PEER_TIMEOUT_MS + 5_000);
    assert.match(natsDown?.mail.text ?? '', /this region's NATS is down: Lifeline b cannot reach its nats-server/);
    await waitFor('A pages "peer b unreachable"', () => ll.smtp.received.slice(n).some((m) => /^\[CRITICAL\] LifelinePeerUnreachable b/.test(m.mail.subject ?? '')), PEER_TIMEOUT_MS + 5_000);
    assert.equal(ll.smtp.received.slice(n).filter((m) => /LifelinePeer\w+ a/.test(m.mail.subject ?? '')).length, 0, 'B says nothing about A: it knows nothing of it');
    assert.deepEqual(ll.get('b').logged('cluster_peer_down', fromB).map((l) => l['reason']), ['local']);
    await ll.regions.restartServer('b');
    await ll.waitMails(/RESOLVED LifelineNatsDown b/, 1, 30_000);
    await waitFor('A resolves "peer b unreachable"', () => ll.smtp.received.slice(n).some((m) => /RESOLVED LifelinePeerUnreachable b/.test(m.mail.subject ?? '')), 30_000);
  });

  it(`SIGKILL of A: B pages "peer a is down" within peer_timeout + 5 s (peer_timeout ${PEER_TIMEOUT_MS / 1000}s here); A back: the resolved notice`, async () => {
    const before = ll.mails(/LifelinePeerDown a/).length;
    const killedAt = Date.now();
    await ll.kill('a');
    const [mail] = (await ll.waitMails(/LifelinePeerDown a/, before + 1, PEER_TIMEOUT_MS + 5_000)).slice(before);
    const took = (mail?.atMs ?? NaN) - killedAt;
    console.log(`      SIGKILL of A → B's "peer down" email: ${took} ms (subject: ${mail?.mail.subject})`);
    assert.ok(took <= PEER_TIMEOUT_MS + 5_000);
    assert.deepEqual(mail?.envelopeTo, ['alice@example.org']);
    assert.match(mail?.mail.text ?? '', /Lifeline peer a is down: its region's nats-server answers b/);
    await ll.waitSms(/LifelinePeerDown a/, 1, 5_000);
    const downOnB = ll.get('b').logged('cluster_peer_down').at(-1);
    assert.equal(downOnB?.['reason'], 'silent');

    const n = ll.smtp.received.length;
    await ll.restart('a');
    const resolved = await waitFor('the resolved notice', () => ll.smtp.received.slice(n).find((m) => /resolved/i.test(m.mail.subject ?? '') && /LifelinePeerDown a/.test(`${m.mail.subject} ${m.mail.text}`)), 40_000);
    console.log(`      A back → resolved notice: ${resolved.mail.subject}`);
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(ll.mails(/^\[CRITICAL\] LifelinePeerDown a/).length, before + 1, 'one "peer down" email: only B pages, once');
  });
});
