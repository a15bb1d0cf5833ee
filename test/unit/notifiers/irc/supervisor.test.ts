import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Client } from 'irc-framework';
import { NotifyError } from '../../../../src/errors.js';
import { parseConfig } from '../../../../src/config/load.js';
import { ircPathMonitor } from '../../../../src/escalation/ircPath.js';
import { OUT_LIMIT_MS, REJOIN_GRACE_MS } from '../../../../src/notifiers/irc/channels.js';
import { IrcNotifier } from '../../../../src/notifiers/irc/notifier.js';
import { IrcSupervisor } from '../../../../src/notifiers/irc/supervisor.js';
import { silentLogger } from '../../../../src/observability/logger.js';
import { FakeClock } from '../../fakeClock.js';

/**
 * A stand-in for irc-framework's Client that records what is written and lets the test play the
 * server. (Protocol behaviour against real servers is covered by the integration tests.)
 */
class FakeClient extends EventEmitter {
  written: string[] = [];
  connects = 0;
  ended = false;
  user = { nick: '', username: '', host: '' };
  echo = false;
  network = { name: '', options: {}, supports: () => undefined, cap: { isEnabled: (c: string) => c === 'echo-message' && this.echo } };
  connection = { connected: true, end: () => void (this.ended = true), transport: null };
  connect(): void {
    this.connects++;
  }
  raw(line: string): void {
    this.written.push(line);
  }
  join(channel: string): void {
    this.written.push(`JOIN ${channel}`);
  }
  quit(): void {
    this.written.push('QUIT');
  }
  changeNick(n: string): void {
    this.written.push(`NICK ${n}`);
  }
  /** Server says something (raw line + parsed event as irc-framework would emit). */
  serverLine(line: string): void {
    this.emit('raw', { line, from_server: true });
  }
  /** A line from our own nick, as the bouncer's echo or the network's delivery would arrive. */
  own(target: string, text: string, nick = 'lifeline'): void {
    this.serverLine(`:${nick}!l@h PRIVMSG ${target} :${text}`);
    this.emit('privmsg', { nick, ident: 'l', hostname: 'h', target, message: text });
  }
  /** Echoes every PRIVMSG written since the last call, as ZNC does with echo-message. */
  echoWritten(from = 0): number {
    const lines = this.written.slice(from).filter((l) => l.startsWith('PRIVMSG '));
    for (const l of lines) {
      const m = /^PRIVMSG ([^ ]+) :(.*)$/.exec(l)!;
      this.own(m[1]!, m[2]!);
    }
    return this.written.length;
  }
  /** A line from ZNC's *status to us (irc-framework's raw and privmsg events, as for ZNC's own lines). */
  status(text: string): void {
    this.serverLine(`:*status!znc@znc.in PRIVMSG lifeline :${text}`);
    this.emit('privmsg', { nick: '*status', ident: 'znc', hostname: 'znc.in', target: 'lifeline', message: text });
  }
  /** ZNC back on its network, as it tells every client (channels.ts): "Connected!" and the network's 001. */
  upstreamBack(server = 'irc.test'): void {
    this.status('Connected!');
    this.serverLine(`:${server} 001 lifeline :Welcome to the Internet Relay Network`);
  }
  register(nick = 'lifeline', server = 'irc.test'): void {
    this.serverLine(`:${server} 001 ${nick} :Welcome`);
    this.emit('registered', { nick });
    this.emit('join', { nick, channel: '#alerts' });
  }
}

function setup(extra = '', echo = false): { sup: IrcSupervisor; clock: FakeClock; clients: FakeClient[] } {
  const cfg = parseConfig(`irc:\n  host: znc.test\n  nick: lifeline\n  bouncer: znc\n  channels: [{ name: "#alerts" }]\n${extra}`, 't.yaml', {}).irc!;
  const clock = new FakeClock();
  const clients: FakeClient[] = [];
  const sup = new IrcSupervisor(cfg, clock, silentLogger(), () => {
    const c = new FakeClient();
    c.echo = echo;
    clients.push(c);
    return c as unknown as Client;
  }, () => 0.5);
  return { sup, clock, clients };
}

/**
 * A registered supervisor with an echoing bouncer and the canary every 2 min (30 s timeout),
 * recording what it reports lost and what it confirms.
 */
function watchedByCanary(): ReturnType<typeof setup> & { lost: string[]; confirmed: number[] } {
  const r = setup('  canary: { interval: 2m, timeout: 30s }\n', true);
  const lost: string[] = [];
  const confirmed: number[] = [];
  r.sup.on('network-lost', (why) => lost.push(why));
  r.sup.on('network-confirmed', (m) => confirmed.push(m));
  r.sup.start();
  r.clients[0]!.register();
  return { ...r, lost, confirmed };
}


describe('IrcSupervisor (fake clock, fake client)', () => {
  it('retries forever with capped backoff when connections fail, including the first', () => {
    const { sup, clock, clients } = setup('  reconnect: { initial_delay: 1s, max_delay: 8s }\n');
    sup.start();
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const n = clients.length;
      clients.at(-1)!.emit('socket close', new Error('ECONNREFUSED'));
      const t0 = clock.now();
      for (let k = 0; k < 100 && clients.length === n; k++) clock.advance(100);
      delays.push(clock.now() - t0);
    }
    assert.deepEqual(delays, [800, 1500, 3000, 6000, 6000, 6000, 6000, 6000]); // equal jitter at 0.5, capped at 8 s
    assert.equal(sup.state.link, 'connecting');
    assert.match(sup.state.lastError ?? '', /ECONNREFUSED/);
  });

  it('finds a silent link within ping interval + ping timeout and reconnects', () => {
    const { sup, clock, clients } = setup('  ping_interval: 45s\n  ping_timeout: 45s\n  canary: { enabled: false }\n');
    sup.start();
    clients[0]!.register();
    assert.equal(sup.state.link, 'registered');
    clock.advance(45_000);
    assert.ok(clients[0]!.written.some((l) => l.startsWith('PING :lifeline-')), 'PING after 45 s of silence');
    clock.advance(44_999);
    assert.equal(sup.state.link, 'registered');
    clock.advance(1);
    assert.equal(sup.state.link, 'disconnected');
    assert.match(sup.state.lastError ?? '', /no data from the server for 90s \(no reply to PING within 45s\)/);
    assert.ok(clients[0]!.ended, 'the dead socket is destroyed');
  });

  it('any data from the server keeps the link alive', () => {
    const { sup, clock, clients } = setup('  ping_interval: 45s\n  ping_timeout: 45s\n  canary: { enabled: false }\n');
    sup.start();
    clients[0]!.register();
    for (let i = 0; i < 10; i++) {
      clock.advance(60_000);
      clients[0]!.serverLine(':irc.test PONG irc.test :x');
    }
    assert.equal(sup.state.link, 'registered');
  });

  it('tracks ZNC upstream separately from the link', () => {
    const { sup, clients } = setup('  canary: { enabled: false }\n');
    sup.start();
    clients[0]!.register('lifeline', 'irc.znc.in');
    assert.equal(sup.state.link, 'registered');
    assert.equal(sup.state.upstream, 'down', 'fake 001 from irc.znc.in');
    clients[0]!.emit('privmsg', { nick: '*status', ident: 'znc', hostname: 'znc.in', target: 'lifeline', message: 'Connected!' });
    assert.equal(sup.state.upstream, 'up');
    clients[0]!.emit('privmsg', { nick: '*status', ident: 'znc', hostname: 'znc.in', target: 'lifeline', message: 'Disconnected from IRC. Reconnecting...' });
    assert.equal(sup.state.upstream, 'down');
    assert.equal(sup.state.link, 'registered');
  });

  it('a canary that does not come back marks the path failing; a late one still counts', () => {
    const { sup, clock, clients } = setup('  canary: { interval: 10s, timeout: 5s }\n');
    sup.start();
    clients[0]!.register();
    clock.advance(5_000); // first canary 5 s after registering
    const first = clients[0]!.written.find((l) => l.startsWith('PRIVMSG lifeline :lifeline-canary'))!;
    clock.advance(5_000);
    assert.equal(sup.state.canary.failing, true);
    assert.equal(sup.state.upstream, 'down');
    clients[0]!.own('lifeline', first.slice('PRIVMSG lifeline :'.length));
    assert.equal(sup.state.canary.failing, false, 'the canary proves the path even late');
    assert.equal(sup.state.upstream, 'up');
  });

  it('joins with the configured channels and rejoins after a kick', () => {
    const { sup, clock, clients } = setup('  rejoin_delay: 2s\n  canary: { enabled: false }\n');
    sup.start();
    clients[0]!.register();
    assert.deepEqual(sup.state.joined, ['#alerts']);
    clients[0]!.emit('kick', { kicked: 'lifeline', channel: '#alerts', nick: 'op', message: 'bye' });
    assert.deepEqual(sup.state.joined, []);
    const before = clients[0]!.written.filter((l) => l === 'JOIN #alerts').length;
    clock.advance(2_000);
    assert.equal(clients[0]!.written.filter((l) => l === 'JOIN #alerts').length, before + 1);
  });

  it('never writes a line with CR, LF or NUL', () => {
    const { sup, clients } = setup('  canary: { enabled: false }\n');
    sup.start();
    clients[0]!.register();
    assert.throws(() => sup.write('PRIVMSG #alerts :a\r\nQUIT'), /CR, LF or NUL/);
    assert.ok(sup.write('PRIVMSG #alerts :ok'));
  });

  it('finds a frozen bouncer within 25 s at the default settings when idle', () => {
    const { sup, clock, clients } = setup('', true);
    sup.start();
    clients[0]!.register();
    clock.advance(5_000);
    clients[0]!.echoWritten(); // the first canary: echo and network copy
    clients[0]!.echoWritten();
    const frozenAt = clock.now();
    for (let i = 0; i < 300 && sup.state.link === 'registered'; i++) clock.advance(100);
    assert.equal(sup.state.link, 'disconnected');
    assert.ok(clock.now() - frozenAt <= 25_000, `found after ${clock.now() - frozenAt} ms`);
  });

  it('finds a frozen bouncer within ping_timeout of writing lines it never echoes', () => {
    const { sup, clock, clients } = setup('  canary: { enabled: false }\n', true);
    sup.start();
    clients[0]!.register();
    assert.equal(sup.state.echo, true);
    clock.advance(3_000);
    void sup.queue.push('PRIVMSG #alerts :HostDown web1', 'alert').catch(() => undefined);
    const proven = sup.whenProven();
    const t0 = clock.now();
    for (let i = 0; i < 200 && sup.state.link === 'registered'; i++) clock.advance(100);
    assert.equal(sup.state.link, 'disconnected');
    assert.equal(clock.now() - t0, 10_000);
    assert.match(sup.state.lastError ?? '', /did not echo 1 line/);
    return assert.rejects(proven, /did not echo 1 line/);
  });

  it('echoes prove lines without any PING, and a healthy slow path is never declared dead', async () => {
    const { sup, clock, clients } = setup('  canary: { enabled: false }\n', true);
    sup.start();
    clients[0]!.register();
    let mark = clients[0]!.written.length;
    for (let i = 0; i < 30; i++) {
      void sup.queue.push(`PRIVMSG #alerts :alert ${i}`, 'alert');
      clock.advance(2_000);
      mark = clients[0]!.echoWritten(mark);
    }
    await sup.whenProven();
    assert.equal(sup.state.link, 'registered');
    assert.equal(sup.unconfirmedLines, 0);
    assert.ok(!clients[0]!.written.some((l) => l.startsWith('PING')), 'echoes are the proof; no PING costs the path a line');
  });

  it('with echo-message, the bouncer echo of a canary is not proof; the network copy is', () => {
    const { sup, clock, clients } = setup('  canary: { interval: 60s, timeout: 5s }\n', true);
    sup.start();
    clients[0]!.register();
    clock.advance(5_000);
    const line = clients[0]!.written.find((l) => l.startsWith('PRIVMSG lifeline :lifeline-canary'))!;
    const token = line.slice('PRIVMSG lifeline :'.length);
    clients[0]!.own('lifeline', token); // ZNC's echo at once
    assert.equal(sup.state.canary.lastOkMs, undefined);
    clock.advance(5_000);
    assert.equal(sup.state.canary.failing, true, 'only the echo came back: the network did not deliver it');
    clients[0]!.own('lifeline', token); // the network's copy, late
    assert.equal(sup.state.canary.failing, false);
  });

  it('a canary sent while ZNC was off its network cannot mark the path down after it is back', () => {
    const { sup, clock, clients } = setup('  canary: { interval: 2m, timeout: 30s }\n');
    sup.start();
    clients[0]!.register('lifeline', 'irc.znc.in');
    assert.equal(sup.state.upstream, 'down');
    clock.advance(5_000); // first canary goes while ZNC is not on the network
    assert.ok(clients[0]!.written.some((l) => l.includes('lifeline-canary')));
    clock.advance(8_000);
    clients[0]!.emit('privmsg', { nick: '*status', ident: 'znc', hostname: 'znc.in', target: 'lifeline', message: 'Connected!' });
    assert.equal(sup.state.upstream, 'up');
    clock.advance(1_000); // a fresh canary confirms the recovery
    const fresh = clients[0]!.written.filter((l) => l.includes('lifeline-canary')).at(-1)!;
    clients[0]!.own('lifeline', fresh.slice('PRIVMSG lifeline :'.length));
    clock.advance(30_000); // the first canary's timeout passes
    assert.equal(sup.state.canary.failing, false);
    assert.equal(sup.state.upstream, 'up');
  });

  it('after a lost canary the next one goes within 10 s, not a whole interval later', () => {
    const { sup, clock, clients } = setup('  canary: { interval: 2m, timeout: 5s }\n');
    sup.start();
    clients[0]!.register();
    clock.advance(5_000);
    clock.advance(5_000);
    assert.equal(sup.state.canary.failing, true);
    const n = clients[0]!.written.filter((l) => l.includes('lifeline-canary')).length;
    clock.advance(10_000);
    assert.equal(clients[0]!.written.filter((l) => l.includes('lifeline-canary')).length, n + 1);
  });

  it('paces at ZNC\'s default flood rules, and halves the pace when a canary shows lines held in the bouncer', () => {
    const { sup, clock, clients } = setup('');
    sup.start();
    clients[0]!.register();
    assert.equal(sup.pacer.rate, 0.45);
    clock.advance(5_000);
    const line = clients[0]!.written.find((l) => l.startsWith('PRIVMSG lifeline :lifeline-canary'))!;
    clock.advance(9_000);
    clients[0]!.own('lifeline', line.slice('PRIVMSG lifeline :'.length));
    assert.equal(sup.pacer.rate, 0.225);
  });

  it('counts lines as seen by the network only when a canary written after them comes back', () => {
    const { sup, clock, clients } = setup('  canary: { interval: 60s, timeout: 30s }\n', true);
    sup.start();
    clients[0]!.register();
    let mark = clients[0]!.written.length;
    void sup.queue.push('PRIVMSG #alerts :one', 'alert');
    void sup.queue.push('PRIVMSG #alerts :two', 'alert');
    mark = clients[0]!.echoWritten(mark); // the bouncer took them: not yet the network
    assert.equal(sup.linesAwaitingNetwork, 2);
    clock.advance(5_000); // first canary, written after both lines
    const canary = clients[0]!.written.find((l) => l.startsWith('PRIVMSG lifeline :lifeline-canary'))!;
    const token = canary.slice('PRIVMSG lifeline :'.length);
    clients[0]!.own('lifeline', token); // ZNC's echo of the canary
    assert.equal(sup.linesAwaitingNetwork, 2, "the bouncer's echo proves nothing about the network");
    void sup.queue.push('PRIVMSG #alerts :three', 'alert');
    clients[0]!.own('lifeline', token); // the network's copy
    assert.equal(sup.linesAwaitingNetwork, 1, 'the two lines before the canary are confirmed; the one after is not');
  });

  it('hands back unconfirmed lines when the bouncer drops off its network, and a later canary cannot confirm them (issue 7.3)', () => {
    const { sup, clock, clients, lost, confirmed } = watchedByCanary();
    let mark = clients[0]!.written.length;
    void sup.queue.push('PRIVMSG #alerts :swallowed', 'alert');
    mark = clients[0]!.echoWritten(mark);
    sup.confirmSoon();
    clock.advance(5_000);
    assert.ok(clients[0]!.written.some((l) => l.includes('lifeline-canary')), 'a canary within 5 s of the line, not 2 min later');
    clients[0]!.emit('privmsg', { nick: '*status', ident: 'znc', hostname: 'znc.in', target: 'lifeline', message: 'Disconnected from IRC. Reconnecting...' });
    assert.equal(lost.length, 1);
    assert.match(lost[0]!, /off its network/);
    assert.equal(sup.linesAwaitingNetwork, 0, 'handed back, no longer counted as awaiting');
    clients[0]!.emit('privmsg', { nick: '*status', ident: 'znc', hostname: 'znc.in', target: 'lifeline', message: 'Connected!' });
    clock.advance(1_000);
    const fresh = clients[0]!.written.filter((l) => l.includes('lifeline-canary')).at(-1)!;
    clients[0]!.own('lifeline', fresh.slice('PRIVMSG lifeline :'.length));
    assert.deepEqual(confirmed, [], 'the canary after the reconnect confirms nothing written before it');
  });

  it('lines the bouncer never echoed are never counted as seen by the network when a later canary comes back', async () => {
    const { sup, clock, clients } = setup('  ping_timeout: 10s\n  canary: { interval: 2m, timeout: 30s }\n', true);
    const confirmed: number[] = [];
    sup.on('network-confirmed', (m) => confirmed.push(m));
    sup.start();
    clients[0]!.register();
    clock.advance(5_000);
    const first = clients[0]!.written.find((l) => l.includes('lifeline-canary'))!;
    clients[0]!.own('lifeline', first.slice('PRIVMSG lifeline :'.length));
    clients[0]!.own('lifeline', first.slice('PRIVMSG lifeline :'.length));
    // ZNC off its network drops the line unechoed; its *status answer is not recognised here.
    const proven = (async () => {
      await sup.queue.push('PRIVMSG #alerts :dropped', 'alert');
      await sup.whenProven();
    })();
    const outcome = proven.then(() => 'proven', (e: Error) => e.message);
    for (let i = 0; i < 5; i++) await Promise.resolve(); // the sender is waiting for the proof
    clients[0]!.serverLine(':znc.test NOTICE lifeline :something else');
    clock.advance(10_000);
    {
      const o = await outcome;
      assert.match(o, /did not confirm/);
      assert.equal(sup.linesAwaitingNetwork, 0, 'the dropped line is not waiting for a confirmation any more');
      sup.confirmSoon();
      clock.advance(5_000);
      const next = clients[0]!.written.filter((l) => l.includes('lifeline-canary')).at(-1)!;
      assert.notEqual(next, first);
      clients[0]!.own('lifeline', next.slice('PRIVMSG lifeline :'.length));
      clients[0]!.own('lifeline', next.slice('PRIVMSG lifeline :'.length));
      assert.deepEqual(confirmed, [], 'the canary confirms no line ZNC dropped');
    }
  });

  it("ZNC's 'got lost' answer, or another client's *status Disconnect, marks the bouncer off its network at once and fails the unechoed lines now", async () => {
    for (const signal of ['got lost', 'disconnect echo'] as const) {
      const { sup, clock, clients } = setup('  canary: { interval: 2m, timeout: 30s }\n', true);
      sup.start();
      clients[0]!.register();
      clients[0]!.emit('privmsg', { nick: '*status', ident: 'znc', hostname: 'znc.in', target: 'lifeline', message: 'Connected!' });
      assert.equal(sup.state.upstream, 'up');
      // ZNC rejoins after "Connected!" and relays our JOIN (channels.ts): only then is #alerts ours again.
      clients[0]!.emit('join', { nick: 'lifeline', channel: '#alerts' });
      const proven = sup.queue.push('PRIVMSG #alerts :x', 'alert').then(() => sup.whenProven()).then(() => 'proven', (e: Error) => e.message);
      await Promise.resolve();
      if (signal === 'got lost') clients[0]!.serverLine(':*status!znc@znc.in PRIVMSG lifeline :Your message to #alerts got lost, you are not connected to IRC!');
      else clients[0]!.own('*status', 'Disconnect');
      assert.equal(sup.state.upstream, 'down', signal);
      clock.advance(1);
      assert.match(await proven, /off its network/, signal);
    }
  });

  it('a line the network refuses after the bouncer echoed it (404) is handed back; a later canary cannot confirm it', () => {
    const { sup, clock, clients, lost, confirmed } = watchedByCanary();
    let mark = clients[0]!.written.length;
    void sup.queue.push('PRIVMSG #alerts :banned', 'alert');
    mark = clients[0]!.echoWritten(mark);
    clients[0]!.serverLine('@time=2026-12-04T21:30:34.096Z :irc.test 404 lifeline #alerts :Cannot send to channel');
    assert.equal(lost.length, 1);
    assert.match(lost[0]!, /refused a line to #alerts \(404: Cannot send to channel\)/);
    sup.confirmSoon();
    clock.advance(5_000);
    const canary = clients[0]!.written.filter((l) => l.includes('lifeline-canary')).at(-1)!;
    clients[0]!.own('lifeline', canary.slice('PRIVMSG lifeline :'.length));
    clients[0]!.own('lifeline', canary.slice('PRIVMSG lifeline :'.length));
    assert.deepEqual(confirmed, [], 'nothing to confirm: the refused line was handed back');
  });

  it('a lost canary hands back the lines written before it (issue 7.3)', () => {
    const { sup, clock, clients } = setup('  canary: { interval: 2m, timeout: 30s }\n', true);
    const lost: string[] = [];
    sup.on('network-lost', (why) => lost.push(why));
    sup.start();
    clients[0]!.register();
    clock.advance(5_000);
    const first = clients[0]!.written.find((l) => l.includes('lifeline-canary'))!;
    clients[0]!.own('lifeline', first.slice('PRIVMSG lifeline :'.length));
    clients[0]!.own('lifeline', first.slice('PRIVMSG lifeline :'.length));
    const mark = clients[0]!.written.length;
    void sup.queue.push('PRIVMSG #alerts :into the void', 'alert');
    let seen = clients[0]!.echoWritten(mark);
    sup.confirmSoon();
    clock.advance(5_000);
    assert.deepEqual(lost, []);
    // ZNC echoes the canary and answers PINGs; only the network's copy never comes.
    for (let t = 0; t < 30_000; t += 1_000) {
      seen = clients[0]!.echoWritten(seen);
      if (clients[0]!.written.slice(-3).some((l) => l.startsWith('PING '))) clients[0]!.serverLine(':znc.test PONG znc.test :x');
      clock.advance(1_000);
    }
    assert.deepEqual(lost, ['the canary did not come back through the network']);
  });

  it('finds a silent link on time when the wall clock steps back an hour (issue 7.6)', () => {
    const { sup, clock, clients } = setup('  canary: { enabled: false }\n');
    sup.start();
    clients[0]!.register();
    clock.advance(1_000);
    clock.stepWall(-60 * 60_000);
    clock.advance(24_000); // ping_interval 15 s + ping_timeout 10 s at the defaults
    assert.equal(sup.state.link, 'disconnected', 'dead link found within 25 s, as without the step');
  });

  it('back-to-back alerts at the defaults: the canary waits for them (at most two intervals), and a frozen bouncer is still found within 30 s (issue 19.5)', async () => {
    const { sup, clock, clients } = setup('', true);
    const c = (): FakeClient => clients[0]!;
    sup.start();
    c().register();
    let mark = 0;
    // The bouncer echoes every PRIVMSG, and the network returns canaries (a second copy).
    const play = (): void => {
      for (const l of c().written.slice(mark).filter((x) => x.startsWith('PRIVMSG '))) {
        const m = /^PRIVMSG ([^ ]+) :(.*)$/.exec(l)!;
        c().own(m[1]!, m[2]!);
        if (m[2]!.startsWith('lifeline-canary')) c().own(m[1]!, m[2]!);
      }
      mark = c().written.length;
    };
    const step = async (ms: number): Promise<void> => {
      clock.advance(ms);
      play();
      await new Promise((r) => setImmediate(r));
    };
    for (let i = 0; i < 60; i++) await step(100); // registered, first canary back, the path settled
    // The bench's b2b: the outbox waits for its turn, writes one alert, asks for a canary, and the next follows at once.
    const writes: number[] = [];
    const canaries: number[] = [];
    const ac = new AbortController();
    const origRaw = c().raw.bind(c());
    c().raw = (line: string): void => {
      if (line.includes('lifeline-canary')) canaries.push(clock.monotonic());
      origRaw(line);
    };
    const dispatcher = (async () => {
      for (let i = 0; i < 1000 && !ac.signal.aborted; i++) {
        await sup.queue.whenWritable(ac.signal);
        await sup.queue.push(`PRIVMSG #alerts :[FIRING] B2b${i}`, 'alert', 0, () => writes.push(clock.monotonic())).catch(() => undefined);
        sup.confirmSoon();
      }
    })();
    const t0 = clock.monotonic();
    for (let i = 0; i < 4_500; i++) await step(100); // 450 s of sustained traffic
    const slot = 1000 / sup.pacer.rate;
    const gaps = writes.slice(1).map((t, i) => ({ at: t - t0, gap: t - (writes[i] as number) }));
    const long = gaps.filter((g) => g.gap > 1.5 * slot); // the fake clock moves in 100 ms steps
    // Before: a canary forced out at its 2-minute deadline took an alert's slot every 2 minutes.
    assert.ok(long.every((g) => g.at >= 240_000), `no alert waited a slot more in the first 240 s: ${JSON.stringify(long)}`);
    assert.ok(long.length <= 1, `at most one canary slot in 450 s: ${JSON.stringify(long)}`);
    const during = canaries.filter((t) => t > t0);
    assert.ok(during.length >= 1 && (during[0] as number) - t0 <= 2 * 120_000 + 5_000 + slot, `a canary still went within two intervals (+5 s to be asked, +1 slot): ${during.map((t) => t - t0)}`);
    assert.equal(sup.state.link, 'registered');
    // Now the bouncer freezes mid-traffic: nothing echoed or returned (play() no longer runs).
    const frozenAt = clock.monotonic();
    for (let i = 0; i < 400 && sup.state.link === 'registered'; i++) {
      clock.advance(100);
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(sup.state.link, 'disconnected');
    assert.ok(clock.monotonic() - frozenAt <= 30_000, `frozen bouncer found after ${clock.monotonic() - frozenAt} ms`);
    ac.abort();
    sup.stop();
    for (let i = 0; i < 50; i++) await step(100);
    await dispatcher;
  });
});

describe('IrcSupervisor: channels while the bouncer rejoins them (fake clock, fake client)', () => {
  const channelLines = (c: FakeClient, from = 0): string[] => c.written.slice(from).filter((l) => l.startsWith('PRIVMSG #alerts'));
  /** Time passes on a live link: the bouncer sends something every 5 s (no PING timeout meanwhile). */
  const live = (c: FakeClient, clock: FakeClock, ms: number): void => {
    for (let t = 0; t < ms; t += 5_000) {
      clock.advance(Math.min(5_000, ms - t));
      c.serverLine(':irc.test PONG irc.test :x');
    }
  };

  it('after ZNC is back on its network, #alerts counts joined (and the outbox may send) only once ZNC relays our JOIN', async () => {
    const { sup, clock, clients } = setup('  canary: { enabled: false }\n', true);
    const notifier = new IrcNotifier(sup, () => clock.now());
    sup.start();
    const c = clients[0]!;
    c.register();
    assert.equal(notifier.ready('irc:#alerts'), true);
    c.status('Disconnected from IRC. Reconnecting...');
    assert.deepEqual(sup.state.joined, [], 'ZNC left every channel with its upstream socket');
    c.upstreamBack();
    assert.equal(sup.state.upstream, 'up');
    assert.deepEqual(sup.state.joined, [], 'back on the network is not back in the channel');
    assert.deepEqual(sup.channelsRejoining, ['#alerts']);
    assert.equal(notifier.ready('irc:#alerts'), false, 'lines for #alerts wait');
    // A line pushed anyway (e.g. by a delivery that checked readiness just before) is not written.
    const from = c.written.length;
    const held = await sup.queue.push('PRIVMSG #alerts :early', 'alert').then(() => undefined, (e: NotifyError) => e);
    assert.ok(held instanceof NotifyError && held.retryable, 'handed back, retryable');
    assert.match(held.message, /not in #alerts now \(the bouncer is rejoining it\)/);
    assert.deepEqual(channelLines(c, from), [], 'nothing written for the network to refuse');
    clock.advance(5_000);
    c.emit('join', { nick: 'lifeline', channel: '#alerts' }); // ZNC relays the network's JOIN
    assert.deepEqual(sup.state.joined, ['#alerts']);
    assert.deepEqual(sup.channelsRejoining, []);
    assert.equal(notifier.ready('irc:#alerts'), true);
    await sup.queue.push('PRIVMSG #alerts :now', 'alert');
    assert.deepEqual(channelLines(c, from), ['PRIVMSG #alerts :now']);
  });

  it('lines already waiting for a flood token when ZNC leaves are not written after it is back until the JOIN; each is handed back unwritten', async () => {
    const { sup, clock, clients } = setup('  flood: { lines_per_second: 0.5, burst: 1 }\n  canary: { enabled: false }\n', true);
    sup.start();
    const c = clients[0]!;
    c.register();
    const from = c.written.length;
    const outcomes = Array.from({ length: 5 }, (_, i) => sup.queue.push(`PRIVMSG #alerts :line ${i}`, 'alert').then(() => 'written', (e: NotifyError) => (e.retryable ? 'handed back' : 'failed')));
    await Promise.resolve();
    const before = channelLines(c, from).length;
    assert.ok(before < 5, `the bucket holds lines back (${before} written at once)`);
    c.own('*status', 'Disconnect'); // another client of our ZNC user
    c.upstreamBack();
    live(c, clock, 60_000);
    assert.equal(channelLines(c, from).length, before, 'no line written between ZNC back and its JOIN');
    assert.equal(sup.state.link, 'registered', 'handed back by the gate, not by a lost link');
    assert.deepEqual((await Promise.all(outcomes)).slice(before), Array(5 - before).fill('handed back'));
  });

  it('a rejoin that never comes (refused, or a channel ZNC disabled): the IRC path counts down after OUT_LIMIT_MS, naming the channel, and up again once we are back in it', () => {
    const { sup, clock, clients } = setup('  canary: { enabled: false }\n', true);
    const path = ircPathMonitor(sup);
    sup.start();
    const c = clients[0]!;
    c.register();
    c.status('Disconnected from IRC. Reconnecting...');
    c.upstreamBack();
    live(c, clock, OUT_LIMIT_MS - 5_000);
    assert.equal(path.healthy(), true, 'within the limit, a rejoin still on its way is no outage');
    live(c, clock, 5_000);
    assert.deepEqual(sup.state.stuck, ['#alerts']);
    assert.equal(path.healthy(), false, 'lines for the only channel wait: the path cannot carry alerts');
    assert.match(path.reason(), /^not in #alerts /);
    c.emit('join', { nick: 'lifeline', channel: '#alerts' });
    assert.deepEqual(sup.state.stuck, []);
    assert.equal(path.healthy(), true);
  });

  it('the usual rejoin (ZNC relays our JOIN 5 s after it is back) and a fresh registration never count as stuck', () => {
    const { sup, clock, clients } = setup('  canary: { enabled: false }\n', true);
    const path = ircPathMonitor(sup);
    const unhealthy: number[] = [];
    sup.start();
    const c = clients[0]!;
    c.register();
    sup.on('state', () => void (path.healthy() || unhealthy.push(clock.now())));
    live(c, clock, 2 * OUT_LIMIT_MS);
    c.status('Disconnected from IRC. Reconnecting...');
    const down = clock.now();
    c.upstreamBack();
    live(c, clock, 5_000);
    c.emit('join', { nick: 'lifeline', channel: '#alerts' });
    live(c, clock, 2 * OUT_LIMIT_MS);
    assert.deepEqual(sup.state.stuck, []);
    assert.equal(path.healthy(), true);
    assert.ok(unhealthy.length > 0 && unhealthy.every((t) => t === down), `unhealthy only while ZNC was off its network: ${unhealthy.join(', ')}`);
  });

  it('a canary lost and back again (ZNC never left its network) keeps the channels', () => {
    const { sup, clock, clients } = setup('  canary: { interval: 10s, timeout: 5s }\n');
    sup.start();
    const c = clients[0]!;
    c.register();
    clock.advance(10_000); // first canary at 5 s, lost at 10 s
    assert.equal(sup.state.upstream, 'down');
    const canary = c.written.find((l) => l.startsWith('PRIVMSG lifeline :lifeline-canary'))!;
    c.own('lifeline', canary.slice('PRIVMSG lifeline :'.length));
    assert.equal(sup.state.upstream, 'up');
    assert.deepEqual(sup.state.joined, ['#alerts'], 'no JOIN is coming: ZNC never left the channel');
    assert.deepEqual(sup.channelsRejoining, []);
  });

  it(`no JOIN within ${REJOIN_GRACE_MS / 1000} s of ZNC being back: Lifeline sends JOIN, again every ${REJOIN_GRACE_MS / 1000} s until it comes; ZNC leaving again stops it`, () => {
    const { sup, clock, clients } = setup('  canary: { enabled: false }\n');
    sup.start();
    const c = clients[0]!;
    c.register();
    const joins = (): number => c.written.filter((l) => l === 'JOIN #alerts').length;
    const atStart = joins();
    c.status('Disconnected from IRC. Reconnecting...');
    live(c, clock, 5 * REJOIN_GRACE_MS);
    assert.equal(joins(), atStart, 'no JOIN while ZNC is off its network');
    c.upstreamBack();
    live(c, clock, REJOIN_GRACE_MS - 1);
    assert.equal(joins(), atStart, 'ZNC rejoins by itself: no JOIN of ours within the grace');
    live(c, clock, 1);
    assert.equal(joins(), atStart + 1);
    live(c, clock, REJOIN_GRACE_MS);
    assert.equal(joins(), atStart + 2);
    c.status('Disconnected from IRC. Reconnecting...');
    live(c, clock, 5 * REJOIN_GRACE_MS);
    assert.equal(joins(), atStart + 2, 'ZNC off its network again: no JOIN');
    c.upstreamBack();
    live(c, clock, 1_000);
    c.emit('join', { nick: 'lifeline', channel: '#alerts' });
    live(c, clock, 5 * REJOIN_GRACE_MS);
    assert.equal(joins(), atStart + 2, 'ZNC rejoined: no JOIN of ours');
    assert.deepEqual(sup.state.joined, ['#alerts']);
    assert.equal(clients.length, 1, 'one link all along');
  });
});
