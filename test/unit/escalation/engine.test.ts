import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load.js';
import { EscalationEngine } from '../../../src/escalation/engine.js';
import { ChannelHealth } from '../../../src/escalation/health.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { OnCallSchedule } from '../../../src/people/oncall.js';
import { escalationStores } from '../../../src/store/escalationStores.js';
import { yaml, rig, MIN } from './rig.js';

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

});
