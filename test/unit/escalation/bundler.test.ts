import assert from 'node:assert/strict';
import { bundleText, type PageText } from '../../../src/escalation/bundler.js';

const page = (i: number): PageText => ({ subject: `[CRITICAL] Alert${i} - ack A${String(i).padStart(3, '0')}`, body: [`Alert${i} is firing.`, 'Acknowledge: ...'] });

describe('bundleText', () => {
  it('sends a single page as it is (SMS: subject and first line)', () => {
    assert.deepEqual(bundleText([page(1)], 'email'), page(1));
    assert.deepEqual(bundleText([page(1)], 'sms'), { subject: page(1).subject, body: ['Alert1 is firing.'] });
  });
  it('lists every subject in an SMS bundle, so every ack id is there', () => {
    const t = bundleText([page(1), page(2)], 'sms');
    assert.deepEqual(t, { subject: 'Lifeline 2 pages', body: [page(1).subject, page(2).subject] });
  });
  it('keeps a storm email bounded: 20 pages in full, 200 by subject, the rest counted', () => {
    const t = bundleText(Array.from({ length: 5000 }, (_, i) => page(i)), 'email');
    assert.equal(t.subject, `5000 pages: ${page(0).subject}`);
    assert.equal(t.body.filter((l) => l.startsWith('[CRITICAL]')).length, 220);
    assert.equal(t.body.at(-1), '…and 4780 more');
    assert.ok(t.body.length < 400);
  });
});
