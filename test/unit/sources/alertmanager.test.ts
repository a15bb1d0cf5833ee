import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { labelFingerprint, parseWebhookPayload } from '../../../src/sources/alertmanager.js';

const good = (): Record<string, unknown> => JSON.parse(readFileSync('test/fixtures/alertmanager-firing.json', 'utf8')) as Record<string, unknown>;

describe('parseWebhookPayload', () => {
  it('accepts a version 4 payload', () => {
    const r = parseWebhookPayload(good());
    assert.ok(r.ok);
    assert.equal(r.value.alerts[0]?.fingerprint, '1f6b3c0d8e2a4b11');
    assert.equal(r.value.alerts[0]?.labels['instance'], 'bouncer-1:9100');
  });
  it('refuses other versions with a reason', () => {
    const r = parseWebhookPayload({ ...good(), version: '3' });
    assert.deepEqual(r, { ok: false, reason: 'invalid payload at version: only webhook payload version "4" is supported' });
  });
  it('refuses non-string label values, naming the field', () => {
    const p = good() as { alerts: Array<{ labels: Record<string, unknown> }> };
    p.alerts[0]!.labels['severity'] = 3;
    const r = parseWebhookPayload(p);
    assert.ok(!r.ok);
    assert.match(r.reason, /alerts\[0\]\.labels\.severity: label and annotation values must be strings/);
  });
  it('refuses arrays and scalars', () => {
    for (const b of [[], 'x', 3, null]) assert.equal(parseWebhookPayload(b).ok, false);
  });
  it('computes a stable fingerprint when the sender gives none', () => {
    const p = good() as { alerts: Array<Record<string, unknown>> };
    delete p.alerts[0]!['fingerprint'];
    const r = parseWebhookPayload(p);
    assert.ok(r.ok);
    assert.equal(r.value.alerts[0]?.fingerprint, labelFingerprint({ job: 'node', alertname: 'HostOutOfMemory', severity: 'critical', instance: 'bouncer-1:9100' }));
    assert.equal(labelFingerprint({ a: '1', b: '2' }), labelFingerprint({ b: '2', a: '1' }));
    assert.notEqual(labelFingerprint({ a: '1', b: '2' }), labelFingerprint({ a: '12' }));
  });
});
