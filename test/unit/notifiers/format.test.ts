import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../../src/config/load.js';
import { Formatter, fill } from '../../../src/notifiers/format.js';
import { fold } from '../../../src/relay/digest.js';
import { groupMessageOf, type GroupMessage } from '../../../src/relay/message.js';
import { parseWebhookPayload, type GroupNotification } from '../../../src/sources/alertmanager.js';

const cfg = (extra = ''): ReturnType<typeof parseConfig> => parseConfig(`format:\n  colors: false\n${extra}`, 't.yaml', {});
function fixture(): GroupNotification {
  const r = parseWebhookPayload(JSON.parse(readFileSync('test/fixtures/alertmanager-firing.json', 'utf8')));
  assert.ok(r.ok);
  return r.value;
}
function many(n: number, resolved = 0): GroupMessage {
  const g = groupMessageOf(fixture());
  g.alerts = Array.from({ length: n }, (_, i) => ({ fp: `f${i}`, status: i < resolved ? 'resolved' : 'firing', name: 'HostDown', instance: `h${i}`, severity: 'critical', summary: `s${i}` }));
  return g;
}

describe('Formatter', () => {
  it('renders a group line and an alert line', () => {
    const f = new Formatter(cfg().format);
    assert.deepEqual(f.render(groupMessageOf(fixture())), [
      '[FIRING:1] critical HostOutOfMemory job=node',
      '  FIRING HostOutOfMemory bouncer-1:9100 bouncer-1 has less than 5% memory available',
    ]);
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
    assert.match(lines[0] as string, /^\[FIRING:42\]/);
    assert.equal(lines.at(-1), '  …and 40 more');
  });
  it('adds mIRC colours when enabled', () => {
    const lines = new Formatter(parseConfig('', 't.yaml', {}).format).render(groupMessageOf(fixture()));
    assert.ok((lines[0] as string).startsWith('[\u0002\u000304FIRING\u000f:1] \u000304critical\u000f'));
  });
  it('uses configured templates', () => {
    const f = new Formatter(cfg('  templates:\n    group: "{alertname} is {status} ({firing} firing)"\n    alert: "- {instance}"\n').format);
    assert.deepEqual(f.render(groupMessageOf(fixture())), ['HostOutOfMemory is FIRING (1 firing)', '- bouncer-1:9100']);
  });
  it('renders a digest after an outage', () => {
    const g1 = many(3);
    const g2 = many(3, 1);
    const s = fold([{ createdMs: 1, message: g1 }, { createdMs: 2, message: g2 }]);
    const lines = new Formatter(cfg().format).render(s, { outageMs: 12 * 60_000 });
    assert.equal(lines[0], 'DIGEST while disconnected 12 min: 3 fired, 1 resolved, 2 still firing');
    assert.equal(lines[1], '  still firing: HostDown h1, HostDown h2');
  });
  it('fill() leaves no double spaces for empty placeholders', () => {
    assert.equal(fill('[{a}] {b} {c} end', { a: 'x', c: 'z' }), '[x] z end');
  });
});
