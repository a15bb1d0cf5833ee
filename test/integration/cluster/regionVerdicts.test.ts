import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { selfSignedCert } from '../harness/certs.js';
import { aliceEmailYaml } from '../harness/paging.js';
import { freePort, startServer, tempDir, waitFor, type ServerProcess } from '../harness/procs.js';
import { SmtpSink } from '../harness/smtpSink.js';
import { inNs } from './netns.js';
import { NATS_CLIENT_PORT, NatsRegions } from './natsRegions.js';

/**
 * Issue 23, verdicts from more than one place: two regions as namespaces (hub and leaf
 * nats-servers, cluster test bed), a whole `lifeline run` inside each region's namespace probing
 * a TCP target on the host (each region reaches it over its own host link). nft drops the probe's
 * packets in one region: both instances post the one-region warning; dropped in both: the down alert.
 *
 * Paging: both instances email alice (always on call) through one real SMTP sink, under one policy
 * that emails at once for severity critical only. A process in a namespace cannot reach the host's
 * 127.0.0.1, so the sink listens on the host's end of region a's host link, and region b gets a
 * host route to that address over its own host link (the host accepts a packet for any of its
 * addresses on any interface; nothing is forwarded). The down alert from both regions is one
 * incident episode (probe:<fingerprint>@<startsAt>): one page, sent by the instance at position 0;
 * the other waits peer_timeout, then records it as sent by its peer (`paged_by_peer`).
 */
describe('probe verdicts from two regions (integration, namespaces)', function () {
  this.timeout(180_000);
  if (process.getuid?.() !== 0) return;
  let regions: NatsRegions;
  let target: Server;
  let port = 0;
  const tmp = tempDir('region-verdicts');
  const procs = new Map<string, ServerProcess>();
  let smtp: SmtpSink;
  /** cluster.peer_timeout in the configs below, in ms (the second instance waits this long before recording the peer's page). */
  const PEER_TIMEOUT_MS = 3_000;
  const downMails = (): string[] => smtp.received.map((m) => m.mail.subject ?? '').filter((s) => /ProbeDown/.test(s) && !/^RESOLVED/.test(s));

  /** The host's end of a region's host link (the region's address minus one: a /30). */
  const hostAddr = (addr: string): string => addr.replace(/\.(\d+)$/, (_, d: string) => `.${Number(d) - 1}`);
  const logs = (name: string): Array<Record<string, unknown>> =>
    (procs.get(name)?.output.join('') ?? '')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => { try { return JSON.parse(l) as Record<string, unknown>; } catch { return {}; } });
  const posted = (name: string, re: RegExp): string[] => logs(name).filter((r) => r['event'] === 'console_notification' && re.test(String(r['msg']))).map((r) => String(r['msg']));

  function dropProbe(name: string): void {
    const r = regions.nets.regions.get(name);
    if (!r) throw new Error(name);
    inNs(r.ns, 'nft', ['add', 'table', 'inet', 'llprobe']);
    inNs(r.ns, 'nft', ['add', 'chain', 'inet', 'llprobe', 'out', '{ type filter hook output priority 0 ; policy accept ; }']);
    inNs(r.ns, 'nft', ['add', 'rule', 'inet', 'llprobe', 'out', 'tcp', 'dport', String(port), 'drop']);
  }

  before(async () => {
    target = createServer((s) => s.end());
    port = await freePort();
    await new Promise<void>((done) => target.listen(port, '0.0.0.0', done));
    regions = new NatsRegions(['a', 'b']);
    await regions.start();
    const [ra, rb] = [regions.nets.regions.get('a'), regions.nets.regions.get('b')];
    if (!ra || !rb) throw new Error('regions a and b');
    const sinkAddr = hostAddr(ra.addr);
    inNs(rb.ns, 'ip', ['route', 'add', `${sinkAddr}/32`, 'dev', 'h0']);
    const cert = selfSignedCert(tmp.dir, [sinkAddr]);
    smtp = await SmtpSink.start(cert, 'lifeline', 'smtp-secret', sinkAddr);
    for (const [name, peer] of [['a', 'b'], ['b', 'a']] as const) {
      const r = regions.nets.regions.get(name);
      if (!r) throw new Error(name);
      const dir = join(tmp.dir, name);
      mkdirSync(dir);
      const file = join(dir, 'lifeline.yaml');
      writeFileSync(file, `log:
  level: info
http:
  host: 127.0.0.1
  port: ${await freePort()}
store:
  path: ${join(dir, 'state.db')}
routes:
  - name: default
    console: true
${aliceEmailYaml({ smtpPort: smtp.port, caFile: cert.certFile, phone: null, host: sinkAddr, from: `Lifeline ${name} <lifeline-${name}@example.org>` })}escalation:
  bundle_window: 1s
  policies:
    - { name: critical-now, match: { severity: critical }, steps: [{ after: 0s, notify: [email] }] }
probes:
  interval: 2s
  timeout: 1s
  targets:
    - { name: wiki, kind: tcp, host: ${hostAddr(r.addr)}, port: ${port}, failures_to_open: 1, successes_to_resolve: 1 }
cluster:
  name: ${name}
  peers: [{ name: ${peer} }]
  nats_url: nats://${r.addr}:${NATS_CLIENT_PORT}
  heartbeat_interval: 500ms
  peer_timeout: ${PEER_TIMEOUT_MS / 1000}s
  settle_timeout: 5s
`);
      procs.set(name, startServer(`lifeline-${name}`, 'ip', ['netns', 'exec', r.ns, process.execPath, resolve(process.cwd(), 'dist/src/main.js'), 'run', '--config', file], {}, false));
    }
    await waitFor('each instance hears the other', () => ['a', 'b'].every((n) => logs(n).some((r) => r['event'] === 'cluster_peer_up')), 30_000, 100);
    // Each region's first verdict (up) goes to the other as it is made; the next probe run (2 s) is after it arrived.
    await waitFor('the probe up in both regions', () => ['a', 'b'].every((n) => logs(n).some((r) => r['event'] === 'probe_state' && r['to'] === 'up')), 30_000, 100);
  });
  after(async () => {
    if (process.env['DEBUG_VERDICTS']) for (const n of ['a', 'b']) console.log(n, logs(n).filter((r) => /probe|console|verdict|cluster/.test(String(r['event']))).map((r) => `${String(r['event'])} ${String(r['msg'])}`).join('\n'), procs.get(n)?.output.filter((l) => !l.startsWith('{')).join('').slice(-2000));
    for (const p of procs.values()) await p.kill().catch(() => undefined);
    await regions?.destroy();
    target?.close();
    await smtp?.stop().catch(() => undefined);
    tmp.remove();
  });

  /** Waits `ms` (a bounded quiet period in which nothing more may arrive). */
  const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const pagedByPeer = (name: string): Array<Record<string, unknown>> => logs(name).filter((r) => r['event'] === 'paged_by_peer');

  it('the target dropped in region a only: both instances post the warning naming a (down) and b (up), no down alert, no page', async () => {
    const t0 = Date.now();
    dropProbe('a');
    const warning = /ProbeRegions.*: no TCP connection to \S+ within [\d.]+ s from a; up from b/;
    await waitFor('the one-region warning on both', () => ['a', 'b'].every((n) => posted(n, warning).length > 0), 30_000, 100);
    console.log(`      the warning on both ${Date.now() - t0} ms after the drop (interval 2 s, timeout 1 s, failures_to_open 1)`);
    for (const n of ['a', 'b']) assert.deepEqual(posted(n, /ProbeDown/), [], `${n}: no down alert`);
    // The warning is severity "warning" (in the default page_severities), but the only policy
    // matches severity critical, so it opens no incident on either instance: no page. Waited
    // bundle_window (1 s) + peer_timeout + 3 s for a page that would come late.
    await settle(1_000 + PEER_TIMEOUT_MS + 3_000);
    assert.deepEqual(smtp.received.map((m) => m.mail.subject), [], 'no page for the one-region warning');
    for (const n of ['a', 'b']) assert.deepEqual(logs(n).filter((r) => r['event'] === 'incident_opened'), [], `${n}: no incident for the warning`);
  });

  it('dropped in both regions: both post the down alert naming both regions; one page across both (the other instance records it as sent by its peer)', async () => {
    const t0 = Date.now();
    dropProbe('b');
    const down = /ProbeDown.*is down: .*no TCP connection to \S+ within [\d.]+ s from a; no TCP connection to \S+ within [\d.]+ s from b/;
    await waitFor('the down alert on both', () => ['a', 'b'].every((n) => posted(n, down).length > 0), 30_000, 100);
    console.log(`      the down alert on both ${Date.now() - t0} ms after the second drop`);
    for (const n of ['a', 'b']) assert.equal(posted(n, down).length, 1, `${n}: one down alert`);
    const first = await waitFor('the ProbeDown page at the sink', () => smtp.received.find((m) => /ProbeDown/.test(m.mail.subject ?? '')), 30_000, 50);
    // Waited peer_timeout + 5 s past the first page, for a duplicate from the other instance
    // (before the lead's episode change each instance sent its own: two emails).
    await settle(Math.max(0, first.atMs + PEER_TIMEOUT_MS + 5_000 - Date.now()));
    assert.deepEqual(downMails(), [first.mail.subject], 'exactly one ProbeDown page across both regions');
    const byPeer = await waitFor('one instance records the page as sent by its peer', () => ['a', 'b'].map((n) => ({ n, r: pagedByPeer(n)[0] })).find((x) => x.r), 5_000, 50);
    console.log(`      the page ${first.atMs - t0} ms after the second drop (${first.mail.subject}); ${byPeer.n} recorded it as sent by peer ${String(byPeer.r?.['peer'])} ${Date.parse(String(byPeer.r?.['time'])) - t0} ms after the drop`);
    const sender = byPeer.n === 'a' ? 'b' : 'a';
    assert.match(first.mail.from?.text ?? '', new RegExp(`lifeline-${sender}@`), `the page comes from ${sender}, the instance that did not record it as its peer's`);
    assert.equal(byPeer.r?.['peer'], sender, `${byPeer.n} names ${sender} as the sender`);
    assert.deepEqual(pagedByPeer(sender), [], `${sender} sent it itself`);
    assert.equal(pagedByPeer(byPeer.n).length, 1, `${byPeer.n} records the one page once`);
  });

  it('restored in both regions: the down alert resolves, and alice gets the resolved notice once', async () => {
    const t0 = Date.now();
    for (const n of ['a', 'b']) {
      const r = regions.nets.regions.get(n);
      if (!r) throw new Error(n);
      inNs(r.ns, 'nft', ['delete', 'table', 'inet', 'llprobe']);
    }
    const resolved = await waitFor('the resolved notice at the sink', () => smtp.received.find((m) => /^RESOLVED ProbeDown/.test(m.mail.subject ?? '')), 30_000, 50);
    await settle(Math.max(0, resolved.atMs + PEER_TIMEOUT_MS + 5_000 - Date.now()));
    console.log(`      the resolved notice ${resolved.atMs - t0} ms after the restore (${resolved.mail.subject})`);
    assert.deepEqual(smtp.received.filter((m) => /^RESOLVED/.test(m.mail.subject ?? '')).map((m) => m.mail.subject), [resolved.mail.subject], 'one resolved notice');
    assert.equal(downMails().length, 1, 'still the one ProbeDown page');
  });
});
