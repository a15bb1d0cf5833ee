import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load.js';
import type { ProbeConfig } from '../../../src/config/probeSchema.js';
import { heartbeatProbe } from '../../../src/probes/kinds/heartbeat.js';

describe('heartbeat probe words', () => {
  const cfg = parseConfig('probes:\n  targets:\n    - { name: pipeline, kind: heartbeat, alertname: Watchdog, within: 10s }\n', 't.yaml', {}).probes.targets[0] as Extract<ProbeConfig, { kind: 'heartbeat' }>;
  const T = Date.UTC(2026, 10, 23, 3, 0);
  const run = (lastMs: number | undefined, nowMs: number) =>
    heartbeatProbe(cfg, { last: () => lastMs, failure: () => undefined, sinceMs: T }).run({ signal: AbortSignal.timeout(1000), timeoutMs: 1000, nowMs });

  it('says how late the heartbeat is, not a number equal to the period (issue 21 §3)', async () => {
    const r = await run(T, T + 25_000);
    assert.equal(r.up, false);
    assert.match(r.summary, /^no Watchdog alert for 25 s, 15 s overdue \(expected every 10 s\): the alert pipeline/);
    const never = await run(undefined, T + 12_000);
    assert.match(never.summary, /^no Watchdog alert since Lifeline started 12 s ago, 2 s overdue \(expected every 10 s\)/);
    assert.match((await run(T, T + 4_000)).summary, /^last Watchdog alert 4 s ago \(expected every 10 s\)$/);
  });
});
