import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load.js';
import { HeartbeatOut, type SelfHealth } from '../../../src/observability/heartbeatOut.js';
import { pino } from 'pino';
import { FakeClock } from '../fakeClock.js';

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

function rig(status = 200) {
  const config = parseConfig('heartbeat_out:\n  ping_url: "https://hc-ping.example/7e1f-secret"\n  interval: 1m\n', 'c.yaml', {});
  const clock = new FakeClock();
  const sent: Array<{ url: string; body: string | undefined; at: number }> = [];
  let health: SelfHealth = { ok: true };
  const records: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void records.push(JSON.parse(s) as Record<string, unknown>) });
  const hb = new HeartbeatOut({
    config: config.heartbeat_out!,
    clock,
    log,
    health: () => health,
    send: (url, body) => {
      sent.push({ url, body, at: clock.now() });
      return Promise.resolve(status);
    },
  });
  return { hb, clock, sent, records, setHealth: (h: SelfHealth) => void (health = h) };
}

describe('outbound heartbeat (fake clock)', () => {
  it('sends /start at boot, then the plain URL every interval while healthy', async () => {
    const r = rig();
    r.hb.start();
    await settle();
    for (let i = 0; i < 3; i++) {
      r.clock.advance(60_000);
      await settle();
    }
    assert.deepEqual(r.sent.map((s) => s.url.replace('https://hc-ping.example/7e1f-secret', 'U')), ['U/start', 'U', 'U', 'U', 'U']);
    assert.deepEqual(r.sent.slice(1).map((s, i) => s.at - r.sent[1]!.at - i * 60_000), [0, 0, 0, 0], 'one ping per interval');
    await r.hb.stop();
    r.clock.advance(600_000);
    await settle();
    assert.equal(r.sent.length, 5, 'nothing after stop');
  });

  it('reports /fail with the reasons while Lifeline is unhealthy, and goes back to plain pings', async () => {
    const r = rig();
    r.hb.start();
    await settle();
    r.setHealth({ ok: false, reasons: ['the store cannot be read', 'delivery to email: ENOSPC'] });
    r.clock.advance(60_000);
    await settle();
    const fail = r.sent.at(-1)!;
    assert.equal(fail.url, 'https://hc-ping.example/7e1f-secret/fail');
    assert.equal(fail.body, 'Lifeline is running but not healthy: the store cannot be read; delivery to email: ENOSPC');
    r.setHealth({ ok: true });
    r.clock.advance(60_000);
    await settle();
    assert.equal(r.sent.at(-1)!.url, 'https://hc-ping.example/7e1f-secret');
    assert.ok(!JSON.stringify(r.records).includes('7e1f-secret'), 'the ping URL (the credential) is never logged');
    assert.deepEqual(r.records.map((x) => x['event']), ['heartbeat_out_ok', 'heartbeat_out_fail', 'heartbeat_out_ok']);
    await r.hb.stop();
  });

  it('a receiver that refuses the ping is logged (without the URL) and tried again at the next interval', async () => {
    const r = rig(404);
    r.hb.start();
    await settle();
    r.clock.advance(60_000);
    await settle();
    assert.equal(r.sent.length, 3);
    assert.ok(r.records.every((x) => x['event'] === 'heartbeat_out_error'));
    assert.match(String(r.records[0]!['err']), /HTTP 404/);
    assert.ok(!JSON.stringify(r.records).includes('7e1f-secret'));
    await r.hb.stop();
  });
});
