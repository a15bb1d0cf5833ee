/*
 * Bench part `cluster` (issue 23): two regions in network namespaces (hub a, TLS leaf b), one
 * nats-server each, the cluster layer at its shipped defaults (only name, peers and nats_url set).
 *   - record on A -> applied on B: the whole path (SQLite outbox, publish with Nats-Msg-Id, B's
 *     mirror across the leaf link, B's durable consumer, SQLite de-dup + apply), 500 decisions one
 *     every 10 ms, after one warm-up message (a fresh mirror's first pull can come ~1.5 s late);
 *   - mirror vs source: raw publishes on A seen by ordered consumers on a mirror and on a source
 *     copy of A's stream in region B, same messages, same run;
 *   - idle cost: `lifeline run` (no IRC, console route) without and with a cluster section
 *     (connected, peer b alive): RSS after 20 s and CPU over the next 30 s; nats-servers' RSS.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort } from '../test/integration/harness/lifeline.js';
import { startServer, tempDir, waitFor, type ServerProcess } from '../test/integration/harness/procs.js';
import { TestInstance, percentile } from '../test/integration/cluster/instances.js';
import { NatsRegions } from '../test/integration/cluster/natsRegions.js';

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Record on A → applied on B through the cluster layer. */
async function layerLatency(a: TestInstance, b: TestInstance, n: number): Promise<number[]> {
  const fa = a.events.length;
  const fb = b.events.length;
  for (let i = 0; i < n; i++) {
    a.record({ kind: 'ack', incident: `bench-${i}`, by: 'bench' });
    await sleep(10);
  }
  const applied = await b.waitCount('bench acks', (e) => e.ev === 'applied' && e.kind === 'ack', n, 60_000, fb);
  const recorded = a.find((e) => e.ev === 'recorded', fa);
  return applied.map((e, i) => e.at - (recorded[i]?.at ?? NaN));
}

/** Raw publishes on A, seen on B's mirror and on a source copy made for the comparison. */
async function mirrorVsSource(urlA: string, urlB: string, n: number): Promise<{ mirror: number[]; source: number[] }> {
  const ncA = await connect({ servers: urlA });
  const ncB = await connect({ servers: urlB });
  try {
    const jsmB = await jetstreamManager(ncB);
    await jsmB.streams.add({ name: 'LL_a_SRC', sources: [{ name: 'LL_a', external: { api: '$JS.a.API' } }] });
    const jsA = jetstream(ncA);
    const jsB = jetstream(ncB);
    const sent = new Map<string, number>();
    const seen = { mirror: new Map<string, number>(), source: new Map<string, number>() };
    const watch = async (stream: string, into: Map<string, number>): Promise<void> => {
      const c = await jsB.consumers.get(stream, { filter_subjects: 'll.a.verdict', opt_start_seq: 1 } as never).catch(async () => jsB.consumers.get(stream));
      const it = await c.consume();
      for await (const m of it) {
        const id = m.headers?.get('Nats-Msg-Id') ?? '';
        if (id.startsWith('raw-')) into.set(id, performance.now());
        if (into.size >= n) break;
      }
    };
    const done = Promise.all([watch('LL_a_MIRROR', seen.mirror), watch('LL_a_SRC', seen.source)]);
    // Warm-up: a source copy made a moment ago starts pulling on its own retry.
    await jsA.publish('ll.a.verdict', '{}', { msgID: 'warm-src' });
    await sleep(3000);
    for (let i = 0; i < n; i++) {
      const id = `raw-${i}`;
      sent.set(id, performance.now());
      await jsA.publish('ll.a.verdict', '{}', { msgID: id });
      await sleep(10);
    }
    await Promise.race([done, sleep(30_000)]);
    const lat = (m: Map<string, number>): number[] => [...sent].map(([id, t]) => (m.get(id) ?? NaN) - t).filter((x) => !Number.isNaN(x));
    return { mirror: lat(seen.mirror), source: lat(seen.source) };
  } finally {
    await ncA.close();
    await ncB.close();
  }
}

/** `lifeline run` idle: RSS after 20 s, CPU over the next 30 s. */
async function idleLifeline(dir: string, label: string, cluster: string): Promise<{ rss: number; cpu30: number }> {
  const port = await freePort();
  const cfg = join(dir, `${label}.yaml`);
  writeFileSync(cfg, `log: { level: warn }\nhttp: { host: 127.0.0.1, port: ${port} }\nstore: { path: ${join(dir, `${label}.db`)} }\n${cluster}`);
  const proc: ServerProcess = startServer(`lifeline-${label}`, process.execPath, ['dist/src/main.js', 'run', '--config', cfg], {}, false);
  try {
    await waitFor(`lifeline ${label}`, async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 20_000, 100);
    await sleep(20_000);
    const rss = rssMb(proc.pid);
    const c0 = cpuMs(proc.pid);
    await sleep(30_000);
    return { rss, cpu30: cpuMs(proc.pid) - c0 };
  } finally {
    await proc.stop();
  }
}

/** The `cluster` bench part. */
export async function benchCluster(): Promise<Record<string, number>> {
  const tmp = tempDir('bench-cluster');
  const regions = new NatsRegions(['a', 'b']);
  let a: TestInstance | undefined;
  let b: TestInstance | undefined;
  try {
    await regions.start();
    const urlA = regions.servers.get('a')?.url ?? '';
    const urlB = regions.servers.get('b')?.url ?? '';
    a = new TestInstance({ name: 'a', peers: ['b'], natsUrl: urlA, shipped: true }, tmp.dir);
    b = new TestInstance({ name: 'b', peers: ['a'], natsUrl: urlB, shipped: true }, tmp.dir);
    await Promise.all([a.start(), b.start()]);
    await Promise.all([a.waitEvent('settled', (e) => e.ev === 'settled', 60_000), b.waitEvent('settled', (e) => e.ev === 'settled', 60_000)]);
    const fb = b.events.length;
    a.record({ kind: 'incident', identity: 'warm', episode: 'warm', state: 'open' });
    await b.waitEvent('warm-up', (e) => e.ev === 'applied', 20_000, fb);
    const lat = await layerLatency(a, b, 500);
    const raw = await mirrorVsSource(urlA, urlB, 200);
    const out: Record<string, number> = {
      cluster_record_to_applied_p50_ms: percentile(lat, 50),
      cluster_record_to_applied_p99_ms: percentile(lat, 99),
      cluster_record_to_applied_max_ms: Math.max(...lat),
      cluster_mirror_p50_ms: percentile(raw.mirror, 50),
      cluster_mirror_p99_ms: percentile(raw.mirror, 99),
      cluster_mirror_seen: raw.mirror.length,
      cluster_source_p50_ms: percentile(raw.source, 50),
      cluster_source_p99_ms: percentile(raw.source, 99),
      cluster_source_seen: raw.source.length,
    };
    // Idle cost: the Lifeline process is region a's instance now (peer b stays up).
    await a.stop();
    const without = await idleLifeline(tmp.dir, 'alone', '');
    const withCluster = await idleLifeline(tmp.dir, 'clustered', `cluster:\n  name: a\n  peers: [{ name: b }]\n  nats_url: "${urlA}"\n`);
    out['cluster_idle_rss_without_mb'] = without.rss;
    out['cluster_idle_rss_with_mb'] = withCluster.rss;
    out['cluster_idle_cpu_ms_per_30s_without'] = without.cpu30;
    out['cluster_idle_cpu_ms_per_30s_with'] = withCluster.cpu30;
    out['cluster_nats_server_hub_rss_mb'] = rssMb(regions.servers.get('a')?.proc.pid ?? 0);
    out['cluster_nats_server_leaf_rss_mb'] = rssMb(regions.servers.get('b')?.proc.pid ?? 0);
    return out;
  } finally {
    await a?.kill();
    await b?.kill();
    await regions.destroy();
    tmp.remove();
  }
}
