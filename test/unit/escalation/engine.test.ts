import assert from 'node:assert/strict';
import { DateTime } from 'luxon';
import { parseConfig } from '../../../src/config/load.js';
import { EscalationEngine } from '../../../src/escalation/engine.js';
import { ChannelHealth } from '../../../src/escalation/health.js';
import type { PathMonitor } from '../../../src/escalation/pathMonitor.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { OnCallSchedule } from '../../../src/people/oncall.js';
import type { PageMessage, TextMessage } from '../../../src/alerts/messages.js';
import { openDb, type Db } from '../../../src/store/db.js';
import { Outbox } from '../../../src/store/outbox.js';
import { rebaseTimes } from '../../../src/store/rebase.js';
import { ClockStepWatcher } from '../../../src/util/clockStep.js';
import { SmsMessageStore } from '../../../src/store/smsMessages.js';
import { FakeClock } from '../fakeClock.js';
import { escalationStores } from '../../../src/store/escalationStores.js';

const SID = `AC${'0'.repeat(32)}`;
function yaml(extra = '', budget = 'max_per_hour: 20, max_per_day: 100'): string {
  return `people:
  - { name: alice, email: alice@example.org, phone: "+4915112345678", time_zone: Europe/Berlin, quiet_hours: { from: "22:00", to: "07:00" } }
  - { name: bob, email: bob@example.org, phone: "+4915187654321" }
oncall:
  rotations:
    - { name: primary, people: [alice, bob], start: "2026-11-23", handover_time: "00:00", time_zone: Europe/Berlin }
email: { host: smtp.example.org, from: lifeline@example.org }
sms: { account_sid: ${SID}, auth_token: t, from: "+15005550006", ${budget} }
${extra}`;
}

interface Rig {
  clock: FakeClock;
  db: Db;
  outbox: Outbox;
  engine: EscalationEngine;
  health: ChannelHealth;
  sent(): Array<{ dest: string; subject: string; body: string[]; atMin: number }>;
  fire(name: string, severity?: string): void;
  resolve(name: string): void;
  /** Sets the IRC path health as the supervisor would, and tells the engine. */
  irc(healthy: boolean, reason?: string): void;
  /** Outages the engine reported as ended. */
  outages: Array<{ incident: string; fromMs: number; toMs: number }>;
}

function rig(extra = '', startIso = '2026-11-23T12:00', budget?: string): Rig {
  const config = parseConfig(yaml(extra, budget), 't.yaml', {});
  const clock = new FakeClock(DateTime.fromISO(startIso, { zone: 'Europe/Berlin' }).toMillis());
  const t0 = clock.now();
  const db = openDb(':memory:');
  const outbox = new Outbox(db, 1000);
  const health = new ChannelHealth();
  // The watched path: a PathMonitor the test flips, as the IRC supervisor's state would.
  let irc = true;
  let why = '';
  const listeners = new Set<() => void>();
  const path: PathMonitor = {
    name: 'IRC alert path',
    healthy: () => irc,
    reason: () => why,
    onChange: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  const outages: Rig['outages'] = [];
  const pathOutageEnded = (o: Rig['outages'][number]): { fired: number; resolved: number; firingNow: number } => {
    outages.push(o);
    return { fired: 2, resolved: 1, firingNow: 3 };
  };
  // As the app wires it: a wall-clock step moves the stored times that measure waits.
  const watch = new ClockStepWatcher(clock);
  const checkClock = (): void => {
    const step = watch.check();
    if (step !== 0) rebaseTimes(db, step, clock.now());
  };
  const engine = new EscalationEngine({ config, ...escalationStores(db), outbox, schedule: new OnCallSchedule(config), clock, log: silentLogger(), health, poke: () => undefined, path, pathOutageEnded, checkClock });
  engine.start();
  const alert = (name: string, status: 'firing' | 'resolved', severity = 'critical'): void => {
    db.transaction(() => engine.onAlerts({ groupKey: name, status, commonLabels: {} }, [{ fingerprint: name, status, labels: { alertname: name, severity, instance: 'h1' }, summary: `${name} summary` }], clock.now()))();
    engine.kick();
  };
  return {
    clock,
    db,
    outbox,
    engine,
    health,
    sent: () =>
      [
        ...outbox.pending('email:alice@example.org'),
        ...outbox.pending('sms:+4915112345678'),
        ...outbox.pending('voice:+4915112345678'),
        ...outbox.pending('email:bob@example.org'),
        ...outbox.pending('sms:+4915187654321'),
        ...outbox.pending('voice:+4915187654321'),
      ]
        .sort((a, b) => a.id - b.id)
        .map((e) => {
          const m = e.message as PageMessage | TextMessage;
          return { dest: e.destination, subject: m.kind === 'page' ? m.subject : m.text, body: m.kind === 'page' ? m.body : [], atMin: Math.round((e.createdMs - t0) / 60_000) };
        }),
    fire: (n, sev) => alert(n, 'firing', sev),
    resolve: (n) => alert(n, 'resolved'),
    outages,
    irc: (healthy, reason = 'not connected to the bouncer') => {
      irc = healthy;
      why = reason;
      for (const l of listeners) l();
    },
  };
}

const MIN = 60_000;

describe('EscalationEngine (fake clock)', () => {
  it('default policy: email at 5 min, SMS at 10 min, SMS every 30 min up to 6 times', () => {
    const r = rig();
    r.fire('HostDown');
    r.clock.advance(4 * MIN + 59_000);
    assert.equal(r.sent().length, 0);
    r.clock.advance(1_000);
    assert.deepEqual(r.sent().map((s) => `${s.dest}@${s.atMin}`), ['email:alice@example.org@5']);
    r.clock.advance(5 * MIN);
    r.clock.advance(6 * 30 * MIN + 10 * MIN);
    assert.deepEqual(r.sent().map((s) => `${s.dest.split(':')[0]}@${s.atMin}`), ['email@5', 'sms@10', 'sms@40', 'sms@70', 'sms@100', 'sms@130', 'sms@160', 'sms@190']);
    assert.match(r.sent()[0]!.subject, /^\[CRITICAL\] HostDown h1 - ack [2-9A-Z]{4}$/);
    assert.ok(r.sent()[0]!.body.some((l) => l.includes('!ack')), 'the page says how to acknowledge');
  });

  it('a wall clock stepped back an hour does not hold a step: email still at 5 min (issue 7.6)', () => {
    const r = rig();
    r.fire('HostDown');
    r.clock.advance(1 * MIN);
    r.clock.stepWall(-60 * MIN);
    r.clock.advance(3 * MIN + 59_000);
    assert.equal(r.sent().length, 0);
    r.clock.advance(1_000);
    assert.equal(r.sent().length, 1, 'paged 5 min after the alert, by the monotonic clock');
  });

  it('a wall clock stepped forward an hour does not page early (issue 7.6)', () => {
    const r = rig();
    r.fire('HostDown');
    r.clock.advance(1 * MIN);
    r.clock.stepWall(60 * MIN);
    r.clock.advance(1_000); // any pass over due steps now sees the step first
    r.engine.kick();
    assert.equal(r.sent().length, 0, 'not paged 56 min early');
    r.clock.advance(3 * MIN + 59_000);
    assert.equal(r.sent().length, 1);
  });

  it('acknowledgement stops escalation; an unknown or repeated ack is refused', () => {
    const r = rig();
    r.fire('HostDown');
    r.clock.advance(6 * MIN);
    const code = r.engine.incidents.live('alert', 'HostDown')!.ackCode;
    assert.deepEqual(r.engine.ack('ZZZZ', 'alice'), { ok: false, reason: 'no incident with id ZZZZ' });
    const ok = r.engine.ack(code.toLowerCase(), 'alice');
    assert.ok(ok.ok);
    assert.equal(r.engine.ack(code, 'bob').ok, false);
    r.clock.advance(5 * 60 * MIN);
    assert.equal(r.sent().length, 1, 'only the email before the ack');
  });

  it('an acknowledgement can time out and re-page', () => {
    const r = rig('escalation:\n  ack_timeout: 30m\n');
    r.fire('HostDown');
    r.clock.advance(6 * MIN);
    assert.ok(r.engine.ack(r.engine.incidents.live('alert', 'HostDown')!.ackCode, 'alice').ok);
    r.clock.advance(29 * MIN);
    assert.equal(r.sent().length, 1);
    r.clock.advance(1 * MIN);
    assert.deepEqual(r.sent().map((s) => `${s.dest.split(':')[0]}@${s.atMin}`), ['email@5', 'sms@36']);
  });

  it('resolved notices go to the channels that were paged', () => {
    const r = rig();
    r.fire('HostDown');
    r.clock.advance(11 * MIN);
    r.resolve('HostDown');
    r.clock.advance(3 * MIN);
    const notices = r.sent().filter((s) => s.subject.startsWith('RESOLVED'));
    assert.deepEqual(notices.map((s) => s.dest.split(':')[0]).sort(), ['email', 'sms']);
    r.clock.advance(60 * MIN);
    assert.equal(r.sent().filter((s) => !s.subject.startsWith('RESOLVED')).length, 2, 'no more pages after resolve');
  });

  it('bundles pages to one person within the window, and never pages a fingerprint twice per step', () => {
    const r = rig();
    r.fire('A');
    r.clock.advance(5 * MIN); // A's email goes at once: the first page
    r.fire('B');
    r.fire('C');
    r.fire('A'); // repeat: same incident, nothing new
    r.clock.advance(5 * MIN); // B's and C's emails fall due together at 10 min: one bundle
    const emails = r.sent().filter((s) => s.dest.startsWith('email'));
    assert.equal(emails.length, 2);
    assert.match(emails[1]!.subject, /^2 pages: /);
    assert.equal(r.engine.incidents.unresolved().length, 3);
  });

  it('holds non-critical pages during quiet hours, never critical ones', () => {
    const r = rig('', '2026-11-23T21:50');
    r.fire('DiskFilling', 'warning');
    r.fire('HostDown', 'critical');
    r.clock.advance(6 * MIN); // 21:56: emails for both due at 21:55
    r.clock.advance(10 * MIN); // 22:06: in quiet hours
    const subjects = (): string[] => r.sent().flatMap((s) => [s.subject, ...s.body]);
    assert.ok(subjects().some((l) => l.includes('HostDown')));
    const smsBefore = r.sent().filter((s) => s.dest.startsWith('sms') && [s.subject, ...s.body].some((l) => l.includes('DiskFilling'))).length;
    assert.equal(smsBefore, 0, 'the warning SMS waits for the end of quiet hours');
    r.clock.advance(9 * 60 * MIN); // past 07:00
    assert.ok(r.sent().some((s) => s.dest.startsWith('sms') && [s.subject, ...s.body].some((l) => l.includes('DiskFilling'))));
  });

  it('keeps an SMS budget per person: past it, pages go by email and one SMS says so', () => {
    const r = rig('escalation:\n  bundle_window: 1s\n  policies:\n    - { name: sms, steps: [{ after: 0s, notify: [sms] }] }\n', undefined, 'max_per_hour: 3, max_per_day: 5');
    for (let i = 0; i < 6; i++) {
      r.fire(`Alert${i}`);
      r.clock.advance(2_000);
    }
    const sms = r.sent().filter((s) => s.dest.startsWith('sms'));
    assert.equal(sms.filter((s) => !s.subject.includes('budget')).length, 3, 'three pages by SMS (max_per_hour: 3)');
    assert.equal(sms.filter((s) => s.subject.includes('budget')).length, 1, 'one budget notice');
    assert.equal(r.sent().filter((s) => s.dest.startsWith('email')).length, 3, 'the rest by email');
  });

  it('moves to SMS when email keeps failing', () => {
    const r = rig();
    r.fire('HostDown');
    r.clock.advance(5 * MIN);
    assert.equal(r.sent().length, 1);
    for (let i = 0; i < 3; i++) r.health.failed('email');
    assert.deepEqual(r.sent().map((s) => s.dest.split(':')[0]), ['email', 'sms'], 'the stuck email page went by SMS at once');
  });

  it('resumes after a restart without repeating or skipping steps', () => {
    const r = rig();
    r.fire('HostDown');
    r.clock.advance(5 * MIN);
    r.engine.stop();
    r.clock.advance(30 * MIN); // down for half an hour: the 10-min step is overdue
    const config = parseConfig(yaml(), 't.yaml', {});
    const again = new EscalationEngine({ config, ...escalationStores(r.db), outbox: r.outbox, schedule: new OnCallSchedule(config), clock: r.clock, log: silentLogger(), health: new ChannelHealth(), poke: () => undefined, pathOutageEnded: () => ({ fired: 0, resolved: 0, firingNow: 0 }) });
    again.start();
    assert.deepEqual(r.sent().map((s) => `${s.dest.split(':')[0]}@${s.atMin}`), ['email@5', 'sms@35']);
  });

  it('pages the path-down incident once, with the waiting alerts, only after the grace period', () => {
    const r = rig('escalation:\n  path_grace: 2m\n');
    r.fire('HostDown');
    r.irc(false);
    r.clock.advance(119_000);
    assert.equal(r.sent().length, 0);
    r.clock.advance(1_000);
    const first = r.sent();
    assert.deepEqual(first.map((s) => s.dest.split(':')[0]).sort(), ['email', 'sms']);
    assert.ok(first.every((s) => [s.subject, ...s.body].join(' ').includes('IRC alert path down') && [s.subject, ...s.body].join(' ').includes('HostDown')));
    r.irc(false, 'still down');
    r.clock.advance(1_000);
    assert.equal(r.sent().length, 2, 'no second notice');
    r.irc(true);
    r.clock.advance(1_000);
    assert.deepEqual(r.sent().slice(2).map((s) => s.subject.includes('restored')), [true, true]);
  });

  it('a bundle leads with the path-down page, then criticals before warnings; its subject names the worst (issue 22 §4)', () => {
    const r = rig('escalation:\n  path_grace: 2m\n');
    r.fire('DiskFilling', 'warning');
    r.fire('HostDown', 'critical');
    r.fire('CertExpiring', 'warning');
    r.irc(false);
    r.clock.advance(120_000);
    const email = r.sent().find((s) => s.dest.startsWith('email'))!;
    assert.match(email.subject, /^4 pages: \[CRITICAL\] Lifeline: IRC alert path down - ack /);
    const order = email.body.filter((l) => /^\[[A-Z]+\]/.test(l)).map((l) => l.replace(/ - ack .*/, ''));
    assert.deepEqual(order, ['[CRITICAL] Lifeline: IRC alert path down', '[CRITICAL] HostDown h1', '[WARNING] DiskFilling h1', '[WARNING] CertExpiring h1']);
  });

  it('an email page says since when in words, ends its sentences once and links the status page when http.public_url is set (issue 22 §4)', () => {
    const r = rig('http:\n  public_url: https://lifeline.example.org/\nescalation:\n  policies:\n    - { name: p, steps: [{ after: 0s, notify: [email] }] }\n', '2026-12-04T16:49');
    r.db.transaction(() => r.engine.onAlerts({ groupKey: 'g', status: 'firing', commonLabels: {} }, [{ fingerprint: 'f', status: 'firing', labels: { alertname: 'Slow', severity: 'critical', instance: 'h1' }, summary: 'p99 above 2s for 10 min.' }], r.clock.now()))();
    r.engine.kick();
    const body = r.sent()[0]!.body;
    assert.equal(body[0], 'Slow h1 is firing: p99 above 2s for 10 min.');
    assert.equal(body[1], 'Since Fri 4 Dec 15:49 UTC (critical).');
    assert.equal(body.at(-1), 'Status: https://lifeline.example.org/');
  });

  it('a short blip under the grace period pages nobody', () => {
    const r = rig('escalation:\n  path_grace: 2m\n');
    r.irc(false, 'blip');
    r.clock.advance(60_000);
    r.irc(true);
    r.clock.advance(10 * MIN);
    assert.equal(r.sent().length, 0);
  });

  it('the "restored" note says only what happened, and the channel summary is queued once', () => {
    const r = rig('escalation:\n  path_grace: 10s\n');
    r.irc(false);
    r.clock.advance(10_000);
    assert.equal(r.sent().length, 2);
    r.clock.advance(7_000);
    r.irc(true);
    r.clock.advance(1_000);
    const restored = r.sent().slice(2);
    assert.equal(restored.length, 2);
    for (const m of restored) {
      const text = [m.subject, ...m.body].join(' ');
      assert.doesNotMatch(text, /posted/, 'nothing is claimed as posted');
      assert.match(text, /after 17 s/);
      assert.match(text, /2 alert\(s\) started firing and 1 resolved; 3 firing now/);
      assert.match(text, /queued for the IRC channel/);
    }
    assert.equal(r.outages.length, 1);
    assert.equal(r.outages[0]!.toMs - r.outages[0]!.fromMs, 17_000);
  });

  it('a path blip that paged nobody queues no outage summary', () => {
    const r = rig('escalation:\n  path_grace: 2m\n');
    r.irc(false);
    r.clock.advance(5_000);
    r.irc(true);
    assert.equal(r.outages.length, 0);
  });

  it('a notice never delays a critical page, and a bundle names each incident once', () => {
    const r = rig('escalation:\n  path_grace: 10s\n  bundle_window: 2m\n  policies:\n    - { name: fast, steps: [ { after: 3s, notify: [email] }, { after: 6s, notify: [sms] }, { after: 7s, notify: [sms] }, { after: 8s, notify: [sms] } ] }\n');
    r.irc(false);
    r.clock.advance(10_000); // path-down pages
    r.clock.advance(3 * MIN); // their bundle window is over
    r.irc(true); // restored notices: they must not open a new one
    r.clock.advance(1_000);
    assert.ok(r.sent().some((m) => m.subject.includes('restored')));
    const before = r.sent().length;
    r.fire('DiskFull');
    r.clock.advance(3_000);
    const email = r.sent().slice(before).filter((m) => m.dest.startsWith('email:') && m.subject.includes('DiskFull'));
    assert.equal(email.length, 1, 'the 3 s email step went at 3 s, not after the notice\'s window');
    r.clock.advance(3_000);
    const sms = r.sent().slice(before).filter((m) => m.dest.startsWith('sms:') && [m.subject, ...m.body].join(' ').includes('DiskFull'));
    assert.equal(sms.length, 1, 'the 6 s SMS step went at 6 s');
    r.clock.advance(2 * MIN);
    const later = r.sent().slice(before).filter((m) => m.dest.startsWith('sms:')).slice(1);
    assert.equal(later.length, 1, 'steps 3 and 4 came due within one window: one bundle');
    const text = [later[0]!.subject, ...later[0]!.body].join(' | ');
    assert.equal(text.split(' - ack ').length - 1, 1, `the incident is listed once: ${text}`);
  });

  it('an open incident whose alert turns critical stays one incident, becomes critical and pages again at once, quiet hours or not', () => {
    const r = rig('escalation:\n  policies:\n    - { name: p, steps: [{ after: 0s, notify: [sms] }] }\n', '2026-11-23T23:00');
    r.fire('VpnRedundancy', 'warning');
    r.clock.advance(MIN);
    assert.equal(r.sent().length, 0, 'a warning waits for the end of alice\'s quiet hours');
    r.fire('VpnRedundancy', 'critical');
    const open = r.engine.incidents.unresolved();
    assert.equal(open.length, 1, 'still one incident');
    assert.equal(open[0]!.severity, 'critical');
    assert.deepEqual(r.sent().map((s) => `${s.dest.split(':')[0]}@${s.atMin}`), ['sms@1'], 'paged now, at 23:01');
    assert.match(r.sent()[0]!.subject, /^\[CRITICAL\] VpnRedundancy h1/);
    r.fire('VpnRedundancy', 'critical');
    r.clock.advance(9 * 60 * MIN); // past 07:00: the held warning page is not sent after all
    assert.equal(r.sent().length, 1, 'the same critical alert again pages nothing more, and the held warning page was replaced');
  });

  describe('severity changes under one incident (a redundancy group)', () => {
    const POLICIES = `escalation:\n  bundle_window: 1s\n  policies:\n    - { name: crit, match: { severity: critical }, steps: [{ after: 0s, notify: [email, sms] }, { after: 30m, notify: [sms] }] }\n    - { name: warn, match: { severity: warning }, steps: [{ after: 0s, notify: [email] }, { after: 1h, notify: [email] }] }\n`;
    const change = (r: Rig, severity: string, summary: string): void => {
      r.db.transaction(() => r.engine.onAlerts({ groupKey: 'vpn', status: 'firing', commonLabels: {} }, [{ fingerprint: 'redundancy:vpn', status: 'firing', labels: { alertname: 'VpnRedundancy', instance: 'vpn', severity }, summary, relabelled: true }], r.clock.now()))();
      r.engine.kick();
    };
    const kinds = (r: Rig): string[] => r.sent().map((s) => `${s.dest.split(':')[0]}@${s.atMin}`);

    it('turning critical moves the incident to the critical policy: its email and SMS go at once, its later steps follow from then (issue 21 §1)', () => {
      const r = rig(POLICIES);
      r.db.transaction(() => r.engine.onAlerts({ groupKey: 'vpn', status: 'firing', commonLabels: {} }, [{ fingerprint: 'redundancy:vpn', status: 'firing', labels: { alertname: 'VpnRedundancy', instance: 'vpn', severity: 'warning' }, summary: 'redundancy lost' }], r.clock.now()))();
      r.engine.kick();
      assert.deepEqual(kinds(r), ['email@0'], 'the warning policy: email');
      r.clock.advance(10 * MIN);
      change(r, 'critical', 'quorum lost');
      assert.deepEqual(kinds(r), ['email@0', 'email@10', 'sms@10'], 'the critical policy pages by email and SMS at once');
      assert.match(r.sent()[2]!.subject, /^\[CRITICAL\] VpnRedundancy vpn - ack /);
      assert.equal(r.engine.incidents.unresolved()[0]?.policy, 'crit');
      r.clock.advance(30 * MIN);
      assert.deepEqual(kinds(r), ['email@0', 'email@10', 'sms@10', 'sms@40'], "the critical policy's 30 min step counts from the change");
    });

    it('falling back from critical is told on the channels that paged, and the incident is lowered (issue 21 §1)', () => {
      const r = rig(POLICIES);
      r.db.transaction(() => r.engine.onAlerts({ groupKey: 'vpn', status: 'firing', commonLabels: {} }, [{ fingerprint: 'redundancy:vpn', status: 'firing', labels: { alertname: 'VpnRedundancy', instance: 'vpn', severity: 'critical' }, summary: 'quorum lost' }], r.clock.now()))();
      r.engine.kick();
      assert.deepEqual(kinds(r), ['email@0', 'sms@0']);
      r.clock.advance(5 * MIN);
      change(r, 'warning', 'VPN vpn: redundancy lost: node-2 of 2 down, VPN still served by node-1');
      assert.deepEqual(kinds(r), ['email@0', 'sms@0', 'email@5', 'sms@5'], 'one notice on each channel that paged');
      const notice = r.sent()[3]!;
      assert.match(notice.subject, /^\[WARNING\] VpnRedundancy vpn - no longer critical - ack [2-9A-Z]{4}$/);
      assert.match(r.sent()[2]!.body[0]!, /VPN still served by node-1/);
      const inc = r.engine.incidents.unresolved()[0]!;
      assert.equal(inc.severity, 'warning');
      assert.equal(inc.policy, 'warn');
      r.clock.advance(30 * MIN);
      assert.equal(r.sent().length, 4, "no critical SMS step at 30 min: the incident follows the warning policy");
      r.clock.advance(30 * MIN);
      assert.deepEqual(kinds(r).slice(4), ['email@65'], "the warning policy's 1 h step, counted from the change");
    });
  });

  describe('voice steps', () => {
    const VOICE = 'voice: { from: "+15005550006", public_url: "https://lifeline.example.org", max_per_hour: 3 }\n';
    const callThenSms = `${VOICE}escalation:\n  bundle_window: 2m\n  policies:\n    - { name: call, steps: [{ after: 0s, notify: [voice] }, { after: 15m, notify: [sms] }] }\n`;
    const kinds = (r: Rig): string[] => r.sent().map((s) => `${s.dest.split(':')[0]}@${s.atMin}`);

    it('a voice step calls on-call at once with the count, the worst incident and its code spelled out; the next step follows its wait', () => {
      const r = rig(callThenSms);
      r.fire('HostDown');
      const code = r.engine.incidents.unresolved()[0]!.ackCode;
      assert.deepEqual(kinds(r), ['voice@0']);
      assert.deepEqual(r.sent()[0]!.body, [`This is Lifeline with one incident: HostDown h1, critical, for less than a minute, incident ${[...code].join(' ')}.`]);
      r.clock.advance(15 * MIN);
      assert.deepEqual(kinds(r), ['voice@0', 'sms@15']);
    });

    it('a call that did not reach the person (escalateNow) moves to the next step at once, once; acked or resolved incidents stay put', () => {
      const r = rig(callThenSms);
      r.fire('HostDown');
      r.fire('DiskFull');
      const [a, b] = r.engine.incidents.unresolved();
      r.engine.ack(b!.ackCode, 'bob');
      r.clock.advance(1_000);
      r.engine.escalateNow([a!.id, b!.id], 'no answer');
      assert.deepEqual(kinds(r).filter((k) => k.startsWith('sms')), ['sms@0'], 'the SMS step now, for the open incident only');
      r.engine.escalateNow([a!.id], 'no answer again');
      r.clock.advance(20 * MIN);
      assert.deepEqual(kinds(r).filter((k) => k.startsWith('sms')), ['sms@0'], 'no step twice, and nothing left after the last');
    });

    it('bundles: one call per person per window, saying how many and the worst (critical before warning)', () => {
      const r = rig(callThenSms);
      r.fire('First');
      r.clock.advance(MIN);
      r.fire('Slow', 'warning');
      r.fire('Worse', 'critical');
      r.clock.advance(MIN);
      const calls = r.sent().filter((s) => s.dest.startsWith('voice'));
      assert.equal(calls.length, 2, 'the second call waited for the 2 min window');
      assert.equal(calls[1]!.atMin, 2);
      assert.match(calls[1]!.body[0]!, /^This is Lifeline with 2 incidents\. The worst: Worse h1, critical, for 1 minute, incident /);
    });

    it('reads out the worst by the one severity table: "page" and "error" rank above "warning" (issue 19 §5)', () => {
      for (const worst of ['page', 'error', 'high']) {
        const r = rig(callThenSms);
        r.fire('First');
        r.clock.advance(MIN);
        r.fire('Slow', 'warning');
        r.fire('Worse', worst);
        r.clock.advance(MIN);
        const calls = r.sent().filter((s) => s.dest.startsWith('voice'));
        assert.match(calls[1]!.body[0]!, new RegExp(`^This is Lifeline with 2 incidents\\. The worst: Worse h1, ${worst}, `), `${worst}: ${calls[1]!.body[0]}`);
      }
    });

    it('quiet hours hold a call for a warning until they end; a critical one calls at once', () => {
      const r = rig(`${VOICE}escalation:\n  policies:\n    - { name: call, steps: [{ after: 0s, notify: [voice] }] }\n`, '2026-11-23T23:00');
      r.fire('DiskFilling', 'warning');
      r.clock.advance(MIN);
      assert.equal(r.sent().length, 0, 'no call at 23:00 for a warning');
      r.fire('HostDown', 'critical');
      assert.deepEqual(r.sent().map((s) => s.body[0]?.includes('HostDown')), [true]);
      r.clock.advance(8 * 60 * MIN); // 07:01
      assert.ok(r.sent().some((s) => s.dest.startsWith('voice') && s.body[0]!.includes('DiskFilling')), 'called when quiet hours ended');
    });

    it('keeps a call budget per person: past voice.max_per_hour the page goes by SMS', () => {
      const r = rig(`${VOICE}escalation:\n  bundle_window: 1s\n  policies:\n    - { name: call, steps: [{ after: 0s, notify: [voice] }] }\n`);
      for (let i = 0; i < 5; i++) {
        r.fire(`Alert${i}`);
        r.clock.advance(2_000);
      }
      assert.deepEqual(r.sent().map((s) => s.dest.split(':')[0]), ['voice', 'voice', 'voice', 'sms', 'sms']);
    });

    it('the "resolved" notice of a called incident comes by SMS, never as a call', () => {
      const r = rig(callThenSms);
      r.fire('HostDown');
      r.clock.advance(MIN);
      r.resolve('HostDown');
      assert.deepEqual(kinds(r), ['voice@0', 'sms@1']);
      assert.match(r.sent()[1]!.subject, /^RESOLVED HostDown/);
    });

    it('a restart in the middle of a call places no second call for the same step', () => {
      const r = rig(callThenSms);
      r.fire('HostDown');
      assert.deepEqual(kinds(r), ['voice@0']);
      r.engine.stop();
      r.clock.advance(MIN);
      const config = parseConfig(yaml(callThenSms), 't.yaml', {});
      const again = new EscalationEngine({ config, ...escalationStores(r.db), outbox: r.outbox, schedule: new OnCallSchedule(config), clock: r.clock, log: silentLogger(), health: new ChannelHealth(), poke: () => undefined, pathOutageEnded: () => ({ fired: 0, resolved: 0, firingNow: 0 }) });
      again.start();
      r.clock.advance(5 * MIN);
      assert.deepEqual(kinds(r), ['voice@0']);
      // The call's outcome arrives after the restart: still moves the incident on.
      again.escalateNow([again.incidents.unresolved()[0]!.id], 'no answer');
      assert.deepEqual(kinds(r), ['voice@0', 'sms@6']);
    });
  });

  describe('delivery receipts', () => {
    const RECEIPTS = 'escalation:\n  bundle_window: 1s\n  policies:\n    - { name: sms, steps: [{ after: 0s, notify: [sms] }, { after: 30m, notify: [sms] }] }\n';
    const withReceipts = (budget = 'max_per_hour: 20, max_per_day: 100, status_url: "https://lifeline.example.org/api/v1/twilio/sms/status"'): Rig => rig(RECEIPTS, undefined, budget);
    /** As the SMS notifier does on sending: records the message for its receipt, and pokes escalation. */
    const sentWithReceipt = (r: Rig, sid: string): number => {
      const e = r.outbox.pending('sms:+4915112345678').at(-1)!;
      new SmsMessageStore(r.db).sent(e.id, sid, 'alice', r.clock.now());
      r.engine.kick();
      return e.id;
    };

    it('an SMS without "delivered" within sms.delivery_timeout (5 min) goes by email, once', () => {
      const r = withReceipts();
      r.fire('HostDown');
      sentWithReceipt(r, 'SM1');
      r.clock.advance(4 * MIN);
      assert.deepEqual(r.sent().map((s) => s.dest.split(':')[0]), ['sms']);
      r.clock.advance(MIN);
      assert.deepEqual(r.sent().map((s) => `${s.dest.split(':')[0]}@${s.atMin}`), ['sms@0', 'email@5']);
      assert.match(r.sent()[1]!.subject, /HostDown/);
      r.clock.advance(10 * MIN);
      assert.equal(r.sent().length, 2, 'moved once');
    });

    it('a delivered receipt settles it; an undelivered one moves at once, never for an acknowledged incident', () => {
      const r = withReceipts();
      const store = new SmsMessageStore(r.db);
      r.fire('A');
      sentWithReceipt(r, 'SM-A');
      assert.equal(store.receipt('SM-A', 'delivered', null, r.clock.now())?.settles, 'delivered');
      r.clock.advance(10 * MIN);
      assert.equal(r.sent().filter((s) => s.dest.startsWith('email')).length, 0);
      r.fire('B');
      r.clock.advance(2_000);
      const b = sentWithReceipt(r, 'SM-B');
      r.engine.ack(r.engine.incidents.live('alert', 'B')!.ackCode, 'alice');
      r.engine.smsUndelivered(b, 'alice', 'Twilio reports it undelivered (error 30003)');
      assert.equal(r.sent().filter((s) => s.dest.startsWith('email')).length, 0, 'B was acknowledged meanwhile');
    });

    it('after an undelivered SMS, SMS pages to that person go by email until an SMS reaches them again', () => {
      const r = withReceipts();
      r.fire('A');
      const a = sentWithReceipt(r, 'SM-A');
      r.engine.smsUndelivered(a, 'alice', 'failed (30005)');
      assert.deepEqual(r.sent().map((s) => s.dest.split(':')[0]), ['sms', 'email']);
      r.clock.advance(2_000);
      r.fire('B');
      assert.deepEqual(r.sent().map((s) => s.dest.split(':')[0]), ['sms', 'email', 'email'], 'B by email: SMS is failing for alice');
      r.engine.smsDelivered('alice');
      r.clock.advance(2_000);
      r.fire('C');
      assert.equal(r.sent().at(-1)!.dest.split(':')[0], 'sms', 'SMS again once one was delivered');
    });
  });
});
