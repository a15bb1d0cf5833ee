import assert from 'node:assert/strict';
import { PAGING_CHANNEL_KINDS } from '../../../../src/alerts/pages.js';
import { parseConfig } from '../../../../src/config/load.js';
import type { PagingChannel, SentCounter } from '../../../../src/escalation/channels/channel.js';
import { ChannelSet, PAGING_CHANNELS, pagingChannelOf } from '../../../../src/escalation/channels/registry.js';
import { ChannelHealth } from '../../../../src/escalation/health.js';
import type { PageText } from '../../../../src/escalation/pageText.js';
import type { Person } from '../../../../src/people/oncall.js';
import type { Incident } from '../../../../src/store/incidents.js';

const SID = `AC${'0'.repeat(32)}`;
const person = (p: Partial<Person>): Person => ({ name: 'alice', ...p }) as Person;
const page = (i: number): PageText => ({ subject: `[CRITICAL] Alert${i} - ack A${String(i).padStart(3, '0')}`, body: [`Alert${i} is firing.`, 'Acknowledge: ...'] });
const ctx = { incidents: [], nowMs: 0 };
/** bundleText as it was: a channel's bundle of pages. */
const bundleText = (texts: readonly PageText[], ch: PagingChannel): PageText => ch.bundle(texts, ctx);

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
    const alice = person({ email: 'Alice@Example.org' });
    assert.equal(PAGING_CHANNELS.email.destination(alice), 'email:alice@example.org');
    assert.equal(PAGING_CHANNELS.sms.destination(alice), undefined);
  });
  it('every kind has its channel object, which owns exactly the destinations it makes', () => {
    const bob = person({ name: 'bob', email: 'bob@example.org', phone: '+4915187654321' });
    for (const kind of PAGING_CHANNEL_KINDS) {
      const ch = PAGING_CHANNELS[kind];
      assert.equal(ch.kind, kind);
      const dest = ch.destination(bob) as string;
      assert.ok(ch.owns(dest), `${kind} owns ${dest}`);
      for (const other of PAGING_CHANNEL_KINDS.filter((k) => k !== kind)) assert.ok(!PAGING_CHANNELS[other].owns(dest), `${other} does not own ${dest}`);
    }
  });
  it('a call is not written: its notices go by SMS, it fails over to SMS, and it is over budget by voice limits', () => {
    const voice = PAGING_CHANNELS.voice;
    assert.equal(voice.written, false);
    assert.equal(voice.noticesVia, 'sms');
    assert.equal(voice.fallback, 'sms');
    assert.equal(voice.pastBudget?.goesBy, 'sms');
    assert.ok(PAGING_CHANNELS.email.written && PAGING_CHANNELS.sms.written);
    const config = parseConfig(
      `people:\n  - { name: alice, phone: "+4915112345678" }\noncall:\n  rotations:\n    - { name: p, people: [alice], start: "2026-11-23" }\nsms: { account_sid: ${SID}, auth_token: t, from: "+15005550006" }\nvoice: { from: "+15005550006", public_url: "http://127.0.0.1:1", max_per_hour: 2 }\n`,
      't.yaml',
      {},
    );
    const counts = new Map<string, number>();
    const sent: SentCounter = { countSentSince: (d) => counts.get(d) ?? 0 };
    const alice = person({ phone: '+4915112345678' });
    assert.equal(voice.overBudget(alice, 0, sent, config), false);
    counts.set('voice:+4915112345678', 2);
    assert.equal(voice.overBudget(alice, 0, sent, config), true, 'two calls this hour: voice.max_per_hour reached');
    assert.equal(PAGING_CHANNELS.sms.overBudget(alice, 0, sent, config), false, 'SMS counts its own destination');
    assert.equal(PAGING_CHANNELS.email.overBudget(alice, 0, sent, config), false, 'email has no budget');
    assert.deepEqual(new ChannelSet(config).list.map((c) => c.kind), ['sms', 'voice']);
    assert.deepEqual(new ChannelSet(config).written().map((c) => c.kind), ['sms']);
  });
  it("a call's bundle reads the worst incident out, letter by letter", () => {
    const inc = (id: number, severity: string, openedMs: number): Incident => ({ id, severity, openedMs, title: `T${id}`, ackCode: `C${id}AB` }) as Incident;
    const t = PAGING_CHANNELS.voice.bundle([], { incidents: [inc(1, 'warning', 0), inc(2, 'page', 60_000)], nowMs: 12 * 60_000 });
    assert.equal(t.subject, 'Lifeline call: 2 incidents');
    assert.match(t.body[0] as string, /2 incidents\. The worst: T2, page, for 11 minutes, incident C 2 A B\./);
  });
});

// Moved from test/unit/escalation/bundler.test.ts: bundleText became each channel's bundle().
describe('bundleText', () => {
  const { email, sms } = PAGING_CHANNELS;
  it('sends a single page as it is (SMS: subject and first line)', () => {
    assert.deepEqual(bundleText([page(1)], email), page(1));
    assert.deepEqual(bundleText([page(1)], sms), { subject: page(1).subject, body: ['Alert1 is firing.'] });
  });
  it('lists every subject in an SMS bundle, so every ack id is there', () => {
    const t = bundleText([page(1), page(2)], sms);
    assert.deepEqual(t, { subject: 'Lifeline 2 pages', body: [page(1).subject, page(2).subject] });
  });
  it('keeps a storm email bounded: 20 pages in full, 200 by subject, the rest counted', () => {
    const t = bundleText(Array.from({ length: 5000 }, (_, i) => page(i)), email);
    assert.equal(t.subject, `5000 pages: ${page(0).subject}`);
    assert.equal(t.body.filter((l) => l.startsWith('[CRITICAL]')).length, 220);
    assert.equal(t.body.at(-1), '…and 4780 more');
    assert.ok(t.body.length < 400);
  });
});
