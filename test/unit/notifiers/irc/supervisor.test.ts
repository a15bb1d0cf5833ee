import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Client } from 'irc-framework';
import { parseConfig } from '../../../../src/config/load.js';
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
  network = { name: '', options: {}, supports: () => undefined, cap: { isEnabled: () => false } };
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
  register(nick = 'lifeline', server = 'irc.test'): void {
    this.serverLine(`:${server} 001 ${nick} :Welcome`);
    this.emit('registered', { nick });
    this.emit('join', { nick, channel: '#alerts' });
  }
}

function setup(extra = ''): { sup: IrcSupervisor; clock: FakeClock; clients: FakeClient[] } {
  const cfg = parseConfig(`irc:\n  host: znc.test\n  nick: lifeline\n  bouncer: znc\n  channels: [{ name: "#alerts" }]\n${extra}`, 't.yaml', {}).irc!;
  const clock = new FakeClock();
  const clients: FakeClient[] = [];
  const sup = new IrcSupervisor(cfg, clock, silentLogger(), () => {
    const c = new FakeClient();
    clients.push(c);
    return c as unknown as Client;
  }, () => 0.5);
  return { sup, clock, clients };
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
    assert.match(sup.state.lastError ?? '', /no data from the server for 90s \(ping timeout\)/);
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
    clients[0]!.emit('privmsg', { nick: 'lifeline', ident: 'l', hostname: 'h', target: 'lifeline', message: first.slice('PRIVMSG lifeline :'.length) });
    assert.equal(sup.state.canary.failing, false, 'the echo proves the path even late');
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
});
