import assert from 'node:assert/strict';
import { NotifyError } from '../../../src/errors.js';
import { PagingFeedback, faultNotifiers, pagingNotifiers } from '../../../src/escalation/feedback.js';
import { ChannelHealth } from '../../../src/escalation/health.js';
import type { Notifier } from '../../../src/notifiers/notifier.js';

function rig(): { feedback: PagingFeedback; health: ChannelHealth; faults: string[] } {
  const health = new ChannelHealth();
  const faults: string[] = [];
  const feedback = new PagingFeedback({
    health,
    faults: { raise: (kind, detail) => void faults.push(`raise ${kind}: ${detail}`), clear: (kind) => void faults.push(`clear ${kind}`) },
    channels: ['email', 'sms'],
    scrub: (t) => t.replace('+4915112345678', "alice's phone"),
  });
  return { feedback, health, faults };
}

describe('paging feedback (what delivery tells paging)', () => {
  it('three failures in a row fail a paging channel; a delivery heals it; IRC and console never count', () => {
    const { feedback, health } = rig();
    for (let i = 0; i < 3; i++) feedback.failed('irc:#alerts', new Error('x'));
    for (let i = 0; i < 3; i++) feedback.failed('console', new Error('x'));
    assert.deepEqual(feedback.states(), [
      { channel: 'email', healthy: true, misconfigured: false },
      { channel: 'sms', healthy: true, misconfigured: false },
    ]);
    for (let i = 0; i < 3; i++) feedback.failed('sms:+4915112345678', new Error('timeout'));
    assert.equal(health.healthy('sms'), false);
    feedback.sent('sms:+4915112345678');
    assert.equal(health.healthy('sms'), true);
  });
  it("a failure for Lifeline's own configuration is a fault, named with the key to fix and without the number; the next delivery clears it", () => {
    const { feedback, faults } = rig();
    feedback.failed('sms:+4915112345678', new NotifyError('Twilio 20003 for +4915112345678: authenticate', { retryable: false, misconfigured: 'sms.auth_token' }));
    assert.equal(faults.length, 1);
    assert.match(faults[0] as string, /^raise notifier_misconfigured: sms: .*alice's phone.*; fix sms\.auth_token, then check with "lifeline test-notify --channel sms"$/);
    assert.doesNotMatch(faults[0] as string, /\+49/);
    assert.deepEqual(feedback.states()[1], { channel: 'sms', healthy: true, misconfigured: true });
    feedback.sent('email:alice@example.org');
    assert.equal(faults.length, 1, 'another channel delivering does not clear it');
    feedback.sent('sms:+4915112345678');
    assert.deepEqual(faults.slice(1), ['clear notifier_misconfigured']);
    assert.deepEqual(feedback.states()[1], { channel: 'sms', healthy: true, misconfigured: false });
  });
  it('paging notifiers are found by kind; faults are reported through written channels only (no call)', () => {
    const n = (kind: string): Notifier => ({ kind }) as Notifier;
    const paging = pagingNotifiers([n('console'), n('irc'), n('email'), n('sms'), n('voice')]);
    assert.deepEqual([...paging.keys()], ['email', 'sms', 'voice']);
    assert.deepEqual([...faultNotifiers(paging).keys()], ['email', 'sms']);
  });
});
