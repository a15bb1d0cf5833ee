import assert from 'node:assert/strict';
import { join } from 'node:path';
import { IrcPeer } from '../harness/ircPeer.js';
import { freePort, startProcess, testConfigYaml } from '../harness/lifeline.js';
import { Ngircd } from '../harness/ngircd.js';
import { tempDir, waitFor, type ServerProcess } from '../harness/procs.js';
import { groupPayload, postWebhook } from '../harness/webhook.js';
import { Znc } from '../harness/znc.js';
import { ZncClient } from '../harness/zncClient.js';
import { LoopbackNats } from './loopbackNats.js';

/**
 * Issue 23, IRC with two Lifeline instances (whole `lifeline run` processes), each its own ZNC
 * user and nick (a: lifeline, b: lifeline-b) on Debian's ZNC in front of ngircd, and a real
 * cluster (two nats-servers, hub and leaf, on loopback). Only the first live instance by name (a)
 * posts and answers; b holds its lines and covers the ones a posted; a SIGKILLed → b posts.
 */
describe('IRC with two clustered instances: one posts, one holds (integration)', function () {
  this.timeout(180_000);
  const PEER_TIMEOUT_MS = 3_000;
  const IRC_TAKEOVER_MS = 6_000;
  let ircd: Ngircd;
  let znc: Znc;
  let nats: LoopbackNats;
  let alice: IrcPeer;
  const procs = new Map<string, ServerProcess>();
  const ports = new Map<string, number>();
  const tmp = tempDir('irc-cluster');

  /** JSON log records of an instance with this event. */
  const events = (name: string, event: string): Array<Record<string, unknown>> =>
    (procs.get(name)?.output.join('') ?? '')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => { try { return JSON.parse(l) as Record<string, unknown>; } catch { return {}; } })
      .filter((r) => r['event'] === event);
  const fromNick = (nick: string, text: string): number => alice.messages.filter((m) => m.from === nick && m.target === '#alerts' && m.text.includes(text)).length;

  async function start(name: 'a' | 'b', peer: 'a' | 'b', nick: string): Promise<void> {
    const dir = join(tmp.dir, name);
    (await import('node:fs')).mkdirSync(dir, { recursive: true });
    const httpPort = await freePort();
    ports.set(name, httpPort);
    const peerNick = peer === 'a' ? 'lifeline' : 'lifeline-b';
    const yaml = testConfigYaml({
      httpPort,
      dbPath: join(dir, 'state.db'),
      irc: { port: znc.port, password: znc.loginFor(nick), nick },
      extra: `cluster:
  name: ${name}
  peers: [{ name: ${peer}, irc_nick: ${peerNick} }]
  nats_url: ${nats.url(name)}
  heartbeat_interval: 500ms
  peer_timeout: ${PEER_TIMEOUT_MS}ms
  settle_timeout: 5s
  irc_takeover: ${IRC_TAKEOVER_MS}ms
`,
    }).replace(/^ {2}level: \w+$/m, '  level: info');
    procs.set(name, await startProcess(dir, yaml, httpPort));
  }

  before(async () => {
    ircd = await Ngircd.start(['#alerts']);
    znc = await Znc.start(ircd.port, ['#alerts'], undefined, { rate: 0.5, burst: 4 }, ['lifeline-b']);
    nats = await LoopbackNats.start('a', 'b');
    alice = await IrcPeer.connect(ircd.port, 'alice');
    await start('a', 'b', 'lifeline');
    await start('b', 'a', 'lifeline-b');
    // b stands by once it hears a (before that each thinks it is alone and first).
    await waitFor('b holds its lines (it hears a)', () => events('b', 'irc_standby').length > 0 && events('a', 'irc_posting').length > 0, 30_000, 100);
    await waitFor('both nicks in #alerts', () => ['lifeline', 'lifeline-b'].every((n) => alice.lines.some((l) => l.startsWith(`:${n}!`) && l.includes(' JOIN '))), 30_000);
  });
  after(async () => {
    for (const p of procs.values()) await p.kill().catch(() => undefined);
    alice?.close();
    await znc?.destroy();
    await ircd?.destroy();
    await nats?.destroy();
    tmp.remove();
  });

  it('an alert posted to both instances appears in the channel once, from the poster; the standby covers its held line', async () => {
    const payload = groupPayload('DiskFull');
    assert.equal(await postWebhook(ports.get('a') ?? 0, payload), 200);
    assert.equal(await postWebhook(ports.get('b') ?? 0, payload), 200);
    await waitFor('the poster\'s line in the channel', () => fromNick('lifeline', 'DiskFull') > 0, 30_000);
    await waitFor('b covered its held line', () => events('b', 'irc_held_covered').length > 0, 15_000, 100);
    assert.equal(fromNick('lifeline', 'DiskFull'), 1);
    assert.equal(fromNick('lifeline-b', 'DiskFull'), 0);
    assert.equal(events('b', 'sent').filter((r) => String(r['destination']).startsWith('irc:')).length, 0, 'the standby claims nothing sent');
  });

  it('a command said in the channel is answered once (by the poster), acted on once', async () => {
    const before = alice.messages.length;
    alice.send('PRIVMSG #alerts :!help');
    await waitFor('the poster answers', () => alice.messages.slice(before).some((m) => m.from === 'lifeline'), 20_000);
    // b answers (if it did) at once, not through any queue of alerts: its line would come within this.
    alice.send('PRIVMSG #alerts :marker-after-help');
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(alice.messages.slice(before).filter((m) => m.from === 'lifeline-b').length, 0, 'the standby does not answer');
  });

  it('a command sent privately to the standby\'s nick reaches it alone: it answers (by notice)', async () => {
    const before = alice.lines.length;
    alice.send('PRIVMSG lifeline-b :!help');
    await waitFor('the standby\'s notice', () => alice.lines.slice(before).some((l) => /^:lifeline-b!\S* NOTICE alice :/.test(l)), 20_000);
  });

  it('the poster alive but its lines stop arriving (its ZNC user off the network): the standby takes over within irc_takeover + 5 s, and hands back when the poster\'s lines are seen again', async () => {
    const admin = await ZncClient.connect(znc.port, znc.loginFor('lifeline'));
    try {
      const quits = alice.lines.length;
      admin.send('PRIVMSG *status :Disconnect');
      await waitFor('the poster\'s nick leaves the network', () => alice.lines.slice(quits).some((l) => /^:lifeline!\S* QUIT/.test(l)), 20_000);
      const t0 = Date.now();
      const payload = groupPayload('PathBroken');
      assert.equal(await postWebhook(ports.get('a') ?? 0, payload), 200);
      assert.equal(await postWebhook(ports.get('b') ?? 0, payload), 200);
      await waitFor('the standby posts it', () => fromNick('lifeline-b', 'PathBroken') > 0, IRC_TAKEOVER_MS + 15_000, 50);
      const tookMs = Date.now() - t0;
      console.log(`      the standby took over ${tookMs} ms after the alert (irc_takeover ${IRC_TAKEOVER_MS} ms)`);
      assert.ok(tookMs <= IRC_TAKEOVER_MS + 5_000, `${tookMs} ms`);
      assert.equal(events('b', 'irc_takeover').length, 1);
      const joins = alice.lines.length;
      admin.send('PRIVMSG *status :Connect');
      await waitFor('the poster\'s nick back in the channel', () => alice.lines.slice(joins).some((l) => /^:lifeline!\S* JOIN/.test(l)), 30_000);
      // The next alert: the poster posts it (the standby, still posting, too: duplicates over loss),
      // the standby sees the poster's line and holds its lines again.
      const back = groupPayload('PathBack');
      assert.equal(await postWebhook(ports.get('a') ?? 0, back), 200);
      assert.equal(await postWebhook(ports.get('b') ?? 0, back), 200);
      await waitFor('the standby hands back', () => events('b', 'irc_handed_back').length === 1, 30_000, 100);
      // The poster now holds PathBroken while its ZNC is off the network and posts it first when
      // back (that line is what the standby sees); PathBack follows one ZNC flood slot (2 s) later.
      await waitFor('the poster posts PathBack', () => fromNick('lifeline', 'PathBack') >= 1, 10_000, 100);
    } finally {
      admin.close();
    }
  });

  it(`the poster SIGKILLed: a line the standby held (the poster never had it) is posted by the standby within peer_timeout + 5 s`, async () => {
    assert.equal(await postWebhook(ports.get('b') ?? 0, groupPayload('OnlyB')), 200);
    const t0 = Date.now();
    await procs.get('a')?.kill();
    await waitFor('the standby posts the held line', () => fromNick('lifeline-b', 'OnlyB') > 0, PEER_TIMEOUT_MS + 15_000, 50);
    const tookMs = Date.now() - t0;
    console.log(`      held line posted by the standby ${tookMs} ms after the poster was killed (peer_timeout ${PEER_TIMEOUT_MS} ms)`);
    assert.ok(tookMs <= PEER_TIMEOUT_MS + 5_000, `${tookMs} ms`);
    assert.equal(fromNick('lifeline', 'OnlyB'), 0);
    // And b now answers commands.
    const before = alice.messages.length;
    alice.send('PRIVMSG #alerts :!help');
    await waitFor('the standby answers now', () => alice.messages.slice(before).some((m) => m.from === 'lifeline-b'), 20_000);
  });
});
