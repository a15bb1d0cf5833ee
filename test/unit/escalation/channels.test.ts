import assert from 'node:assert/strict';
import { PAGING_CHANNELS, pagingChannelOf } from '../../../src/escalation/channels.js';
import { ChannelHealth } from '../../../src/escalation/health.js';

describe('paging channels', () => {
  it('only email, SMS and voice destinations are paging channels; IRC and console never feed failover', () => {
    assert.equal(pagingChannelOf('email:alice@example.org'), 'email');
    assert.equal(pagingChannelOf('sms:+4915112345678'), 'sms');
    assert.equal(pagingChannelOf('voice:+4915112345678'), 'voice');
    assert.equal(pagingChannelOf('irc:#alerts'), undefined);
    assert.equal(pagingChannelOf('console'), undefined);
    // What app.ts does with delivery failures: three IRC failures must not mark any channel unhealthy.
    const health = new ChannelHealth();
    const changes: string[] = [];
    health.onChange((ch, ok) => changes.push(`${ch}:${ok}`));
    for (let i = 0; i < 3; i++) {
      const ch = pagingChannelOf('irc:#alerts');
      if (ch) health.failed(ch);
    }
    assert.deepEqual(changes, []);
    assert.ok(health.healthy('email') && health.healthy('sms'));
  });
  it('each channel falls back to the other and knows how to reach a person', () => {
    assert.equal(PAGING_CHANNELS.email.fallback, 'sms');
    assert.equal(PAGING_CHANNELS.sms.fallback, 'email');
    const alice = { name: 'alice', email: 'Alice@Example.org', phone: undefined } as unknown as Parameters<typeof PAGING_CHANNELS.email.destination>[0];
    assert.equal(PAGING_CHANNELS.email.destination(alice), 'email:alice@example.org');
    assert.equal(PAGING_CHANNELS.sms.destination(alice), undefined);
  });
});
