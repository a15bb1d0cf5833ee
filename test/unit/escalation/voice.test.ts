import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load.js';
import { EscalationEngine } from '../../../src/escalation/engine.js';
import { ChannelHealth } from '../../../src/escalation/health.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { OnCallSchedule } from '../../../src/people/oncall.js';
import { escalationStores } from '../../../src/store/escalationStores.js';
import { yaml, rig, MIN, type Rig } from './rig.js';

// Moved from engine.test.ts: the part this file is named after.
describe('EscalationEngine (fake clock): voice steps', () => {
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
