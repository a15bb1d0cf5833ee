import assert from 'node:assert/strict';
import type { AlertBatch } from '../../../src/alerts/alert.js';
import { Commands } from '../../../src/commands/commands.js';
import { smsCommand } from '../../../src/commands/sms.js';
import { parseConfig } from '../../../src/config/load.js';
import { EscalationEngine } from '../../../src/escalation/engine.js';
import { ChannelHealth } from '../../../src/escalation/health.js';
import type { PathMonitor } from '../../../src/escalation/pathMonitor.js';
import type { PageMessage } from '../../../src/alerts/messages.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { OnCallSchedule } from '../../../src/people/oncall.js';
import { makeIngest } from '../../../src/pipeline/ingest.js';
import { Mutes } from '../../../src/pipeline/mutes.js';
import { MaintenanceWindows } from '../../../src/policy/maintenance.js';
import { AlertStore } from '../../../src/store/alerts.js';
import { openDb, type Db } from '../../../src/store/db.js';
import { Outbox } from '../../../src/store/outbox.js';
import { RepeatFilter } from '../../../src/store/repeat.js';
import { SilenceStore } from '../../../src/store/silences.js';
import { FakeClock } from '../fakeClock.js';
import { escalationStores } from '../../../src/store/escalationStores.js';

const MIN = 60_000;
const ALICE = { name: 'alice', mayChange: true };

function yaml(extra: string): string {
  return `people:
  - { name: alice, email: alice@example.org, phone: "+4915112345678" }
oncall:
  rotations:
    - { name: primary, people: [alice], start: "2026-11-23" }
email: { host: smtp.example.org, from: lifeline@example.org }
sms: { account_sid: AC${'0'.repeat(32)}, auth_token: t, from: "+15005550006" }
${extra}`;
}

/** What a fired alert is: Alertmanager's by default; `sharedStart` makes it a probe's joined from all regions, starting at `startsAt`. */
interface FireOptions {
  labels?: Record<string, string>;
  group?: string;
  n?: number;
  id?: string;
  sharedStart?: { startsAt: string };
}

interface Rig {
  clock: FakeClock;
  db: Db;
  engine: EscalationEngine;
  mutes: Mutes;
  commands: Commands;
  outbox: Outbox;
  /** Pages queued so far, as "channel@minute". */
  pages(): string[];
  pageMessages(): PageMessage[];
  /** IRC lines queued to #alerts. */
  irc(): number;
  fire(name: string, o?: FireOptions): void;
  resolve(name: string, o?: { group?: string; n?: number }): void;
  say(text: string): string[];
  /** Restarts the engine and the mutes on the same database (a process restart). */
  restart(): void;
  path(healthy: boolean): void;
}

/**
 * The pipeline as the app wires it: ingest (record → mute → escalate → route), the escalation
 * engine, silences and maintenance windows, and the commands, on one database and a fake clock.
 */
function rig(extra = '', start = Date.UTC(2026, 10, 23, 12, 0)): Rig {
  const config = parseConfig(yaml(extra), 't.yaml', {});
  const clock = new FakeClock(start);
  const t0 = clock.now();
  const db = openDb(':memory:');
  const outbox = new Outbox(db, 10_000);
  const alerts = new AlertStore(db);
  const schedule = new OnCallSchedule(config);
  let ircUp = true;
  const listeners = new Set<() => void>();
  const pathMonitor: PathMonitor = { name: 'IRC alert path', healthy: () => ircUp, reason: () => 'not connected', onChange: (l) => (listeners.add(l), () => listeners.delete(l)) };
  const build = () => {
    const engine = new EscalationEngine({ config, ...escalationStores(db), outbox, schedule, clock, log: silentLogger(), health: new ChannelHealth(), poke: () => undefined, path: pathMonitor, pathOutageEnded: () => ({ fired: 0, resolved: 0, firingNow: 0 }) });
    // eslint-disable-next-line prefer-const
    let mutes: Mutes;
    const ingest = makeIngest({ db, alerts, muted: (now) => mutes.muted(now), escalation: engine, repeats: new RepeatFilter(db, 4 * 3600_000), outbox, routes: new Map([['default', ['irc:#alerts']]]) });
    mutes = new Mutes({ silences: new SilenceStore(db), maintenance: new MaintenanceWindows(config.maintenance), alerts, escalation: engine, clock, log: silentLogger(), reevaluate: (route, batch, now) => ingest(route, batch, now, undefined, false, true) });
    const commands = new Commands({ config, clock, engine, schedule, alerts, outbox, mutes, ircState: () => undefined, quietNames: ['Watchdog'] });
    engine.start();
    mutes.start();
    return { engine, mutes, commands, ingest };
  };
  let parts = build();
  const batchOf = (name: string, status: 'firing' | 'resolved', o: FireOptions): AlertBatch => ({
    source: o.sharedStart ? 'probe' : 'alertmanager',
    groupKey: o.group ?? name,
    status,
    commonLabels: { alertname: name },
    truncatedAlerts: 0,
    alerts: Array.from({ length: o.n ?? 1 }, (_, i) => ({
      fingerprint: `${o.id ?? name}-${i}`,
      status,
      labels: { alertname: name, severity: 'critical', instance: `h${i}`, ...o.labels },
      annotations: { summary: `${name} on h${i}` },
      startsAt: o.sharedStart?.startsAt ?? '',
      endsAt: '',
      generatorURL: '',
      ...(o.sharedStart ? { sharedStart: true as const } : {}),
    })),
  });
  const r: Rig = {
    clock,
    db,
    outbox,
    get engine() {
      return parts.engine;
    },
    get mutes() {
      return parts.mutes;
    },
    get commands() {
      return parts.commands;
    },
    pages: () =>
      [...outbox.pending('email:alice@example.org'), ...outbox.pending('sms:+4915112345678')]
        .sort((a, b) => a.id - b.id)
        .filter((e) => e.message.kind === 'page')
        .map((e) => `${e.destination.split(':')[0]}@${Math.round((e.createdMs - t0) / MIN)}`),
    pageMessages: () =>
      [...outbox.pending('email:alice@example.org'), ...outbox.pending('sms:+4915112345678')]
        .sort((a, b) => a.id - b.id)
        .flatMap((e) => (e.message.kind === 'page' ? [e.message] : [])),
    irc: () => outbox.pending('irc:#alerts').length,
    fire: (name, o = {}) => {
      parts.ingest('default', batchOf(name, 'firing', o), clock.now());
      parts.engine.kick();
    },
    resolve: (name, o = {}) => {
      parts.ingest('default', batchOf(name, 'resolved', o), clock.now());
      parts.engine.kick();
    },
    say: (text) => {
      const [cmd = '', ...args] = text.trim().split(/\s+/);
      return parts.commands.run(cmd, args, ALICE);
    },
    restart: () => {
      parts.mutes.stop();
      parts.engine.stop();
      parts = build();
    },
    path: (healthy) => {
      ircUp = healthy;
      for (const l of listeners) l();
    },
  };
  return r;
}

function codeOf(r: Rig, fp: string): string {
  const inc = r.engine.incidents.liveAlerts([fp]).get(fp);
  assert.ok(inc, `an incident for ${fp}`);
  return inc.ackCode;
}

describe('silences hold what is already open and release it when they end (fake clock)', () => {
  it('a silence on an open incident holds every later step; the reply names it; after !unsilence escalation resumes where it was held', () => {
    const r = rig();
    r.fire('ProbeDown', { labels: { probe: 'vpn1-openvpn' } });
    const code = codeOf(r, 'ProbeDown-0');
    r.clock.advance(1 * MIN);
    const reply = r.say('silence alertname=ProbeDown probe=vpn1-openvpn 2h');
    assert.match(reply[0]!, new RegExp(`^silence #1 set by alice for 2 h: alertname=ProbeDown probe=vpn1-openvpn; holds 1 open incident \\(no step, no page until it ends\\): ${code} \\(ProbeDown h0\\)$`));
    // The default policy would email at 5 min and SMS at 10 min, 40 min, ...
    r.clock.advance(60 * MIN);
    assert.deepEqual(r.pages(), [], 'no email at 5 min, no SMS at 10 min while silenced');
    r.path(false);
    r.clock.advance(10 * MIN);
    const pathPages = r.pageMessages();
    assert.ok(pathPages.length > 0 && pathPages.every((m) => m.subject.includes('IRC alert path down')), `only the path-down page goes: ${pathPages.map((m) => m.subject).join(' | ')}`);
    assert.ok(pathPages.every((m) => !`${m.subject} ${m.body.join(' ')}`.includes('ProbeDown')), 'the IRC-down page does not list the silenced incident');
    r.path(true);
    const before = r.pages().length;
    // 71 min after opening, held for 70 of them: the email (5 min after opening) is due 4 min after release.
    assert.deepEqual(r.say('unsilence 1'), [`silence #1 ended by alice; 1 held incident resumes: ${code} (ProbeDown h0)`]);
    r.clock.advance(3 * MIN + 59_000);
    assert.equal(r.pages().length, before, 'the step keeps the wait it had left');
    r.clock.advance(1_000);
    assert.deepEqual(r.pages().slice(before), ['email@75']);
    r.clock.advance(5 * MIN);
    assert.deepEqual(r.pages().slice(before), ['email@75', 'sms@80'], 'and the next step keeps its spacing');
  });

  it('a silence that runs out releases what it held, on time', () => {
    const r = rig();
    r.fire('HostDown');
    r.say('silence alertname=HostDown 30m');
    r.clock.advance(30 * MIN - 1_000);
    assert.deepEqual(r.pages(), []);
    r.clock.advance(1_000 + 5 * MIN);
    assert.deepEqual(r.pages(), ['email@35']);
  });

  it('pages waiting in a bundle window or quiet hours are held too, and go after the silence', () => {
    const r = rig('escalation:\n  bundle_window: 10m\n  policies:\n    - { name: p, steps: [{ after: 0s, notify: [email] }] }\n');
    r.fire('A');
    assert.deepEqual(r.pages(), ['email@0']);
    r.fire('B');
    assert.deepEqual(r.pages(), ['email@0'], "B waits for A's bundle window");
    r.say('silence alertname=B 1h');
    r.clock.advance(30 * MIN);
    assert.deepEqual(r.pages(), ['email@0'], 'B is held past its window');
    r.say('unsilence 1');
    r.clock.advance(1_000);
    assert.deepEqual(r.pages(), ['email@0', 'email@30']);
  });

  it('an alert that starts firing under a silence is paged as new when the silence ends (!unsilence or running out)', () => {
    for (const end of ['unsilence', 'expiry'] as const) {
      const r = rig();
      r.say('silence alertname=~"Host.*" 30m');
      r.fire('HostOutOfMemory');
      assert.equal(r.engine.incidents.unresolved().length, 0, 'no incident while silenced');
      assert.equal(r.irc(), 0, 'not posted while silenced');
      r.clock.advance(10 * MIN);
      if (end === 'unsilence') {
        const reply = r.say('unsilence 1')[0]!;
        assert.match(reply, /^silence #1 ended by alice; still firing, now paged as new: [2-9A-Z]{4} \(HostOutOfMemory h0\)$/);
      } else r.clock.advance(20 * MIN);
      const t = end === 'unsilence' ? 10 : 30;
      assert.equal(r.engine.incidents.unresolved().length, 1, `${end}: the incident opens`);
      assert.equal(r.irc(), 1, `${end}: the alert is posted with its ack code`);
      r.clock.advance(5 * MIN);
      assert.deepEqual(r.pages(), [`email@${t + 5}`], `${end}: paged by the policy from the silence's end`);
    }
  });

  it('an alert of a cluster episode that fired under a silence opens the incident of that same episode when the silence ends', () => {
    const r = rig();
    const startsAt = '2026-11-23T11:58:00.000Z';
    r.say('silence alertname=ProbeDown 10m');
    r.fire('ProbeDown', { id: 'probe:web', sharedStart: { startsAt } });
    assert.equal(r.engine.incidents.unresolved().length, 0, 'held by the silence');
    r.say('unsilence 1');
    const opened = r.engine.incidents.unresolved();
    assert.equal(opened.length, 1);
    // Read back from the alert store: without its shared start it would open a local incident (no episode), and each instance would page it.
    assert.equal(opened[0]?.episode, `probe:probe:web-0@${startsAt}`);
  });

  it('an incident whose alert resolves under a silence resolves (no notice while held)', () => {
    const r = rig();
    r.fire('HostDown');
    r.clock.advance(6 * MIN);
    assert.deepEqual(r.pages(), ['email@5']);
    r.say('silence alertname=HostDown 1h');
    r.resolve('HostDown');
    assert.equal(r.engine.incidents.unresolved().length, 0, 'resolved, not open for good');
    r.say('unsilence 1');
    r.clock.advance(60 * MIN);
    assert.deepEqual(r.pages(), ['email@5'], 'no further step and no resolved notice');
  });

  it('an ended silence is released after a restart that happened while it ran out, once', () => {
    const r = rig();
    r.say('silence alertname=HostDown 10m');
    r.fire('HostDown');
    r.mutes.stop();
    r.engine.stop();
    r.clock.advance(20 * MIN);
    r.restart();
    assert.equal(r.engine.incidents.unresolved().length, 1, 'evaluated as new at start');
    r.restart();
    assert.equal(r.engine.incidents.unresolved().length, 1);
    r.clock.advance(5 * MIN);
    assert.deepEqual(r.pages(), ['email@25']);
  });

  it('a maintenance window holds open incidents and, when it closes, pages what still fires', () => {
    const from = new Date(Date.UTC(2026, 10, 23, 12, 2)).toISOString().slice(0, 16);
    const to = new Date(Date.UTC(2026, 10, 23, 13, 0)).toISOString().slice(0, 16);
    const r = rig(`maintenance:\n  - { name: patch, match: { alertname: HostDown }, from: "${from}", to: "${to}", time_zone: UTC }\n`);
    r.fire('HostDown', { n: 1 });
    r.clock.advance(3 * MIN);
    r.fire('HostDown', { n: 2 });
    r.clock.advance(30 * MIN);
    assert.deepEqual(r.pages(), [], 'h0 held from 12:02, h1 never opened');
    r.clock.advance(27 * MIN);
    assert.equal(r.engine.incidents.unresolved().length, 2, 'h1 opens at 13:00');
    r.clock.advance(5 * MIN);
    assert.deepEqual(r.pages().sort(), ['email@63', 'email@65'], 'h0 resumes (3 min left), h1 pages 5 min after the window');
  });
});

describe('maintenance windows that close while Lifeline is down', () => {
  it('a recurring window that closed while down releases what fired under it, once; one that closed days ago is left alone', () => {
    // Every day 12:00-12:30 UTC.
    const r = rig('maintenance:\n  - { name: daily, match: { alertname: Patch }, cron: "0 12 * * *", duration: 30m, time_zone: UTC }\n');
    r.fire('Patch');
    assert.equal(r.engine.incidents.unresolved().length, 0, 'muted at 12:00');
    r.mutes.stop();
    r.engine.stop();
    r.clock.advance(45 * MIN);
    r.restart();
    assert.equal(r.engine.incidents.unresolved().length, 1, 'opened at start: the window closed at 12:30, while down');
    r.restart();
    assert.equal(r.engine.incidents.unresolved().length, 1, 'not twice');
    r.clock.advance(5 * MIN);
    assert.deepEqual(r.pages(), ['email@50']);
  });
});

describe('matchers as Alertmanager users type them, in !silence', () => {
  it('takes =~ with a quoted value, != and !~, and braces', () => {
    const r = rig();
    assert.match(r.say('silence alertname=~"Host.*" 30m')[0]!, /^silence #1 set by alice for 30 min: alertname=~Host\.\*$/);
    assert.match(r.say('silence {alertname="Disk Full", instance!~"db-.*"} 1h')[0]!, /^silence #2 set by alice for 1 h: alertname="Disk Full" instance!~db-\.\*$/);
    r.fire('HostDown');
    r.fire('Disk Full', { labels: { instance: 'web-1' } });
    r.fire('Disk Full', { labels: { instance: 'db-1' }, group: 'db', id: 'db' });
    assert.deepEqual(r.engine.incidents.unresolved().map((i) => i.title), ['Disk Full db-1'], 'HostDown and web-1 are silenced; db-1 is not');
  });
  it('refuses what is not a matcher, with the reason', () => {
    const r = rig();
    assert.match(r.say('silence alertname=~"Host.* 30m')[0]!, /no closing quote/);
    assert.match(r.say('silence alertname<>x 30m')[0]!, /"alertname<>x" is not a matcher; write label=value, label!=value, label=~regex or label!~regex/);
    assert.match(r.say('silence team!=db 30m')[0]!, /would silence everything/);
    assert.match(r.say('silence {alertname="x" 30m')[0]!, /does not close/);
    assert.equal(r.mutes.active().length, 0);
  });
});

describe('!alerts counts what it lists (issue 22 §4)', () => {
  it('leaves the Watchdog out of the count and says how many incidents follow', () => {
    const r = rig();
    r.fire('Watchdog', { labels: { severity: 'none' } });
    r.fire('HostDown');
    const out = r.say('alerts');
    assert.equal(out[0], '1 firing; 1 incident:');
    assert.match(out[1]!, /^ {2}[2-9A-Z]{4} OPEN \[critical\] HostDown h0/);
    assert.equal(out.length, 2);
  });
});

describe('acknowledging several incidents at once', () => {
  it('!ack A B acknowledges both and names the codes not found', () => {
    const r = rig();
    r.fire('A');
    r.fire('B');
    const [a, b] = [codeOf(r, 'A-0'), codeOf(r, 'B-0')];
    const out = r.say(`ack ${a} ${b.toLowerCase()} ZZZZ`);
    assert.deepEqual(out, [`${a} acknowledged by alice: A h0`, `${b} acknowledged by alice: B h0`, 'not acknowledged: no incident with id ZZZZ']);
    assert.equal(r.engine.incidents.countUnresolved().acked, 2);
  });
  it('!ack CODE+ acknowledges every open incident of the alert group; SMS "ACK CODE+" too', () => {
    const r = rig();
    r.fire('Grouped', { n: 5, group: 'g1' });
    r.fire('Other');
    const first = codeOf(r, 'Grouped-2');
    const out = r.say(`ack ${first}+`);
    assert.equal(out.length, 5, out.join('\n'));
    assert.equal(r.engine.incidents.countUnresolved().acked, 5);
    assert.equal(r.engine.incidents.liveAlerts(['Other-0']).get('Other-0')?.state, 'open', 'another group is untouched');
    r.fire('SmsGroup', { n: 3, group: 'g2' });
    const person = { name: 'alice', phone: '+4915112345678' } as Parameters<typeof smsCommand>[2];
    const reply = smsCommand(r.commands, r.engine.incidents, person, `ACK ${codeOf(r, 'SmsGroup-0')}+ ${codeOf(r, 'Other-0')}`);
    assert.match(reply, /^Lifeline: acknowledged ([2-9A-Z]{4}, ){3}[2-9A-Z]{4}\.$/);
    assert.equal(r.engine.incidents.countUnresolved().open, 0);
  });
});
