import assert from 'node:assert/strict';
import { rig, MIN, type Rig } from './rig.js';

// Moved from engine.test.ts: the part this file is named after.
describe('EscalationEngine (fake clock): severity changes under one incident (a redundancy group)', () => {
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
