import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../../src/config/load.js';
import { Formatter, fill } from '../../../src/notifiers/format.js';
import { fold } from '../../../src/alerts/digest.js';
import { groupMessageOf, type GroupMessage } from '../../../src/alerts/messages.js';
import type { AlertBatch } from '../../../src/alerts/alert.js';
import { batchOf, parseWebhookPayload } from '../../../src/sources/alertmanager.js';

const cfg = (extra = ''): ReturnType<typeof parseConfig> => parseConfig(`format:\n  colors: false\n${extra}`, 't.yaml', {});
function fixture(): AlertBatch {
  const r = parseWebhookPayload(JSON.parse(readFileSync('test/fixtures/alertmanager-firing.json', 'utf8')));
  assert.ok(r.ok);
  return batchOf(r.value);
}
function many(n: number, resolved = 0): GroupMessage {
  const g = groupMessageOf(fixture());
  g.alerts = Array.from({ length: n }, (_, i) => ({ fp: `f${i}`, status: i < resolved ? 'resolved' : 'firing', name: 'HostDown', instance: `h${i}`, severity: 'critical', summary: `s${i}` }));
  return g;
}

describe('Formatter', () => {
  it('renders a one-alert notification as one line that says everything, with the incident id', () => {
    const f = new Formatter(cfg().format);
    assert.deepEqual(f.render(groupMessageOf(fixture())), ['[FIRING] critical HostOutOfMemory bouncer-1:9100: bouncer-1 has less than 5% memory available']);
    assert.deepEqual(f.render(groupMessageOf(fixture(), () => 'K7QM')), ['[FIRING] critical HostOutOfMemory bouncer-1:9100: bouncer-1 has less than 5% memory available (!ack K7QM)']);
  });
  it('names every instance of a group on its one line, compactly and in natural order', () => {
    const g = many(20);
    g.alerts.reverse();
    const lines = new Formatter(cfg().format).render(g);
    assert.deepEqual(lines, ['[FIRING:20] critical HostOutOfMemory job=node: h{0-19}']);
  });
  it('caps alert lines and says how many more, firing before resolved', () => {
    const f = new Formatter(cfg('  max_alert_lines: 2\n').format);
    const lines = f.render(many(5, 2));
    assert.equal(lines.length, 4);
    assert.match(lines[0] as string, /^\[FIRING:3\]/);
    assert.match(lines[1] as string, /FIRING HostDown h2/);
    assert.equal(lines[3], '  …and 3 more');
  });
  it('counts alerts Alertmanager truncated', () => {
    const g = many(2);
    g.truncated = 40;
    const lines = new Formatter(cfg().format).render(g);
    assert.equal(lines[0], '[FIRING:42] critical HostOutOfMemory job=node: h{0-1} (+40 not sent by Alertmanager)');
    const withLines = new Formatter(cfg('  max_alert_lines: 1\n').format).render(g);
    assert.equal(withLines.at(-1), '  …and 41 more');
  });
  it('adds mIRC colours when enabled', () => {
    const lines = new Formatter(parseConfig('', 't.yaml', {}).format).render(groupMessageOf(fixture()));
    assert.ok((lines[0] as string).startsWith('[\u0002\u000304FIRING\u000f] \u000304critical\u000f'));
  });
  it('uses configured templates', () => {
    const f = new Formatter(cfg('  max_alert_lines: 1\n  templates:\n    single: "{alertname} is {status} on {instance}"\n    group: "{alertname} is {status} ({firing} firing)"\n    alert: "- {instance}"\n').format);
    assert.deepEqual(f.render(groupMessageOf(fixture())), ['HostOutOfMemory is FIRING on bouncer-1:9100']);
    assert.deepEqual(f.render(many(2)), ['HostOutOfMemory is FIRING (2 firing)', '- h0', '  …and 1 more']);
  });
  it('renders a digest after an outage', () => {
    const g1 = many(3);
    const g2 = many(3, 1);
    const s = fold([{ createdMs: 1, message: g1 }, { createdMs: 2, message: g2 }]);
    const lines = new Formatter(cfg().format).render(s, { outageMs: 12 * 60_000 });
    assert.equal(lines[0], 'DIGEST while disconnected 12 min: 3 fired, 1 resolved, 2 still firing');
    assert.equal(lines[1], '  critical HostDown ×2: h{1-2}');
  });
  it('a 20-alert digest names all 20 in natural order; many kinds become one line of counts, most severe first', () => {
    const twenty: GroupMessage[] = Array.from({ length: 20 }, (_, i) => ({ ...many(1), groupKey: `g${i}`, alerts: [{ fp: `b${i}`, status: 'firing', name: `Bench${i + 1}`, instance: 'bench-host', severity: 'warning', summary: '' }] }));
    const s = fold(twenty.map((m, i) => ({ createdMs: i, message: m })));
    const lines = new Formatter(cfg().format).render(s, { outageMs: 5_000 });
    assert.equal(lines[0], 'DIGEST while disconnected 5 s: 20 fired, 0 resolved, 20 still firing');
    assert.equal(lines.length, 2);
    assert.ok(Buffer.byteLength(lines[1] as string) <= 2 * 400, 'two IRC lines at most');
    const names = [...(lines[1] as string).matchAll(/Bench(\d+)/g)].map((m) => Number(m[1]));
    assert.deepEqual(names, Array.from({ length: 20 }, (_, i) => i + 1), 'all 20 named, Bench2 before Bench10');
    const one: GroupMessage = { ...many(20), groupKey: 'one' };
    const oneKind = new Formatter(cfg().format).render(fold([{ createdMs: 1, message: one }]), { outageMs: 5_000 });
    assert.deepEqual(oneKind.slice(1), ['  critical HostDown ×20: h{0-19}']);
    const mixed = fold([{ createdMs: 1, message: { ...many(1), groupKey: 'w', alerts: [{ fp: 'w', status: 'firing', name: 'Warn', instance: 'x', severity: 'warning', summary: '' }] } }, ...twenty.slice(0, 5).map((m, i) => ({ createdMs: i, message: { ...m, alerts: m.alerts.map((a) => ({ ...a, severity: 'critical' })) } }))]);
    const mixedLines = new Formatter(cfg().format).render(mixed);
    assert.match(mixedLines[0] as string, /^DIGEST 6 queued notifications: /, 'no doubled words');
    assert.equal(mixedLines[1], '  still firing: critical: Bench1 bench-host, Bench2 bench-host, Bench3 bench-host, Bench4 bench-host, Bench5 bench-host; warning: Warn x');
  });
  it('fill() leaves no double spaces for empty placeholders', () => {
    assert.equal(fill('[{a}] {b} {c} end', { a: 'x', c: 'z' }), '[x] z end');
  });
});
