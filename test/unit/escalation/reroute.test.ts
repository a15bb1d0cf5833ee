import assert from 'node:assert/strict';
import { SmsMessageStore } from '../../../src/store/smsMessages.js';
import { rig, MIN, type Rig } from './rig.js';

// Moved from engine.test.ts: the part this file is named after.
describe('EscalationEngine (fake clock): delivery receipts', () => {
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
