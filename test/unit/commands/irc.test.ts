import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load.js';
import { EscalationEngine } from '../../../src/escalation/engine.js';
import { ChannelHealth } from '../../../src/escalation/health.js';
import { Commands } from '../../../src/commands/commands.js';
import { IrcCommands, type CommandMessage } from '../../../src/commands/irc.js';
import { smsCommand } from '../../../src/commands/sms.js';
import type { IrcState } from '../../../src/notifiers/irc/state.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { OnCallSchedule } from '../../../src/people/oncall.js';
import { SilenceStore } from '../../../src/store/silences.js';
import { Mutes } from '../../../src/pipeline/mutes.js';
import { MaintenanceWindows } from '../../../src/policy/maintenance.js';
import type { Db } from '../../../src/store/db.js';
import type { Clock } from '../../../src/util/clock.js';
import { AlertStore } from '../../../src/store/alerts.js';
import { openDb } from '../../../src/store/db.js';
import { Outbox } from '../../../src/store/outbox.js';
import { FakeClock } from '../fakeClock.js';
import { escalationStores } from '../../../src/store/escalationStores.js';

/** Silences as the app wires them, without re-evaluation (these tests post no alerts). */
function mutesFor(db: Db, engine: EscalationEngine, clock: Clock): Mutes {
  const m = new Mutes({ silences: new SilenceStore(db), maintenance: new MaintenanceWindows([]), alerts: new AlertStore(db), escalation: engine, clock, log: silentLogger(), reevaluate: () => ({ alerts: 0, queued: [] }) });
  m.start();
  return m;
}

function setup(allowed: string[]): { handler: IrcCommands; commands: Commands; engine: EscalationEngine; said: string[]; clock: FakeClock; state: IrcState } {
  const config = parseConfig(`commands:\n  allowed: ${JSON.stringify(allowed)}\n`, 't.yaml', {});
  const clock = new FakeClock();
  const db = openDb(':memory:');
  const outbox = new Outbox(db, 100);
  const schedule = new OnCallSchedule(config);
  const engine = new EscalationEngine({ config, ...escalationStores(db), outbox, schedule, clock, log: silentLogger(), health: new ChannelHealth(), poke: () => undefined, pathOutageEnded: () => ({ fired: 0, resolved: 0, firingNow: 0 }) });
  const state = { link: 'registered', connectedSinceMs: clock.now(), nick: 'lifeline', upstream: 'up', canary: { failing: false } } as unknown as IrcState;
  const said: string[] = [];
  const commands = new Commands({ config, clock, engine, schedule, alerts: new AlertStore(db), outbox, mutes: mutesFor(db, engine, clock), ircState: () => state });
  const handler = new IrcCommands({ config, clock, commands, ircState: () => state, say: (t, text) => said.push(`${t} ${text}`) });
  return { handler, commands, engine, said, clock, state };
}

function msg(text: string, o: Partial<CommandMessage> = {}): CommandMessage {
  return { nick: 'alice', ident: '~alice', hostname: 'ops.example.org', account: undefined, target: '#alerts', text, timeMs: undefined, batch: undefined, notice: false, ...o };
}

describe('commands from IRC and SMS', () => {
  it('ignores commands replayed from the bouncer buffer', () => {
    const { handler, said, clock } = setup(['nick:alice']);
    assert.deepEqual(handler.handle(msg('!help', { batch: 'znc.in/playback' })), []);
    assert.deepEqual(handler.handle(msg('!help', { timeMs: clock.now() - 60_000 })), []);
    assert.equal(said.length, 0);
    assert.ok(handler.handle(msg('!help', { timeMs: clock.now() })).length > 0, 'a live message with server-time is answered');
  });
  it('never answers notices, its own messages or plain chat', () => {
    const { handler } = setup([]);
    assert.deepEqual(handler.handle(msg('!help', { notice: true })), []);
    assert.deepEqual(handler.handle(msg('!help', { nick: 'lifeline' })), []);
    assert.deepEqual(handler.handle(msg('hello !help')), []);
  });
  it('authorizes by nick, account or hostmask', () => {
    for (const [rule, m, ok] of [
      ['nick:Alice', msg('!ack ABCD'), true],
      ['account:ops-alice', msg('!ack ABCD', { account: 'ops-alice' }), true],
      ['account:ops-alice', msg('!ack ABCD'), false],
      ['host:*!*@*.example.org', msg('!ack ABCD'), true],
      ['host:*!*@trusted.example', msg('!ack ABCD'), false],
    ] as const) {
      const { handler } = setup([rule]);
      const out = handler.handle(m);
      assert.equal(out[0]?.startsWith('sorry'), !ok, `${rule}: ${out[0]}`);
    }
  });
  it('a nick: rule counts only for an identified sender when the network tags accounts (issue 7.10)', () => {
    const { handler, state } = setup(['nick:alice']);
    (state as { accounts: boolean }).accounts = true;
    assert.match(handler.handle(msg('!ack ABCD'))[0]!, /^sorry alice/, 'no account tag: anyone could have taken the nick');
    assert.equal(handler.handle(msg('!ack ABCD', { account: 'alice' }))[0], 'no incident with id ABCD');
    (state as { accounts: boolean }).accounts = false;
    assert.equal(handler.handle(msg('!ack ABCD'))[0], 'no incident with id ABCD', 'without account-tag the nick is all there is');
  });
  it('limits commands per sender: a burst of 10, then one per 2 s; other senders are unaffected (issue 7.2)', () => {
    const { handler, clock } = setup([]);
    const answered = (o: Partial<CommandMessage> = {}): number => Array.from({ length: 20 }, () => handler.handle(msg('!oncall', o)).length).filter((n) => n > 0).length;
    assert.equal(answered(), 10);
    assert.equal(answered({ nick: 'bob' }), 10, 'bob has his own budget');
    clock.advance(1_999);
    assert.equal(answered(), 0);
    clock.advance(1);
    assert.equal(answered(), 1);
    clock.advance(60_000);
    assert.equal(answered(), 10, 'the budget refills to the burst, no further');
  });
  it('!status lists probes that are down, and why', () => {
    const config = parseConfig('', 't.yaml', {});
    const clock = new FakeClock();
    const db = openDb(':memory:');
    const outbox = new Outbox(db, 100);
    const schedule = new OnCallSchedule(config);
    const engine = new EscalationEngine({ config, ...escalationStores(db), outbox, schedule, clock, log: silentLogger(), health: new ChannelHealth(), poke: () => undefined, pathOutageEnded: () => ({ fired: 0, resolved: 0, firingNow: 0 }) });
    const probe = (name: string, status: 'up' | 'down', summary: string, behind: string | null = null) => ({ name, kind: 'http' as const, target: name, group: undefined, status, sinceMs: clock.now() - 300_000, failures: status === 'down' ? 3 : 0, behind, warning: null, last: { up: status === 'up', summary, phases: {}, values: {}, atMs: clock.now() } });
    const commands = new Commands({ config, clock, engine, schedule, alerts: new AlertStore(db), outbox, mutes: mutesFor(db, engine, clock), ircState: () => undefined, probes: () => [probe('proxy', 'down', 'TCP connected in 3 ms; request sent; no HTTP response within 10 s'), probe('wiki', 'down', 'x', 'proxy'), probe('api', 'up', 'HTTP 200 in 12 ms')] });
    assert.deepEqual(commands.run('status', [], { name: 'bob', mayChange: false }), [
      'IRC not configured; outbox 0 pending; incidents 0 open, 0 acked',
      'probes: 1 of 3 up',
      '  DOWN proxy since 5 min: TCP connected in 3 ms; request sent; no HTTP response within 10 s',
      '  DOWN wiki since 5 min (behind proxy): x',
    ]);
  });

  it('answers private messages by notice to the sender', () => {
    const { handler, said } = setup([]);
    handler.handle(msg('!oncall', { target: 'lifeline' }));
    assert.deepEqual(said, ['alice nobody is on call: no rotation is configured']);
  });
  it('lists silences and ends one early; only allowed people may end one', () => {
    const { handler, clock } = setup(['nick:alice']);
    assert.deepEqual(handler.handle(msg('!silences')), ['no active silences']);
    const set = handler.handle(msg('!silence alertname=HostDown instance=~vpn-.* 2h'))[0]!;
    const id = /#(\d+)/.exec(set)![1]!;
    clock.advance(30 * 60_000);
    assert.deepEqual(handler.handle(msg('!silences', { nick: 'bob' })), ['1 active silence(s)', `  #${id} alertname=HostDown instance=~vpn-.* by alice, 1 h 30 min left`]);
    assert.match(handler.handle(msg(`!unsilence ${id}`, { nick: 'bob' }))[0]!, /^sorry bob/);
    assert.deepEqual(handler.handle(msg(`!unsilence #${id}`)), [`silence #${id} ended by alice`]);
    assert.deepEqual(handler.handle(msg('!silences')), ['no active silences']);
    assert.deepEqual(handler.handle(msg(`!unsilence ${id}`)), [`no active silence #${id}`]);
    assert.match(handler.handle(msg('!unsilence x'))[0]!, /^usage: !unsilence ID/);
  });
  it('an SMS "ACK ID" goes through the same acknowledgement as !ack', () => {
    const { commands, engine, handler } = setup(['nick:alice']);
    const person = { name: 'carol', phone: '+4915100000000' } as Parameters<typeof smsCommand>[2];
    assert.equal(smsCommand(commands, engine.incidents, person, 'hello'), 'Lifeline: reply "ACK ID" (or "ACK" for your latest page).');
    assert.equal(smsCommand(commands, engine.incidents, person, 'ACK'), 'Lifeline: no page to acknowledge.');
    assert.equal(smsCommand(commands, engine.incidents, person, 'ack ZZZZ'), 'Lifeline: no incident with id ZZZZ');
    assert.equal(handler.handle(msg('!ack ZZZZ'))[0], 'no incident with id ZZZZ', 'IRC gets the same answer from the same place');
  });
});

