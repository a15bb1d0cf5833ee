import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load.js';
import { EmailNotifier } from '../../../src/notifiers/email.js';
import { SmsNotifier } from '../../../src/notifiers/sms.js';
import { FakeClock } from '../fakeClock.js';
import { cleanLine, cleanValue, plainLine, showInvisible } from '../../../src/notifiers/text.js';
import { splitUtf8, textBudget } from '../../../src/notifiers/irc/split.js';

describe('cleanValue (untrusted text)', () => {
  it('turns line breaks into spaces so nothing can start a new IRC command', () => {
    assert.equal(cleanValue('x\r\nQUIT :bye'), 'x QUIT :bye');
    assert.equal(cleanValue('a\u2028b\u2029c\u0085d'), 'a b c d');
  });
  it('removes NUL, other controls and IRC formatting codes', () => {
    assert.equal(cleanValue('a\u0000b\u0003' + '04red\u0002\u000f\u007f\u009bz'), 'ab04redz');
  });
  it('caps the length with an ellipsis', () => {
    assert.equal(cleanValue('x'.repeat(50), 10), `${'x'.repeat(9)}…`);
  });
});

describe('cleanLine (last gate before the wire)', () => {
  it('never lets CR, LF or NUL through', () => {
    const out = cleanLine('a\rb\nc\u0000d\u0001e');
    assert.ok(!/[\r\n\0\u0001]/.test(out));
    assert.equal(out, 'a b c de');
  });
  it('keeps the formatting codes Lifeline emits', () => {
    assert.equal(cleanLine('\u0002\u000304FIRING\u000f'), '\u0002\u000304FIRING\u000f');
  });
});

describe('invisible format characters (issue 19 §4)', () => {
  // "db1" with a right-to-left override reads "1bd"; a zero-width space makes "db\u200b1" look like "db1".
  const spoof = 'ProbeDown \u202Edb1\u202C host\u200Bname \u2066x\u2069 \uFEFFz \u200D\u200E\u200F\u00AD';
  it('are shown as their code point in IRC values, the last IRC gate, and email/SMS lines', () => {
    const shown = 'ProbeDown [U+202E]db1[U+202C] host[U+200B]name [U+2066]x[U+2069] [U+FEFF]z [U+200D][U+200E][U+200F][U+00AD]';
    assert.equal(cleanValue(spoof), shown);
    assert.equal(cleanLine(spoof), shown);
    assert.equal(plainLine(spoof), shown);
    for (const out of [cleanValue(spoof), cleanLine(spoof), plainLine(spoof)]) assert.doesNotMatch(out, /\p{Cf}/u);
  });
  it('covers the whole Cf category, astral planes too (tag characters), and leaves other text alone', () => {
    assert.equal(showInvisible('\u{E0041}\u0600\u2060'), '[U+E0041][U+0600][U+2060]');
    assert.equal(showInvisible('café ✓ 😀 Ünïcødé'), 'café ✓ 😀 Ünïcødé');
  });
});

describe('splitUtf8', () => {
  it('returns short text unchanged', () => {
    assert.deepEqual(splitUtf8('hello', 100), ['hello']);
    assert.deepEqual(splitUtf8('', 100), ['']);
  });
  it('never cuts a code point and respects the byte budget', () => {
    const text = '✓é😀a'.repeat(100);
    const parts = splitUtf8(text, 37);
    for (const p of parts) {
      assert.ok(Buffer.byteLength(p) <= 37);
      assert.ok(!Buffer.from(p).toString().includes('\uFFFD'));
      assert.equal(Buffer.from(p, 'utf8').toString('utf8'), p);
    }
    assert.equal(parts.join(''), text);
  });
  it('prefers a space near the end of a piece', () => {
    const parts = splitUtf8('aaaa bbbb cccc dddd', 12);
    assert.deepEqual(parts, ['aaaa bbbb', 'cccc dddd']);
  });
});

describe('textBudget', () => {
  it('leaves room for the relayed prefix within 512 bytes', () => {
    const budget = textBudget('lifeline', '#alerts');
    const worst = `:lifeline!${'u'.repeat(10)}@${'h'.repeat(63)} PRIVMSG #alerts :${'x'.repeat(budget)}\r\n`;
    assert.ok(Buffer.byteLength(worst) <= 512);
    assert.ok(budget > 350);
  });
  it('uses a larger LINELEN when the server announces one', () => {
    assert.ok(textBudget('lifeline', '#alerts', 1024) > textBudget('lifeline', '#alerts'));
  });
});

describe('email and SMS pages carry no control characters from labels (issue 7.11)', () => {
  const cfg = parseConfig(`people:\n  - { name: alice, email: a@example.org, phone: \"+4915112345678\" }\noncall:\n  rotations:\n    - { name: p, people: [alice], start: "2026-11-23" }\nemail: { host: smtp.example.org, from: l@example.org }\nsms: { account_sid: AC${'0'.repeat(32)}, auth_token: t, from: "+15005550006" }\n`, 't.yaml', {});
  const evil = ['[CRITICAL] Host\u0000Down\u0007 h1', 'summary: line one\r\nBcc: victim@example.org\u001b[2J', '  - indented stays'];
  it('email: NUL, BEL, ESC dropped; a line break inside a line is a space; spacing kept', () => {
    const n = new EmailNotifier(cfg.email!);
    assert.deepEqual(n.prepare('email:a@example.org', evil), ['[CRITICAL] HostDown h1', 'summary: line one Bcc: victim@example.org[2J', '  - indented stays']);
    n.close();
  });
  it('SMS: the same, in one message', () => {
    const n = new SmsNotifier(cfg.sms!, new FakeClock());
    const [body] = n.prepare('sms:+4915112345678', evil);
    assert.ok(!/[\u0000-\u001f]/.test(body!), JSON.stringify(body));
    assert.match(body!, /^\[CRITICAL\] HostDown h1 \| summary: line one Bcc: victim@example\.org\[2J \| - indented stays$/);
  });
});
