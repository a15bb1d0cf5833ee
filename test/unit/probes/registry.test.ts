import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load.js';
import type { ProbeConfig } from '../../../src/config/probeSchema.js';
import { PROBE_KINDS, probeBuilder, type ProbeDeps } from '../../../src/probes/registry.js';

const deps = { heartbeats: { last: () => undefined, failure: () => undefined, sinceMs: 0 }, wgTimestamps: { next: () => 0n } } as unknown as ProbeDeps;
const cfg = (entry: string): ProbeConfig => parseConfig(`probes:\n  targets:\n    - ${entry}\n`, 't.yaml', {}).probes.targets[0] as ProbeConfig;

describe('probe registry', () => {
  it('every kind loads its code and builds a probe of that kind', async () => {
    const entries: Record<keyof typeof PROBE_KINDS, string> = {
      http: '{ name: a, kind: http, url: "http://h/" }',
      tcp: '{ name: a, kind: tcp, host: h, port: 1 }',
      tls: '{ name: a, kind: tls, host: h, port: 1 }',
      bouncer: '{ name: a, kind: bouncer, host: h, port: 1, nick: probe, password: p }',
      prometheus: '{ name: a, kind: prometheus, url: "http://h:9090" }',
      alertmanager: '{ name: a, kind: alertmanager, url: "http://h:9093" }',
      heartbeat: '{ name: a, kind: heartbeat, within: 5m }',
      memory: '{ name: a, kind: memory, url: "http://h:9100/metrics" }',
      openvpn: '{ name: a, kind: openvpn, host: h }',
      openvpn_capacity: '{ name: a, kind: openvpn_capacity, servers: [{ host: h, port: 7505, max_clients: 10 }] }',
      wireguard: `{ name: a, kind: wireguard, host: h, server_public_key: "${'A'.repeat(43)}=", private_key: "${'C'.repeat(42)}A=" }`,
      dns: '{ name: a, kind: dns, query: portal.example.org, resolver: "127.0.0.1:5353" }',
    };
    const kinds = Object.keys(PROBE_KINDS) as Array<keyof typeof PROBE_KINDS>;
    const build = await probeBuilder(kinds);
    for (const kind of kinds) assert.equal(build(cfg(entries[kind]), deps).kind, kind);
  });

  it('building a kind that was not loaded is an error naming what was loaded', async () => {
    const build = await probeBuilder(['http', 'http']);
    assert.equal(build(cfg('{ name: a, kind: http, url: "http://h/" }'), deps).target, 'http://h/');
    assert.throws(() => build(cfg('{ name: a, kind: tcp, host: h, port: 1 }'), deps), /probe kind tcp was not loaded \(probeBuilder was given http\)/);
  });
});
