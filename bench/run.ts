/*
 * Benchmarks (npm run bench): real ngircd + ZNC on loopback, both at their defaults, Lifeline as
 * its own process (the built CLI) with the shipped defaults (only the keys a user must set: where
 * the bouncer is, the password, the channel, the route), and a raw IRC client in the channel
 * measuring what it sees. Not part of the test run. `node dist/bench/run.js PART` runs one part.
 *
 *   start          process start -> registered; idle RSS.
 *   quiet          single alerts on a quiet channel: POST -> line seen (gaps of 3 s).
 *   b2b            back-to-back single alerts: each POSTed as soon as the previous one was seen.
 *   trickle        30 one-alert webhooks at 1/s: when the last is seen, lines used.
 *   storm          200 webhooks x 50 alerts, 20 in flight: all accounted for, kicks.
 *   outage         ZNC killed, 20 alerts, ZNC back: the digest naming all 20, after reconnect.
 *   frozen         ZNC SIGSTOPped: time until Lifeline declares the link dead.
 *   path           ZNC killed -> page accepted by a real SMTP server and by the Twilio stand-in,
 *                  with escalation.path_grace 10 s.
 *   big            one webhook as big as the default 1 MiB body limit allows (critical alerts),
 *                  while /healthz is asked every 5 ms: the longest /healthz wait is how long the
 *                  event loop was blocked. Then (labelled, http.body_limit raised to 64 MiB) one
 *                  of 100,000 alerts.
 *   detect         an HTTP target that stops answering (accepts TCP, never responds), probed every
 *                  5 s (the issue's setting) with the shipped threshold (3) and timeout (10 s):
 *                  alert opened, and the SMS page at the Twilio stand-in (policy: SMS at 0 s).
 *   vpn            WireGuard and OpenVPN probes against wireguard-go and openvpn 2.6 in a namespace:
 *                  per-run wall and CPU ms per kind, then 500 + 500 targets at a 30 s interval.
 *   call           a voice step (policy: call at 0 s, then at 10 s; people, sms and voice added):
 *                  from the step falling due to the Twilio stand-in receiving the call request.
 *   status         the status page (GET /) and /api/v1/status with 200 open incidents (200
 *                  webhooks of one alert; policy: SMS at 0 s to the Twilio stand-in, labelled) and
 *                  the IRC path up: 50 sequential requests each, latency and size.
 *   probepage      the status page (GET /), /api/v1/status and /metrics with 20,000 TCP probes at the
 *                  shipped interval, 10 requests each, and the longest /healthz wait meanwhile (and
 *                  with no request). `probepage100k`, not in the default run: the same at 100,000.
 *   statushistory  in process: the status report and page read from a store holding 5,000 incidents
 *                  (1,000 open, 4,000 resolved this week, each paged) and a week of alert changes
 *                  of 20,000 probes (10,000 down once, 500 of them flapping hourly), 20,000 probe
 *                  states: buildStatus, then the page in parts (total, longest part), best and
 *                  median of 7.
 *   twiml          in process: 10,000 call answers (two gathers, a say, the hang-up: a page call's
 *                  TwiML with a 300-character message) and 10,000 SMS replies built by
 *                  sources/twiml.ts; the first answer alone (it loads the builder), then best and
 *                  median of 7 runs.
 *   checkconfig    `lifeline check-config` on 10,000 and 100,000 probe targets: wall time, peak RSS.
 *   probes2000     2,000 HTTP targets every 10 s on a local server: Lifeline's CPU per probe and
 *                  peak RSS, and Debian's prometheus-blackbox-exporter driven at the same rate
 *                  against the same server, in the same run.
 *   twilio         Twilio webhooks under attack (voice section added, labelled): 200 forged gather
 *                  posts at once from another process while /healthz is asked every 5 ms (longest
 *                  wait, twilio_bad_signature log lines), and a 100 MB Content-Length with 1 KiB
 *                  sent: time to the 413.
 *   httprun        the http probe's own cost in this process: heap allocated and CPU per run, over
 *                  6,000 runs of 200 probes (20 at a time) against a local server.
 *   eachaddrrun    each_address's cost per run: 200 tcp probes of names with 4 addresses (dnsmasq
 *                  on loopback), against the same probes on one address, in the same run.
 *   dnsrun         the dns probe's own cost, as httprun: heap allocated, CPU and wall time per run
 *                  over 6,000 runs of 200 A queries (expected answer, TTL bounds) against Debian's
 *                  dnsmasq on loopback.
 *   hostile        probes against hostile servers at the shipped defaults (issue 19): Lifeline's
 *                  peak RSS with a 1 GiB body and a gzip bomb; the longest /healthz wait while
 *                  probes read 7.5 MiB of node_exporter text and JSON nested 3 million deep.
 *   cluster        two regions in namespaces on NATS JetStream (issue 23; bench/cluster.ts): record
 *                  on A -> applied on B p50/p99, mirror vs source copy latency, idle RSS and CPU
 *                  of `lifeline run` without and with a cluster section.
 *   clusterpeers   whole Lifelines in two regions at the shipped cluster defaults (issue 23;
 *                  bench/clusterPeers.ts): silence on A -> in force on B p50/p99, SIGKILL of A ->
 *                  B's "peer down" email, restart -> ready (settled).
 *   clusterpaging  one page per event across two regions of whole Lifelines at the shipped cluster
 *                  timings (issue 23; bench/clusterPaging.ts): 1,000 events to both -> pages,
 *                  duplicates, lost; page latency at position 0 vs a lone Lifeline; ack a -> b.
 *   clusterpartition  what a partition costs (bench/clusterPartition.ts): a 60 s cut with 100 events
 *                  posted to both regions -> pages, duplicates, lost, "peer unreachable" pages.
 *   clustermutes   operator actions across two regions at the shipped cluster timings
 *                  (bench/clusterMutes.ts): !unack on a -> reopened on b; a restarted -> its
 *                  configured maintenance windows applied on b.
 *   clustertakeover  the claim takeover at the shipped claim_lease (bench/clusterTakeover.ts): SIGKILL
 *                  of A holding 20 claimed, undelivered pages -> when B sent them; A restarted ->
 *                  duplicates, lost.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import Database from 'better-sqlite3';
import { IrcPeer, plain } from '../test/integration/harness/ircPeer.js';
import { freePort, startProcess, testConfigYaml } from '../test/integration/harness/lifeline.js';
import { Ngircd } from '../test/integration/harness/ngircd.js';
import { tempDir, waitFor, type ServerProcess } from '../test/integration/harness/procs.js';
import { Znc } from '../test/integration/harness/znc.js';
import { groupPayload, postWebhook as post } from '../test/integration/harness/webhook.js';
import { selfSignedCert } from '../test/integration/harness/certs.js';
import { pagingYaml, smsNowYaml, smsSection } from '../test/integration/harness/paging.js';
import { SmtpSink } from '../test/integration/harness/smtpSink.js';
import { TwilioStandIn } from '../test/integration/harness/twilioStandIn.js';
import { forgedTwilioFlood, longestHealthzWhile } from '../test/integration/harness/flood.js';
import type { Probe } from '../src/probes/probe.js';
import type { ProbeStatus } from '../src/probes/engine.js';
import { buildStatus, type StatusReport } from '../src/http/status.js';
import { statusPageParts } from '../src/http/statusPage.js';
import { openDb } from '../src/store/db.js';
import { AlertStore } from '../src/store/alerts.js';
import { HistoryStore } from '../src/store/history.js';
import { IncidentStore } from '../src/store/incidents.js';
import { smsReplyTwiml, voiceTwiml } from '../src/sources/twiml.js';
import { benchCluster } from './cluster.js';
import { benchClusterPeers } from './clusterPeers.js';
import { benchClusterPaging } from './clusterPaging.js';
import { benchClusterMutes } from './clusterMutes.js';
import { benchClusterPartition } from './clusterPartition.js';
import { benchClusterTakeover } from './clusterTakeover.js';

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

function rssMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

interface Setup {
  ircd: Ngircd;
  znc: Znc;
  tmp: ReturnType<typeof tempDir>;
  peer: IrcPeer;
}

async function setup(): Promise<Setup> {
  const tmp = tempDir('bench');
  const ircd = await Ngircd.start();
  const znc = await Znc.start(ircd.port);
  const peer = await IrcPeer.connect(ircd.port, 'watcher');
  return { ircd, znc, tmp, peer };
}

async function teardown(s: Setup, lifeline?: ServerProcess): Promise<void> {
  s.peer.close();
  await lifeline?.stop();
  await s.znc.destroy();
  await s.ircd.destroy();
  s.tmp.remove();
}

/** The shipped defaults: only what a user must set for a ZNC bouncer, plus `extra` (labelled where used). */
function benchYaml(s: Setup, port: number, dbPath: string, extra = '', httpExtra = ''): string {
  return `log:
  level: info
http:
  host: 127.0.0.1
  port: ${port}
${httpExtra}store:
  path: ${dbPath}
irc:
  host: 127.0.0.1
  port: ${s.znc.port}
  tls: false
  nick: lifeline
  bouncer: znc
  password: "${s.znc.loginPassword}"
  channels:
    - name: "#alerts"
routes:
  - name: default
    irc_channels: ["#alerts"]
${extra}`;
}

async function startLifeline(s: Setup, name: string, extra: string | ((port: number) => string) = '', httpExtra = ''): Promise<{ proc: ServerProcess; port: number; startedMs: number; dbPath: string }> {
  const port = await freePort();
  if (typeof extra === 'function') extra = extra(port);
  const dbPath = join(s.tmp.dir, `${name}.db`);
  const startedMs = Date.now();
  const proc = await startProcess(s.tmp.dir, benchYaml(s, port, dbPath, extra, httpExtra), port);
  return { proc, port, startedMs, dbPath };
}

async function status(port: number): Promise<{ link: string; upstream: string; joined: string[]; attempts: number }> {
  return ((await (await fetch(`http://127.0.0.1:${port}/api/v1/status`)).json()) as { irc: { link: string; upstream: string; joined: string[]; attempts: number } }).irc;
}

async function healthy(port: number): Promise<void> {
  await waitFor('healthy path', async () => {
    const st = await status(port);
    return st.link === 'registered' && st.joined.length > 0 && st.upstream === 'up';
  }, 30_000);
}

/** Lines from Lifeline seen by the watcher since index `from`, formatting removed. */
function seen(p: IrcPeer, from: number): Array<{ text: string; atMs: number }> {
  return p.messages.slice(from).filter((m) => m.from.startsWith('lifeline')).map((m) => ({ text: plain(m.text), atMs: m.atMs }));
}

type Lifeline = Awaited<ReturnType<typeof startLifeline>>;

/**
 * One bench part's frame: network + bouncer + watcher, Lifeline with the shipped defaults (plus
 * `extra`, labelled where used), healthy and settled; torn down whatever happens.
 */
async function withHealthyLifeline<T>(name: string, run: (s: Setup, l: Lifeline) => Promise<T>, extra: string | ((port: number) => string) = '', httpExtra = ''): Promise<T> {
  const s = await setup();
  const l = await startLifeline(s, name, extra, httpExtra);
  try {
    await healthy(l.port);
    await settleAfterAttach();
    return await run(s, l);
  } finally {
    await teardown(s, l.proc);
  }
}

async function registeredAt(proc: ServerProcess): Promise<number> {
  const line = await waitFor('irc_registered log line', () => proc.output.join('').split('\n').find((l) => l.includes('"event":"irc_registered"')), 20_000);
  return Date.parse((JSON.parse(line) as { time: string }).time);
}

/**
 * When a client attaches, ZNC sends a few commands upstream and ngircd's per-client penalty then
 * holds ZNC's next lines for about a second. That is the network's doing, not Lifeline's, so the
 * steady-state measurements start a few seconds after attaching.
 */
function settleAfterAttach(): Promise<void> {
  return new Promise((r) => setTimeout(r, 3000));
}

async function benchStartAndIdle(): Promise<Record<string, number>> {
  const s = await setup();
  const l = await startLifeline(s, 'idle');
  try {
    const reg = await registeredAt(l.proc);
    await waitFor('joined', async () => ((await (await fetch(`http://127.0.0.1:${l.port}/api/v1/status`)).json()) as { irc: { joined: string[] } }).irc.joined.length > 0, 20_000);
    await new Promise((r) => setTimeout(r, 10_000));
    return { start_to_registered_ms: reg - l.startedMs, idle_rss_mb: rssMb(l.proc.pid, 'VmRSS') };
  } finally {
    await teardown(s, l.proc);
  }
}

async function singleAlerts(part: 'quiet' | 'b2b', n: number, gapMs: number): Promise<Record<string, number>> {
  return withHealthyLifeline(part, async (s, l) => {
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      const name = `${part === 'quiet' ? 'Quiet' : 'B2b'}${String(i).padStart(3, '0')}`;
      const from = s.peer.messages.length;
      const t0 = performance.now();
      const status = await post(l.port, groupPayload(name, 1));
      if (status !== 200) throw new Error(`webhook answered ${status}`);
      await waitFor(name, () => seen(s.peer, from).find((m) => m.text.includes(` ${name} `)), 30_000, 1);
      samples.push(performance.now() - t0);
      if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
    }
    if (process.env['LIFELINE_BENCH_TRACE']) {
      // Each sample in order, and what Lifeline said about pace, canaries and the link meanwhile.
      console.log(samples.map((ms, i) => `${i}:${Math.round(ms)}`).join(' '));
      console.log(l.proc.output.join('').split('\n').filter((x) => /"event":"irc_(canary|pace|dead|unconfirmed|network|disconnected)/.test(x)).join('\n'));
    }
    samples.sort((a, b) => a - b);
    return { [`${part}_p50_ms`]: percentile(samples, 50), [`${part}_p99_ms`]: percentile(samples, 99), [`${part}_max_ms`]: samples.at(-1) as number };
  });
}

async function benchTrickle(): Promise<Record<string, number>> {
  return withHealthyLifeline('trickle', async (s, l) => {
    const from = s.peer.messages.length;
    let lastPost = 0;
    for (let i = 0; i < 30; i++) {
      lastPost = Date.now();
      if ((await post(l.port, groupPayload(`Trickle${String(i).padStart(2, '0')}`, 1))) !== 200) throw new Error('webhook refused');
      await new Promise((r) => setTimeout(r, 1000));
    }
    const covered = (): number => {
      let n = 0;
      for (const m of seen(s.peer, from)) {
        if (/^\[FIRING\] /.test(m.text)) n += 1;
        const d = /^DIGEST .*?: (\d+) fired/.exec(m.text);
        if (d) n += Number(d[1]);
      }
      return n;
    };
    const done = await waitFor('all 30 in IRC', () => (covered() >= 30 ? seen(s.peer, from).at(-1) : undefined), 120_000, 10);
    return { trickle_last_after_last_post_ms: done.atMs - lastPost, trickle_irc_lines: seen(s.peer, from).length };
  });
}

async function benchOutage(): Promise<Record<string, number>> {
  return withHealthyLifeline('outage', async (s, l) => {
    await s.znc.kill();
    await waitFor('link down', async () => (await status(l.port)).link !== 'registered', 30_000, 50);
    for (let i = 1; i <= 20; i++) if ((await post(l.port, groupPayload(`Bench${i}`, 1))) !== 200) throw new Error('webhook refused');
    await new Promise((r) => setTimeout(r, 5000));
    const from = s.peer.messages.length;
    await s.znc.restart();
    await waitFor('registered again', async () => (await status(l.port)).link === 'registered', 30_000, 20);
    const reconnected = Date.now();
    const named = (): { atMs: number } | undefined => {
      const lines = seen(s.peer, from);
      const text = lines.map((m) => m.text).join('\n');
      const all = Array.from({ length: 20 }, (_, i) => new RegExp(`\\bBench${i + 1}\\b`).test(text)).every(Boolean);
      return all && /^DIGEST /m.test(text) ? lines.at(-1) : undefined;
    };
    const done = await waitFor('digest naming all 20', named, 60_000, 10);
    return { outage_all_20_named_after_reconnect_ms: done.atMs - reconnected, outage_irc_lines: seen(s.peer, from).length };
  });
}

async function benchFrozen(): Promise<Record<string, number>> {
  return withHealthyLifeline('frozen', async (s, l) => {
    const t0 = Date.now();
    s.znc.proc?.signal('SIGSTOP');
    try {
      await waitFor('dead link found', async () => (await status(l.port)).link !== 'registered', 120_000, 100);
      return { frozen_bouncer_found_ms: Date.now() - t0 };
    } finally {
      s.znc.proc?.signal('SIGCONT');
    }
  });
}

async function benchStorm(): Promise<Record<string, number>> {
  return withHealthyLifeline('storm', async (s, l) => {
    const before = s.peer.messages.length;
    const t0 = Date.now();
    let next = 0;
    let ok = 0;
    const workers = Array.from({ length: 20 }, async () => {
      while (next < 200) {
        const i = next++;
        if ((await post(l.port, groupPayload(`Storm${String(i).padStart(3, '0')}`, 50))) === 200) ok++;
      }
    });
    await Promise.all(workers);
    const ingestMs = Date.now() - t0;
    const lastPost = Date.now();
    const first = await waitFor('first line', () => s.peer.messages.slice(before).find((m) => m.from === 'lifeline'), 10_000, 5);
    // Everything is covered when the groups posted on their own plus the digests' "fired" counts reach 10,000.
    const covered = (): number => {
      let n = 0;
      for (const m of s.peer.messages.slice(before)) {
        const t = plain(m.text);
        const g = /^\[FIRING:(\d+)\]/.exec(t);
        if (g) n += Number(g[1]);
        if (/^\[FIRING\] /.test(t)) n += 1;
        const d = /^DIGEST .*?: (\d+) fired/.exec(t);
        if (d) n += Number(d[1]);
      }
      return n;
    };
    const done = await waitFor('everything in IRC', () => (covered() >= 10_000 ? s.peer.messages.at(-1) : undefined), 120_000, 10);
    const db = new Database(l.dbPath, { readonly: true });
    const stored = (db.prepare('SELECT COUNT(*) AS n FROM alerts').get() as { n: number }).n;
    db.close();
    const status = (await (await fetch(`http://127.0.0.1:${l.port}/api/v1/status`)).json()) as { irc: { attempts: number; link: string } };
    const lines = s.peer.messages.slice(before).filter((m) => m.from === 'lifeline').length;
    if (process.env['LIFELINE_BENCH_TRACE']) {
      // The lines as the channel saw them, and what Lifeline logged about digests and the link.
      for (const m of s.peer.messages.slice(before).filter((x) => x.from === 'lifeline')) console.log(`${m.atMs - t0} ${plain(m.text).slice(0, 140)}`);
      console.log(l.proc.output.join('').split('\n').filter((x) => /"event":"(digest|sent|irc_(canary|pace|dead|unconfirmed|network|disconnected))/.test(x)).map((x) => x.slice(0, 260)).join('\n'));
    }
    return {
      storm_webhooks_200: ok,
      storm_alerts_stored: stored,
      storm_ingest_ms: ingestMs,
      storm_first_line_ms: first.atMs - t0,
      storm_everything_in_irc_ms: done.atMs - t0,
      storm_accounted_after_last_post_ms: done.atMs - lastPost,
      storm_irc_lines: lines,
      storm_irc_connects: status.irc.attempts,
      storm_flood_disconnects: status.irc.attempts - 1 + (status.irc.link === 'registered' ? 0 : 1),
      storm_peak_rss_mb: rssMb(l.proc.pid, 'VmHWM'),
    };
  });
}

/** Issue 3: ZNC killed -> email accepted by the SMTP server and SMS accepted by the Twilio stand-in, grace 10 s. */
async function benchPathFailure(): Promise<Record<string, number>> {
  const s = await setup();
  const cert = selfSignedCert(s.tmp.dir);
  const smtp = await SmtpSink.start(cert);
  const twilio = await TwilioStandIn.start();
  const l = await startLifeline(s, 'path', pagingYaml({ smtpPort: smtp.port, caFile: cert.certFile, twilio, grace: '10s' }));
  try {
    await healthy(l.port);
    await settleAfterAttach();
    await new Promise((r) => setTimeout(r, 7000)); // idle for 10 s, as in the idle figure
    const idleRss = rssMb(l.proc.pid, 'VmRSS');
    const killed = Date.now();
    await s.znc.kill();
    const mail = await waitFor('email accepted', () => smtp.received[0], 60_000, 5);
    const sms = await waitFor('SMS accepted', () => twilio.received[0], 60_000, 5);
    return { path_idle_rss_with_email_sms_mb: idleRss, path_grace_ms: 10_000, path_email_after_kill_ms: mail.atMs - killed, path_sms_after_kill_ms: sms.atMs - killed };
  } finally {
    await smtp.stop();
    await twilio.stop();
    await teardown(s, l.proc);
  }
}

/** A payload of `n` critical alerts in one group, and its size in bytes. */
function bigPayload(name: string, n: number): string {
  return JSON.stringify(groupPayload(name, n));
}

/** The most alerts of the test's shape (group `name`) that fit in `bytes`. */
function alertsFitting(name: string, bytes: number): number {
  const one = Buffer.byteLength(bigPayload(name, 1));
  const per = Buffer.byteLength(bigPayload(name, 1001)) - Buffer.byteLength(bigPayload(name, 1));
  let n = Math.floor(((bytes - one) * 1000) / per);
  while (n > 1 && Buffer.byteLength(bigPayload(name, n)) > bytes) n--;
  return n;
}

/**
 * Asks /healthz every 5 ms until stopped (at most 100,000 times); `stop()` gives the longest wait
 * (how long Lifeline's event loop was held), `waits()` every wait in order.
 */
function watchHealth(port: number): { stop(): Promise<number>; waits(): number[]; longestWithin(windows: Array<[number, number]>): number } {
  let done = false;
  const waits: number[] = [];
  /** Wall time (ms) each wait began. */
  const starts: number[] = [];
  const watcher = (async () => {
    for (let i = 0; !done && i < 100_000; i++) {
      const t = performance.now();
      starts.push(Date.now());
      await (await fetch(`http://127.0.0.1:${port}/healthz`)).arrayBuffer();
      waits.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    async stop() {
      done = true;
      await watcher;
      return Math.max(0, ...waits);
    },
    waits: () => waits,
    /** The longest wait that overlapped one of `windows` ([from, to] wall ms). */
    longestWithin: (windows) => Math.max(0, ...waits.filter((w, i) => windows.some(([from, to]) => (starts[i] as number) <= to && (starts[i] as number) + w >= from))),
  };
}

/**
 * Runs `work` while asking /healthz every 5 ms; returns what it returned and the longest /healthz
 * wait. The asking runs in a worker thread, so the time this process spends on `work` itself (e.g.
 * reading an 8 MB answer) is not counted as Lifeline's.
 */
async function watchingHealth<T>(port: number, work: () => Promise<T>): Promise<{ result: T; maxHealthMs: number }> {
  const { Worker } = await import('node:worker_threads');
  const watcher = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
    let done = false;
    parentPort.once('message', () => { done = true; });
    (async () => {
      const url = 'http://127.0.0.1:' + workerData.port + '/healthz';
      let max = 0;
      for (let i = 0; !done && i < 100000; i++) {
        const t = performance.now();
        // A kept-alive connection the server closed as it was reused resets; the retry's time counts.
        await (await fetch(url).catch(() => fetch(url))).arrayBuffer();
        max = Math.max(max, performance.now() - t);
        await new Promise((r) => setTimeout(r, 5));
      }
      parentPort.postMessage(max);
    })();`,
    { eval: true, workerData: { port } },
  );
  const maxHealth = new Promise<number>((resolve, reject) => {
    watcher.once('message', (m: number) => resolve(m));
    watcher.once('error', reject);
  });
  await new Promise((r) => setTimeout(r, 50));
  try {
    const result = await work();
    await new Promise((r) => setTimeout(r, 200)); // work after the answer (dispatch) counts too
    watcher.postMessage('stop');
    return { result, maxHealthMs: await maxHealth };
  } finally {
    await watcher.terminate();
  }
}

/** POSTs `body` while asking /healthz every 5 ms; returns the POST's status and time, and the longest /healthz wait. */
async function postWatchingHealth(port: number, body: string): Promise<{ status: number; postMs: number; maxHealthMs: number }> {
  const { result, maxHealthMs } = await watchingHealth(port, async () => {
    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await res.arrayBuffer();
    return { status: res.status, postMs: performance.now() - t0 };
  });
  return { ...result, maxHealthMs };
}

async function benchBig(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  await withHealthyLifeline('big', async (_s, l) => {
    const n = alertsFitting('BigDefault', 1024 * 1024);
    const body = bigPayload('BigDefault', n);
    const r = await postWatchingHealth(l.port, body);
    Object.assign(out, { big_1mib_bytes: Buffer.byteLength(body), big_1mib_alerts: n, big_1mib_status: r.status, big_1mib_post_ms: r.postMs, big_1mib_max_healthz_ms: r.maxHealthMs, big_1mib_rss_mb: rssMb(l.proc.pid, 'VmHWM') });
  });
  // Tuned, labelled: http.body_limit raised to 64 MiB so 100,000 alerts fit in one webhook.
  await withHealthyLifeline(
    'big100k',
    async (_s, l) => {
      const body = bigPayload('BigTuned', 100_000);
      const r = await postWatchingHealth(l.port, body);
      Object.assign(out, { tuned_body_limit_64mib_100k_mib: Buffer.byteLength(body) / 1048576, tuned_body_limit_64mib_100k_status: r.status, tuned_body_limit_64mib_100k_post_ms: r.postMs, tuned_body_limit_64mib_100k_max_healthz_ms: r.maxHealthMs, tuned_body_limit_64mib_100k_rss_mb: rssMb(l.proc.pid, 'VmHWM') });
    },
    '',
    '  body_limit: 67108864\n',
  );
  return out;
}

/** CPU time (user + system) of a process so far, in ms, from /proc/PID/stat. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/** A local HTTP server counting requests; `hang` makes it accept TCP and never answer. */
async function targetServer(): Promise<{ port: number; hits: () => number; hang: (on: boolean) => void; close: () => Promise<void> }> {
  const http = await import('node:http');
  let hits = 0;
  let hanging = false;
  const server = http.createServer((_req, res) => {
    hits++;
    if (!hanging) res.end('ok');
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    hits: () => hits,
    hang: (on) => void (hanging = on),
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

async function benchDetect(): Promise<Record<string, number>> {
  const target = await targetServer();
  const twilio = await TwilioStandIn.start();
  const extra = `${smsNowYaml(twilio)}probes:
  interval: 5s
  targets:
    - { name: web, kind: http, url: "http://127.0.0.1:${target.port}/" }
`;
  try {
    return await withHealthyLifeline('detect', async (_s, l) => {
      await waitFor('probe up', async () => ((await (await fetch(`http://127.0.0.1:${l.port}/api/v1/status`)).json()) as { probes: Array<{ status: string }> }).probes[0]?.status === 'up', 30_000, 50);
      const stopped = Date.now();
      target.hang(true);
      await waitFor('alert opened', async () => ((await (await fetch(`http://127.0.0.1:${l.port}/api/v1/status`)).json()) as { probes: Array<{ status: string }> }).probes[0]?.status === 'down', 60_000, 20);
      const opened = Date.now();
      const sms = await waitFor('SMS at the stand-in', () => twilio.received[0], 60_000, 5);
      return { detect_bound_ms: 3 * 5_000 + 10_000, detect_alert_opened_ms: opened - stopped, detect_sms_after_stop_ms: sms.atMs - stopped, detect_sms_after_open_ms: sms.atMs - opened };
    }, extra);
  } finally {
    await twilio.stop();
    await target.close();
  }
}

async function benchStatusPage(): Promise<Record<string, number>> {
  const twilio = await TwilioStandIn.start();
  try {
    return await withHealthyLifeline('status', async (_s, l) => {
      for (let k = 0; k < 200; k++) await post(l.port, groupPayload(`Page${k}`, 1));
      await waitFor('200 incidents', async () => ((await (await fetch(`http://127.0.0.1:${l.port}/api/v1/status`)).json()) as { incidents: { open: number } }).incidents.open === 200, 30_000, 50);
      const out: Record<string, number> = {};
      for (const [name, path] of [['status_page', '/'], ['status_api', '/api/v1/status']] as const) {
        const times: number[] = [];
        let bytes = 0;
        for (let i = 0; i < 50; i++) {
          const t0 = performance.now();
          const res = await fetch(`http://127.0.0.1:${l.port}${path}`);
          bytes = (await res.arrayBuffer()).byteLength;
          times.push(performance.now() - t0);
        }
        times.sort((a, b) => a - b);
        Object.assign(out, { [`${name}_p50_ms`]: percentile(times, 50), [`${name}_p99_ms`]: percentile(times, 99), [`${name}_kib`]: bytes / 1024 });
      }
      return out;
    }, smsNowYaml(twilio));
  } finally {
    await twilio.stop();
  }
}

/**
 * The status page with many probes (issue 19.5): `n` TCP probes against a local listener at the
 * shipped interval (30 s), else the shipped config. Once every probe has run (and 30 s more, while
 * the first results are stored), GET /, then
 * /api/v1/status and /metrics, 10 times each, while /healthz is asked every 5 ms; and the same
 * /healthz watch for 3 s with no request, which is what the probes themselves cost.
 */
async function benchProbePage(n: number): Promise<Record<string, number>> {
  const net = await import('node:net');
  const listener = net.createServer((sock) => sock.destroy());
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const port = (listener.address() as { port: number }).port;
  const targets = Array.from({ length: n }, (_, i) => `    - { name: t${i}, kind: tcp, host: 127.0.0.1, port: ${port} }`).join('\n');
  const k = `probepage_${n / 1000}k`;
  const out: Record<string, number> = {};
  try {
    await withHealthyLifeline(k, async (_s, l) => {
      const base = `http://127.0.0.1:${l.port}`;
      await waitFor(`all ${n} probes run once`, async () => ((await (await fetch(`${base}/api/v1/status`)).json()) as { probes: Array<{ last: unknown }> }).probes.every((p) => p.last !== null), 300_000, 2000);
      // Each probe's first result is written to the store (one fsync each); measure after that.
      await new Promise((r) => setTimeout(r, 30_000));
      out[`${k}_idle_max_healthz_ms`] = (await watchingHealth(l.port, () => new Promise((r) => setTimeout(r, 3000)))).maxHealthMs;
      for (const [name, path] of [['page', '/'], ['api', '/api/v1/status'], ['metrics', '/metrics']] as const) {
        const { result: times, maxHealthMs } = await watchingHealth(l.port, async () => {
          const ts: number[] = [];
          for (let i = 0; i < 10; i++) {
            const t0 = performance.now();
            const res = await fetch(`${base}${path}`);
            out[`${k}_${name}_mib`] = (await res.arrayBuffer()).byteLength / 1048576;
            if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
            ts.push(performance.now() - t0);
          }
          return ts.sort((a, b) => a - b);
        });
        Object.assign(out, { [`${k}_${name}_p50_ms`]: percentile(times, 50), [`${k}_${name}_max_ms`]: times.at(-1) as number, [`${k}_${name}_max_healthz_ms`]: maxHealthMs });
      }
      out[`${k}_peak_rss_mb`] = rssMb(l.proc.pid, 'VmHWM');
    }, `probes:\n  targets:\n${targets}\n`);
  } finally {
    await new Promise((r) => listener.close(r));
  }
  return out;
}

/**
 * `lifeline check-config` (the built CLI, as a user runs it) on configs of 10,000 and 100,000 probe
 * targets (a third each http, tcp, tls): wall time and peak RSS from GNU time.
 */
async function benchCheckConfig(): Promise<Record<string, number>> {
  const { spawnSync } = await import('node:child_process');
  const { writeFileSync } = await import('node:fs');
  const tmp = tempDir('checkconfig');
  const out: Record<string, number> = {};
  try {
    const kinds = [
      (i: number) => `{ name: web${i}, kind: http, url: "http://10.0.${(i >> 8) & 255}.${i & 255}:8080/health", group: g${i % 50} }`,
      (i: number) => `{ name: ssh${i}, kind: tcp, host: 10.1.${(i >> 8) & 255}.${i & 255}, port: 22 }`,
      (i: number) => `{ name: tls${i}, kind: tls, host: h${i}.example.org, port: 443 }`,
    ];
    for (const n of [10_000, 100_000]) {
      const file = join(tmp.dir, `c${n}.yaml`);
      const targets = Array.from({ length: n }, (_, i) => `    - ${(kinds[i % 3] as (i: number) => string)(i)}`).join('\n');
      writeFileSync(file, `routes:\n  - { name: default, console: true }\nprobes:\n  targets:\n${targets}\n`);
      const r = spawnSync('/usr/bin/time', ['-f', 'lifeline-bench %e %M', process.execPath, 'dist/src/main.js', 'check-config', '--config', file], { encoding: 'utf8', timeout: 300_000 });
      const m = /lifeline-bench ([\d.]+) (\d+)/.exec(r.stderr ?? '');
      if (r.status !== 0 || !m) throw new Error(`check-config of ${n} targets: exit ${r.status}: ${r.stderr}`);
      Object.assign(out, { [`check_config_${n / 1000}k_s`]: Number(m[1]), [`check_config_${n / 1000}k_peak_rss_mb`]: Number(m[2]) / 1024 });
    }
  } finally {
    tmp.remove();
  }
  return out;
}

/**
 * Time from a voice step falling due to the Twilio stand-in receiving the call request: the step
 * at 0 s (due when the webhook's incident opens) and at 10 s (due by Lifeline's timer). One call per
 * Lifeline run (the default 2 min bundle window would hold a second one), three runs each.
 */
async function benchCall(): Promise<Record<string, number>> {
  const twilio = await TwilioStandIn.start();
  const out: Record<string, number> = {};
  try {
    for (const after of [0, 10]) {
      const lags: number[] = [];
      for (let i = 0; i < 3; i++) {
        await withHealthyLifeline(
          `call-${after}-${i}`,
          async (_s, l) => {
            const n = twilio.calls.length;
            await post(l.port, groupPayload(`Call${after}x${i}`, 1));
            const call = await waitFor('the call request', () => twilio.calls[n], 60_000, 2);
            const opened = ((await (await fetch(`http://127.0.0.1:${l.port}/api/v1/status`)).json()) as { incidents: { shown: Array<{ openedMs: number }> } }).incidents.shown[0]?.openedMs ?? NaN;
            lags.push(call.atMs - (opened + after * 1000));
          },
          (port) => `people:\n  - { name: alice, phone: "+4915112345678" }\noncall:\n  rotations:\n    - { name: primary, people: [alice], start: "2026-01-05" }\n${smsSection(twilio)}voice:\n  from: "+15005550006"\n  public_url: http://127.0.0.1:${port}\nescalation:\n  policies:\n    - { name: call, steps: [{ after: ${after}s, notify: [voice] }] }\n`,
        );
      }
      lags.sort((a, b) => a - b);
      Object.assign(out, { [`call_after_${after}s_min_ms`]: lags[0] as number, [`call_after_${after}s_max_ms`]: lags[lags.length - 1] as number });
    }
  } finally {
    await twilio.stop();
  }
  return out;
}

/**
 * VPN probes (issue 9): inside a namespace of their own (unshare -Urn: servers on its loopback,
 * nothing on the host's network), Debian's wireguard-go with 500 probe keys as peers and five
 * openvpn 2.6 UDP servers plus one TCP server, all at their defaults but for what a test server
 * needs (addresses, certificates). bench/vpnInside.ts measures each kind's wall and CPU time per
 * run (also the deep OpenVPN mode and the WireGuard forwarding check), then Lifeline (startApp, shipped defaults) with 500 WireGuard + 500 OpenVPN targets at
 * probes.interval 30s (the issue's setting; 100 targets per OpenVPN server keeps each under its
 * default connect-freq-initial of 100 resets per 10 s).
 */
async function benchVpn(): Promise<Record<string, number>> {
  const { execFileSync, spawnSync } = await import('node:child_process');
  const { generateKeyPairSync } = await import('node:crypto');
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  // Not tempDir (owned by the unprivileged server user): the namespace's root could not write it.
  const dirPath = mkdtempSync(join(tmpdir(), 'lifeline-bench-vpn-'));
  const tmp = { dir: dirPath, remove: () => rmSync(dirPath, { recursive: true, force: true }) };
  const f = (n: string): string => join(tmp.dir, n);
  try {
    const keyPair = (): { priv: string; pub: string } => {
      const k = generateKeyPairSync('x25519');
      return { priv: (k.privateKey.export({ format: 'der', type: 'pkcs8' }) as Buffer).subarray(16).toString('base64'), pub: (k.publicKey.export({ format: 'der', type: 'spki' }) as Buffer).subarray(12).toString('base64') };
    };
    const server = keyPair();
    writeFileSync(f('wg-server.key'), `${server.priv}\n`);
    const probes = Array.from({ length: 500 }, keyPair);
    writeFileSync(f('peers.conf'), probes.map((p, i) => `[Peer]\nPublicKey = ${p.pub}\nAllowedIPs = 10.200.${i >> 8}.${i & 255}/32\n`).join('\n'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('key.pem'), '-out', f('cert.pem'), '-days', '2', '-subj', '/CN=bench'], { stdio: 'ignore' });
    const ovpn = (name: string, proto: string, port: number): void =>
      writeFileSync(f(`${name}.conf`), ['mode server', 'tls-server', 'dev-type tun', `dev ${name}`, 'ifconfig-noexec', 'disable-dco', 'dh none', 'local 127.0.0.1', `proto ${proto}`, `port ${port}`, `ca ${f('cert.pem')}`, `cert ${f('cert.pem')}`, `key ${f('key.pem')}`, 'topology subnet', `ifconfig 10.97.${port % 100}.1 255.255.255.0`, `ifconfig-pool 10.97.${port % 100}.2 10.97.${port % 100}.200`, 'verb 1'].join('\n'));
    const ovServers = [1301, 1302, 1303, 1304, 1305];
    for (const p of ovServers) ovpn(`ovb${p}`, 'udp', p);
    ovpn('ovbtcp', 'tcp-server', 1310);
    const wg = (i: number): string => `{ name: wg${i}, kind: wireguard, host: 127.0.0.1, server_public_key: "${server.pub}", private_key: "${(probes[i] as { priv: string }).priv}" }`;
    const ov = (i: number, port: number, proto = 'udp'): string => `{ name: ov${i}, kind: openvpn, host: 127.0.0.1, port: ${port}, proto: ${proto} }`;
    const lifeline = `log:\n  level: warn\nhttp:\n  host: 127.0.0.1\n  port: 9095\nstore:\n  path: ${f('lifeline.db')}\nprobes:\n  interval: 30s\n  targets:\n${[...Array.from({ length: 500 }, (_, i) => wg(i)), ...Array.from({ length: 500 }, (_, i) => ov(i, ovServers[i % 5] as number))].map((t) => `    - ${t}`).join('\n')}\n`;
    // The single-run keys are not in the load (its own timestamps would race the load's).
    const single = keyPair();
    writeFileSync(f('peers.conf'), `${readFileSync(f('peers.conf'), 'utf8')}\n[Peer]\nPublicKey = ${single.pub}\nAllowedIPs = 10.201.0.1/32\n`);
    writeFileSync(f('input.json'), JSON.stringify({
      single: {
        wireguard: `{ name: wg, kind: wireguard, host: 127.0.0.1, server_public_key: "${server.pub}", private_key: "${single.priv}" }`,
        openvpn_udp: '{ name: ov, kind: openvpn, host: 127.0.0.1, port: 1301 }',
        openvpn_tcp: '{ name: ovt, kind: openvpn, host: 127.0.0.1, port: 1310, proto: tcp }',
        // Deep mode on its own server: each run is a reset, and the reset rate limit is per server.
        openvpn_udp_deep: `{ name: ovd, kind: openvpn, host: 127.0.0.1, port: 1302, deep: true, ca_file: ${f('cert.pem')} }`,
        // The forwarding check: one ping to the server's own tunnel address (no forwarding hop here).
        wireguard_ping: `{ name: wgp, kind: wireguard, host: 127.0.0.1, server_public_key: "${server.pub}", private_key: "${single.priv}", tunnel_address: 10.201.0.1, ping_address: 10.201.0.254 }`,
      },
      lifeline,
      warmupMs: 35_000,
      windowMs: 60_000,
    }));
    const servers = [...ovServers.map((p) => `ovb${p}`), 'ovbtcp'];
    const script = [
      'set -e',
      'ip link set lo up',
      'PIDS=""',
      `wireguard-go -f wgb${process.pid % 100_000} >${f('wg.log')} 2>&1 & PIDS="$PIDS $!"`,
      ...servers.map((s) => `openvpn --config ${f(`${s}.conf`)} >${f(`${s}.log`)} 2>&1 & PIDS="$PIDS $!"`),
      "trap 'st=$?; kill $PIDS 2>/dev/null || true; wait 2>/dev/null; exit $st' EXIT",
      `for i in $(seq 1 100); do [ -S /var/run/wireguard/wgb${process.pid % 100_000}.sock ] && break; sleep 0.05; done`,
      `wg set wgb${process.pid % 100_000} listen-port 51820 private-key ${f('wg-server.key')}`,
      `wg addconf wgb${process.pid % 100_000} ${f('peers.conf')}`,
      `ip addr add 10.201.0.254/24 dev wgb${process.pid % 100_000}`,
      `ip link set wgb${process.pid % 100_000} up`,
      ...servers.map((s) => `for i in $(seq 1 200); do grep -q "Initialization Sequence Completed" ${f(`${s}.log`)} && break; sleep 0.05; done`),
      `${JSON.stringify(process.execPath)} ${join(process.cwd(), 'dist/bench/vpnInside.js')} ${f('input.json')}`,
    ].join('\n');
    const r = spawnSync('unshare', ['-Urn', 'sh', '-c', script], { encoding: 'utf8', timeout: 10 * 60_000 });
    if (r.status !== 0) throw new Error(`vpn bench failed: ${r.stderr.slice(-2000)}`);
    return JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as Record<string, number>;
  } finally {
    tmp.remove();
  }
}

async function benchProbes2000(): Promise<Record<string, number>> {
  const N = 2000;
  const WINDOW_MS = 60_000;
  const target = await targetServer();
  const out: Record<string, number> = {};
  const targets = Array.from({ length: N }, (_, i) => `    - { name: t${i}, kind: http, url: "http://127.0.0.1:${target.port}/t${i}" }`).join('\n');
  try {
    await withHealthyLifeline('probes2000', async (_s, l) => {
      await new Promise((r) => setTimeout(r, 25_000)); // first runs spread over one interval, then steady
      const h0 = target.hits();
      const c0 = cpuMs(l.proc.pid);
      await new Promise((r) => setTimeout(r, WINDOW_MS));
      const runs = target.hits() - h0;
      const cpu = cpuMs(l.proc.pid) - c0;
      Object.assign(out, { lifeline_2000_probes_per_s: (runs * 1000) / WINDOW_MS, lifeline_cpu_ms_per_probe: cpu / runs, lifeline_peak_rss_mb: rssMb(l.proc.pid, 'VmHWM') });
    }, `probes:\n  interval: 10s\n  targets:\n${targets}\n`);
    // blackbox_exporter at the same rate (N per 10 s) against the same server, same window.
    const { startServer, freePort: fp } = await import('../test/integration/harness/procs.js');
    const port = await fp();
    const bb = startServer('blackbox', '/usr/bin/prometheus-blackbox-exporter', ['--config.file=/etc/prometheus/blackbox.yml', `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn']);
    try {
      await waitFor('blackbox up', async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).ok, 20_000, 100);
      const perSec = N / 10;
      let i = 0;
      let done = 0;
      const started = Date.now();
      const c0 = cpuMs(bb.pid);
      const workers = Array.from({ length: 50 }, async () => {
        while (Date.now() - started < WINDOW_MS) {
          const k = i++;
          const due = started + (k * 1000) / perSec;
          if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
          if (Date.now() - started >= WINDOW_MS) break;
          const res = await fetch(`http://127.0.0.1:${port}/probe?module=http_2xx&target=${encodeURIComponent(`http://127.0.0.1:${target.port}/b${k % N}`)}`);
          await res.text();
          done++;
        }
      });
      await Promise.all(workers);
      const cpu = cpuMs(bb.pid) - c0;
      Object.assign(out, { blackbox_probes_per_s: (done * 1000) / WINDOW_MS, blackbox_cpu_ms_per_probe: cpu / done, blackbox_peak_rss_mb: rssMb(bb.pid, 'VmHWM') });
    } finally {
      await bb.stop();
    }
  } finally {
    await target.close();
  }
  return out;
}

/** Each probe's last result from /api/v1/status, by name (those that have run). */
async function probeResults(port: number): Promise<Map<string, { summary: string; values: Record<string, string | number>; phases: Record<string, number>; atMs: number }>> {
  const st = (await (await fetch(`http://127.0.0.1:${port}/api/v1/status`)).json()) as { probes: Array<{ name: string; last: { summary: string; values: Record<string, string | number>; phases: Record<string, number>; atMs: number } | null }> };
  return new Map(st.probes.flatMap((p) => (p.last ? [[p.name, p.last] as const] : [])));
}

/**
 * Issue 19: probes against hostile servers on loopback (test/integration/harness/hostileServers.ts),
 * Lifeline as its own process with the shipped probe defaults (interval 30 s, timeout 10 s; the
 * first runs spread over one interval), /healthz asked every 5 ms throughout. Three runs:
 *   control an http probe of a page that says "ok": the same figures for a well-behaved target
 *           (what this machine's load and Lifeline's own work add, with no hostile answer);
 *   http    an http probe of a 1 GiB body and one of a gzip bomb (1 MiB inflating to 1 GiB):
 *           Lifeline's peak RSS (VmHWM) and the longest /healthz wait, until both ran twice;
 *   parse   a memory probe reading 7.5 MiB of node_exporter text (205,000 series), a prometheus
 *           probe of a target list nested 3 million deep and an alertmanager probe of a status
 *           nested 1 million deep: the same figures, until all ran twice;
 *   wide    a prometheus probe of a healthy target list of 7.5 MiB (6,000 targets with labels of
 *           their own: parsed in the worker thread).
 * Each run gives the longest /healthz wait while a probe ran (its run from start to result), the
 * longest at all, its 99th percentile and how many waits were over 50 ms: on a shared 2-core
 * machine the control shows what the machine's load alone adds.
 */
async function benchHostile(): Promise<Record<string, number>> {
  const { hostileHttpServer } = await import('../test/integration/harness/hostileServers.js');
  const srv = await hostileHttpServer();
  const out: Record<string, number> = {};
  const runs: Array<[string, Array<[string, string]>]> = [
    ['control', [['ok', `kind: http, url: "${srv.url('/ok')}"`]]],
    ['http', [['gigabyte', `kind: http, url: "${srv.url('/gigabyte')}"`], ['bomb', `kind: http, url: "${srv.url('/gzip-bomb')}"`]]],
    [
      'parse',
      [
        ['exporter', `kind: memory, url: "${srv.url('/metrics/big')}"`],
        ['promdeep', `kind: prometheus, url: "${srv.url('/prom-deep')}"`],
        ['amdeep', `kind: alertmanager, url: "${srv.url('/am-deep')}"`],
      ],
    ],
    ['wide', [['promwide', `kind: prometheus, url: "${srv.url('/prom-wide')}"`]]],
  ];
  try {
    for (const [part, probes] of runs) {
      const yaml = `probes:\n  targets:\n${probes.map(([name, rest]) => `    - { name: ${name}, ${rest} }`).join('\n')}\n`;
      await withHealthyLifeline(`hostile-${part}`, async (_s, l) => {
        const health = watchHealth(l.port);
        const first = new Map<string, number>();
        // When each run happened: from its start (its total time before the result; 1 s when a run
        // stopped reading before got's timings closed) to 100 ms after its result.
        const windows = new Map<string, [number, number]>();
        // Every probe twice: its first run within one interval (30 s), the next one interval later.
        const last = await waitFor(`each ${part} probe twice`, async () => {
          const r = await probeResults(l.port);
          for (const [name, v] of r) {
            if (!first.has(name)) first.set(name, v.atMs);
            windows.set(`${name}@${v.atMs}`, [v.atMs - (v.phases['total'] ?? 1) * 1000, v.atMs + 100]);
          }
          return probes.every(([name]) => (r.get(name)?.atMs ?? 0) > (first.get(name) ?? Infinity)) ? r : undefined;
        }, 120_000, 500);
        const max = await health.stop();
        const waits = [...health.waits()].sort((a, b) => a - b);
        Object.assign(out, {
          [`hostile_${part}_max_healthz_ms`]: max,
          [`hostile_${part}_max_healthz_during_runs_ms`]: health.longestWithin([...windows.values()]),
          [`hostile_${part}_runs`]: windows.size,
          [`hostile_${part}_p99_healthz_ms`]: percentile(waits, 99),
          [`hostile_${part}_healthz_over_50ms`]: waits.filter((w) => w > 50).length,
          [`hostile_${part}_healthz_asked`]: waits.length,
          [`hostile_${part}_peak_rss_mb`]: rssMb(l.proc.pid, 'VmHWM'),
        });
        for (const [name] of probes) {
          const r = last.get(name);
          console.log(`hostile ${part} ${name}: ${r?.summary ?? '(no result)'}`);
          if (typeof r?.values['body_bytes'] === 'number') out[`hostile_${part}_${name}_body_bytes`] = r.values['body_bytes'];
        }
      }, yaml);
    }
  } finally {
    await srv.close();
  }
  return out;
}

/**
 * A probe's own cost, without the engine or the process around it, over `n` runs of `probes` (20
 * at a time, after 1,000 to warm up): CPU and wall time per run, and what was allocated, from
 * V8's heap statistics at each collection (v8.GCProfiler): the growth between collections; then
 * what `n` runs more keep after a full collection.
 */
async function probeRunCost(probes: Probe[], n: number, part: string): Promise<{ kb_allocated: number; cpu_us: number; wall_ms: number; collections: number; kb_kept: number }> {
  const runs = async (count: number): Promise<void> => {
    let k = 0;
    await Promise.all(Array.from({ length: 20 }, async () => {
      while (k < count) {
        const r = await (probes[k++ % probes.length] as Probe).run({ signal: AbortSignal.timeout(10_000), timeoutMs: 10_000, nowMs: Date.now() });
        if (!r.up) throw new Error(`${part}: ${r.summary}`);
      }
    }));
  };
  await runs(1_000);
  const profiler = new v8.GCProfiler();
  profiler.start();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await runs(n);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const gcs = profiler.stop()?.statistics ?? [];
  let allocated = 0;
  let prevAfter = gcs[0]?.beforeGC.heapStatistics.usedHeapSize ?? 0;
  for (const g of gcs) {
    allocated += g.beforeGC.heapStatistics.usedHeapSize - prevAfter;
    prevAfter = g.afterGC.heapStatistics.usedHeapSize;
  }
  // What stays: the heap after a full collection, before and after `n` runs more (~0: nothing
  // kept per run). A Resolver's native c-ares channel is freed with its wrapper, so a leak there
  // would show here too; without a forced collection V8 leaves them to the next major GC.
  const gc = fullGc();
  gc();
  const kept0 = process.memoryUsage().heapUsed;
  await runs(n);
  gc();
  const kept = (process.memoryUsage().heapUsed - kept0) / 1024 / n;
  // Wall per run: 20 run at once, so the time one run takes is 20 x the window over the runs.
  return { kb_allocated: allocated / 1024 / n, cpu_us: (cpu.user + cpu.system) / n, wall_ms: (wall * 20) / n, collections: gcs.length, kb_kept: kept };
}

/** A full garbage collection on demand (the flag set at run time, as --expose-gc would). */
function fullGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Probes built from target entries (YAML flow mappings), as Lifeline builds them. */
async function buildProbes(entries: string[]): Promise<Probe[]> {
  const { parseConfig } = await import('../src/config/load.js');
  const { createProbe } = await import('../src/probes/registry.js');
  const { standaloneProbeDeps } = await import('../test/integration/harness/probeDeps.js');
  const cfg = parseConfig(`probes:\n  targets:\n${entries.map((e) => `    - ${e}`).join('\n')}\n`, 'bench.yaml', {});
  const deps = standaloneProbeDeps();
  return Promise.all(cfg.probes.targets.map((t) => createProbe(t, deps)));
}

/** The http probe's own cost: 6,000 runs of 200 probes against a local server. */
async function benchHttpRun(): Promise<Record<string, number>> {
  const target = await targetServer();
  try {
    const probes = await buildProbes(Array.from({ length: 200 }, (_, i) => `{ name: t${i}, kind: http, url: "http://127.0.0.1:${target.port}/t${i}" }`));
    const c = await probeRunCost(probes, 6_000, 'httprun');
    return { http_run_kb_allocated: c.kb_allocated, http_run_cpu_ms: c.cpu_us / 1000, http_run_collections: c.collections };
  } finally {
    await target.close();
  }
}

/** Time from sending headers announcing 100 MB (and 1 KiB of body) to the first byte of the answer, and the answer's status line. */
function declaredTooLarge(port: number, path: string): Promise<{ ms: number; status: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s = net.connect(port, '127.0.0.1');
    let ms = -1;
    let data = '';
    s.on('data', (d) => {
      if (ms < 0) ms = performance.now() - t0;
      data += d.toString();
    });
    s.on('error', () => undefined);
    s.on('close', () => resolve({ ms, status: data.split('\r\n')[0] ?? '' }));
    s.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000000\r\n\r\n${'x'.repeat(1024)}`);
    setTimeout(() => s.destroy(), 60_000);
  });
}

async function benchTwilio(): Promise<Record<string, number>> {
  const twilio = await TwilioStandIn.start();
  const out: Record<string, number> = {};
  try {
    await withHealthyLifeline(
      'twilio',
      async (_s, l) => {
        const n = twilio.calls.length;
        await post(l.port, groupPayload('Forged', 1));
        const call = await waitFor('the call request', () => twilio.calls[n], 60_000, 2);
        await waitFor('the TwiML', () => call.twiml, 10_000, 2);
        const gather = `http://127.0.0.1:${l.port}/api/v1/twilio/voice/gather?${new URL(call.url).searchParams.toString()}`;
        const lines = (): number => l.proc.output.join('').split('\n').filter((x) => x.includes('"event":"twilio_bad_signature"')).length;
        const before = lines();
        const flood = forgedTwilioFlood(gather, { AccountSid: twilio.accountSid, CallSid: call.sid, Digits: '2' }, 200);
        const worst = await longestHealthzWhile(l.port, flood);
        const statuses = await flood;
        await new Promise((r) => setTimeout(r, 200)); // the log lines reach the pipe
        const big = await declaredTooLarge(l.port, new URL(gather).pathname + new URL(gather).search);
        if (statuses.some((x) => x !== 403)) throw new Error(`twilio: ${statuses.filter((x) => x !== 403).length} forged posts not refused`);
        Object.assign(out, {
          twilio_forged_200_max_healthz_ms: worst,
          twilio_forged_200_log_lines: lines() - before,
          twilio_declared_100mb_answer_status: Number(/^HTTP\/1\.1 (\d{3})/.exec(big.status)?.[1] ?? 0),
          twilio_declared_100mb_answer_ms: big.ms,
        });
      },
      (port) => `people:\n  - { name: alice, phone: "+4915112345678" }\noncall:\n  rotations:\n    - { name: primary, people: [alice], start: "2026-01-05" }\n${smsSection(twilio)}voice:\n  from: "+15005550006"\n  public_url: http://127.0.0.1:${port}\nescalation:\n  policies:\n    - { name: call, steps: [{ after: 0s, notify: [voice] }] }\n`,
    );
  } finally {
    await twilio.stop();
  }
  return out;
}

/**
 * The dns probe's own cost: 6,000 runs of 200 probes (A, with an expected answer and TTL bounds)
 * against Debian's dnsmasq on loopback, each name a host-record of its own.
 */
async function benchDnsRun(): Promise<Record<string, number>> {
  const { Dnsmasq } = await import('../test/integration/harness/dnsmasq.js');
  const N = 200;
  const dns = await Dnsmasq.start(['--local=/bench.test/', '--local-ttl=300', ...Array.from({ length: N }, (_, i) => `--host-record=t${i}.bench.test,127.0.${1 + (i >> 8)}.${i & 255}`)]);
  try {
    const probes = await buildProbes(Array.from({ length: N }, (_, i) => `{ name: t${i}, kind: dns, query: t${i}.bench.test, resolver: "${dns.address}", expect: [127.0.${1 + (i >> 8)}.${i & 255}], min_ttl: 60, max_ttl: 3600 }`));
    const c = await probeRunCost(probes, 6_000, 'dnsrun');
    return { dns_run_kb_allocated: c.kb_allocated, dns_run_cpu_us: c.cpu_us, dns_run_wall_ms: c.wall_ms, dns_run_collections: c.collections, dns_run_kb_kept: c.kb_kept };
  } finally {
    await dns.stop();
  }
}

/**
 * each_address's cost: 200 tcp probes, each a name with 4 addresses (127.0.0.2-5, all listening)
 * resolved by Debian's dnsmasq on loopback, against the same 200 probes on one address without
 * each_address, in the same run.
 */
async function benchEachAddressRun(): Promise<Record<string, number>> {
  const { Dnsmasq } = await import('../test/integration/harness/dnsmasq.js');
  const port = await freePort();
  const servers = await Promise.all(['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'].map(async (a) => {
    const s = net.createServer((c) => c.end());
    await new Promise<void>((r) => s.listen(port, a, r));
    return s;
  }));
  const N = 200;
  const dns = await Dnsmasq.start(['--local=/bench.test/', ...Array.from({ length: N }, (_, i) => ['2', '3', '4', '5'].map((k) => `--host-record=t${i}.bench.test,127.0.0.${k}`)).flat()]);
  try {
    const each = await buildProbes(Array.from({ length: N }, (_, i) => `{ name: t${i}, kind: tcp, host: t${i}.bench.test, port: ${port}, each_address: true, resolver: "${dns.address}" }`));
    const one = await buildProbes(Array.from({ length: N }, (_, i) => `{ name: t${i}, kind: tcp, host: 127.0.0.2, port: ${port} }`));
    const c4 = await probeRunCost(each, 6_000, 'eachaddrrun');
    const c1 = await probeRunCost(one, 6_000, 'eachaddrrun');
    return {
      each_address_4_run_cpu_us: c4.cpu_us,
      each_address_4_run_wall_ms: c4.wall_ms,
      each_address_4_run_kb_allocated: c4.kb_allocated,
      tcp_1_address_run_cpu_us: c1.cpu_us,
      tcp_1_address_run_wall_ms: c1.wall_ms,
      tcp_1_address_run_kb_allocated: c1.kb_allocated,
    };
  } finally {
    await dns.stop();
    for (const s of servers) s.close();
  }
}

/** See the header: statushistory. */
function benchStatusHistory(): Record<string, number> {
  const tmp = tempDir('lifeline-bench-history');
  const db = openDb(join(tmp.dir, 'h.db'));
  const now = Date.UTC(2026, 11, 4, 12);
  const H = 3_600_000;
  const store = new IncidentStore(db);
  const alerts = new AlertStore(db);
  const event = (name: string, status: 'firing' | 'resolved', at: number): void => {
    const a = { fingerprint: `probe:${name}`, status, labels: { alertname: 'ProbeDown', probe: name }, annotations: {}, startsAt: '', endsAt: '', generatorURL: '', probe: { name, warning: false } };
    alerts.record('probes', { source: 'probe', groupKey: a.fingerprint, status, commonLabels: a.labels, truncatedAlerts: 0, alerts: [a] }, at);
  };
  db.transaction(() => {
    for (let i = 0; i < 10_000; i++) {
      const t = now - 6 * 24 * H + i * 50_000;
      event(`p${i}`, 'firing', t);
      event(`p${i}`, 'resolved', t + 10 * 60_000);
    }
    for (let i = 0; i < 500; i++) for (let h = 1; h < 168; h++) {
      event(`p${i}`, 'firing', now - h * H);
      event(`p${i}`, 'resolved', now - h * H + 60_000);
    }
    for (let k = 0; k < 5_000; k++) {
      const at = now - 6 * 24 * H + k * 100_000;
      const inc = store.open({ kind: k % 500 === 0 ? 'path' : 'alert', fingerprint: `f${k}`, title: `Alert ${k}`, severity: k % 3 ? 'warning' : 'critical', labels: {}, policy: 'p', nowMs: at, firstDueMs: now + 60_000, ...(k % 7 === 0 ? { groupKey: `g${k % 70}` } : {}) });
      if (!inc) continue;
      store.addPage({ incidentId: inc.id, reason: { kind: 'step', index: 0 }, channel: 'sms', person: 'alice', nowMs: at, notBeforeMs: at, text: 'x' });
      if (k < 4_000) store.resolve(inc.id, at + 30 * 60_000);
    }
  })();
  const probes = Array.from({ length: 20_000 }, (_, i): ProbeStatus => ({ name: `p${i}`, kind: 'tcp', target: `h${i}:22`, group: `g${i % 20}`, status: i % 1000 === 3 ? 'down' : 'up', sinceMs: now - H, failures: 0, behind: null, warning: null, last: { up: true, summary: 'connected', phases: { connect: 0.001 }, values: {}, atMs: now } }));
  const history = new HistoryStore(db);
  const build = (): StatusReport =>
    buildStatus({
      name: 'bench', build: { version: '0', revision: 'bench' }, nowMs: () => now, startedMs: now - H, irc: () => undefined,
      path: { name: 'IRC alert path', healthy: () => true, reason: () => '', onChange: () => () => undefined },
      faults: () => [], outboxPending: () => 0, alertCounts: () => ({}), probes: () => probes, incidents: store, bundleWindowMs: 120_000, history,
      schedule: { shifts: () => [] }, channels: () => [], silences: () => [], maintenance: () => [],
    });
  const runs: Array<{ build: number; page: number; longest: number; kib: number }> = [];
  for (let k = 0; k < 7; k++) {
    const t0 = performance.now();
    const r = build();
    const t1 = performance.now();
    let longest = 0;
    let bytes = 0;
    let mark = performance.now();
    for (const part of statusPageParts(r)) {
      longest = Math.max(longest, performance.now() - mark);
      bytes += part.length;
      mark = performance.now();
    }
    runs.push({ build: t1 - t0, page: performance.now() - t1, longest, kib: bytes / 1024 });
  }
  db.close();
  tmp.remove();
  const sorted = (f: (x: (typeof runs)[number]) => number): number[] => runs.map(f).sort((a, b) => a - b);
  return {
    statushistory_build_best_ms: sorted((x) => x.build)[0] as number,
    statushistory_build_median_ms: sorted((x) => x.build)[3] as number,
    statushistory_page_best_ms: sorted((x) => x.page)[0] as number,
    statushistory_page_median_ms: sorted((x) => x.page)[3] as number,
    statushistory_longest_part_median_ms: sorted((x) => x.longest)[3] as number,
    statushistory_page_kib: runs[0]?.kib ?? 0,
  };
}

/** See the header: twiml. */
function benchTwiml(): Record<string, number> {
  const text = `This is Lifeline with one incident: ${'DiskFull <host-0> & "db" '.repeat(12)}`.slice(0, 300);
  const call = (i: number): string =>
    voiceTwiml([
      { verb: 'gather', text: `${text} ${i}. Press 1 to acknowledge. Press 2 to escalate.`, language: 'en-US', action: `https://lifeline.example.org/api/v1/twilio/voice/gather?call=${i}`, timeoutS: 8 },
      { verb: 'gather', text: `Again. ${text} ${i}. Press 1 to acknowledge. Press 2 to escalate.`, language: 'en-US', action: `https://lifeline.example.org/api/v1/twilio/voice/gather?call=${i}`, timeoutS: 8 },
      { verb: 'say', text: 'Not acknowledged. Lifeline keeps escalating. Goodbye.', language: 'en-US' },
      { verb: 'hangup' },
    ]);
  const t0 = performance.now();
  let bytes = call(0).length;
  const first = performance.now() - t0;
  const runs: Array<{ calls: number; sms: number }> = [];
  for (let k = 0; k < 7; k++) {
    const a = performance.now();
    for (let i = 0; i < 10_000; i++) bytes += call(i).length;
    const b = performance.now();
    for (let i = 0; i < 10_000; i++) bytes += smsReplyTwiml(`Lifeline: ${i} acknowledged: DiskFull host-${i} & "db"`).length;
    runs.push({ calls: b - a, sms: performance.now() - b });
  }
  const sorted = (f: (x: (typeof runs)[number]) => number): number[] => runs.map(f).sort((x, y) => x - y);
  return {
    twiml_first_call_ms: first,
    twiml_10k_calls_best_ms: sorted((x) => x.calls)[0] as number,
    twiml_10k_calls_median_ms: sorted((x) => x.calls)[3] as number,
    twiml_10k_sms_best_ms: sorted((x) => x.sms)[0] as number,
    twiml_10k_sms_median_ms: sorted((x) => x.sms)[3] as number,
    twiml_bytes_built_mib: bytes / 1024 / 1024,
  };
}

const results: Record<string, number> = {};
const only = process.argv[2];
const want = (p: string): boolean => !only || only === p;
if (want('start')) Object.assign(results, await benchStartAndIdle());
if (want('quiet')) Object.assign(results, await singleAlerts('quiet', 20, 3000));
if (want('b2b')) Object.assign(results, await singleAlerts('b2b', 100, 0));
if (want('trickle')) Object.assign(results, await benchTrickle());
if (want('storm')) Object.assign(results, await benchStorm());
if (want('outage')) Object.assign(results, await benchOutage());
if (want('frozen')) Object.assign(results, await benchFrozen());
if (want('path')) Object.assign(results, await benchPathFailure());
if (want('big')) Object.assign(results, await benchBig());
if (want('detect')) Object.assign(results, await benchDetect());
if (want('vpn')) Object.assign(results, await benchVpn());
if (want('call')) Object.assign(results, await benchCall());
if (want('status')) Object.assign(results, await benchStatusPage());
if (want('probepage')) Object.assign(results, await benchProbePage(20_000));
if (only === 'probepage100k') Object.assign(results, await benchProbePage(100_000));
if (want('statushistory')) Object.assign(results, benchStatusHistory());
if (want('twiml')) Object.assign(results, benchTwiml());
if (want('checkconfig')) Object.assign(results, await benchCheckConfig());
if (want('probes2000')) Object.assign(results, await benchProbes2000());
if (want('httprun')) Object.assign(results, await benchHttpRun());
if (want('twilio')) Object.assign(results, await benchTwilio());
if (want('dnsrun')) Object.assign(results, await benchDnsRun());
if (want('eachaddrrun')) Object.assign(results, await benchEachAddressRun());
if (want('hostile')) Object.assign(results, await benchHostile());
if (want('cluster')) Object.assign(results, await benchCluster());
if (want('clusterpeers')) Object.assign(results, await benchClusterPeers());
if (want('clusterpaging')) Object.assign(results, await benchClusterPaging());
if (want('clusterpartition')) Object.assign(results, await benchClusterPartition());
if (want('clustermutes')) Object.assign(results, await benchClusterMutes());
if (want('clustertakeover')) Object.assign(results, await benchClusterTakeover());
for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(40)} ${Number.isInteger(v) ? v : v.toFixed(1)}`);
process.exit(0);
