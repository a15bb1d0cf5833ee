import assert from 'node:assert/strict';
import { PAGING_DESTINATIONS } from '../../../src/escalation/channels/registry.js';
import { ContactNames } from '../../../src/observability/contactNames.js';
import type { Person } from '../../../src/people/oncall.js';

describe('contact names for metrics and logs', () => {
  const people = [
    { name: 'alice', phone: '+4915112345678', email: 'alice@example.org', time_zone: 'UTC' },
    { name: 'bob', phone: '+41791234567', time_zone: 'UTC' },
  ] as Person[];
  const names = new ContactNames(people, PAGING_DESTINATIONS);

  it('names paging destinations by channel and person, never by address or number', () => {
    assert.equal(names.destination('voice:+4915112345678'), 'voice:alice');
    assert.equal(names.destination('sms:+4915112345678'), 'sms:alice');
    assert.equal(names.destination('email:alice@example.org'), 'email:alice');
    assert.equal(names.destination('sms:+41791234567'), 'sms:bob');
    assert.equal(names.destination('sms:+15550001111'), 'sms:unknown', 'a number of nobody in people is not shown either');
    assert.equal(names.destination('email:carol@example.org'), 'email:unknown');
    assert.equal(names.destination('irc:#alerts'), 'irc:#alerts');
    assert.equal(names.destination('console'), 'console');
  });

  it('takes numbers and addresses out of error text', () => {
    assert.equal(names.text("Twilio: The 'To' number +4915112345678 is not a valid phone number. (code 21211)"), "Twilio: The 'To' number alice's phone is not a valid phone number. (code 21211)");
    assert.equal(names.text('550 5.1.1 <alice@example.org>: Recipient address rejected'), "550 5.1.1 <alice's email>: Recipient address rejected");
    assert.equal(names.text('to +15550001111 and <carol@example.org>'), 'to [phone] and <[email]>');
    assert.equal(names.text('connect ECONNREFUSED 127.0.0.1:25'), 'connect ECONNREFUSED 127.0.0.1:25');
  });
});
