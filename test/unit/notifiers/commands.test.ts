import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load.js';
import { EscalationEngine } from '../../../src/escalation/engine.js';
import { ChannelHealth } from '../../../src/escalation/health.js';
import { CommandHandler, type CommandMessage } from '../../../src/notifiers/irc/commands.js';
import type { IrcState } from '../../../src/notifiers/irc/state.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { OnCallSchedule } from '../../../src/people/oncall.js';
import { SilenceStore } from '../../../src/store/silences.js';
import { AlertStore } from '../../../src/store/alerts.js';
import { openDb } from '../../../src/store/db.js';
import { Outbox } from '../../../src/store/outbox.js';
import { FakeClock } from '../fakeClock.js';

function setup(allowed: string[]): { handler: CommandHandler; said: string[]; clock: FakeClock; state: IrcState } {
  const config = parseConfig(`commands:\n  allowed: ${JSON.stringify(allowed)}\n`, 't.yaml', {});
  const clock = new FakeClock();
  const db = openDb(':memory:');
  const outbox = new Outbox(db, 100);
  const schedule = new OnCallSchedule(config);
  const engine = new EscalationEngine({ config, db, outbox, schedule, clock, log: silentLogger(), health: new ChannelHealth(), poke: () => undefined, ircHealthy: () => true, pathOutageEnded: () => ({ fired: 0, resolved: 0, firingNow: 0 }) });
  const state = { link: 'registered', connectedSinceMs: clock.now(), nick: 'lifeline', upstream: 'up', canary: { failing: false } } as unknown as IrcState;
  const said: string[] = [];
  const handler = new CommandHandler({ config, clock, engine, schedule, alerts: new AlertStore(db), outbox, silences: new SilenceStore(db), ircState: () => state, say: (t, text) => said.push(`${t} ${text}`) });
  return { handler, said, clock, state };
}

function msg(text: string, o: Partial<CommandMessage> = {}): CommandMessage {
  return { nick: 'alice', ident: '~alice', hostname: 'ops.example.org', account: undefined, target: '#alerts', text, timeMs: undefined, batch: undefined, notice: false, ...o };
}

describe('CommandHandler', () => {
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
  it('answers private messages by notice to the sender', () => {
    const { handler, said } = setup([]);
    handler.handle(msg('!oncall', { target: 'lifeline' }));
    assert.deepEqual(said, ['alice nobody is on call: no rotation is configured']);
  });
});
