/*
 * Benchmarks (npm run bench): real ngircd + ZNC on loopback, Lifeline as its own process (the
 * built CLI), a raw IRC client in the channel measuring what it sees. Not part of the test run.
 *
 *   relay latency  100 sequential alerts, POST start -> line seen by the other client; paced at
 *                  2.5 lines/s with our limiter at 3/s (ngircd's pace), so no flood limiter (ours,
 *                  ZNC's or ngircd's) holds a line back: it measures Lifeline's own path.
 *   storm          200 webhooks x 50 alerts, 20 in flight, default flood control.
 *   idle / start   RSS after start and idle; process start -> registered on IRC.
 *   path           ZNC killed -> page accepted by a real SMTP server and by the Twilio stand-in,
 *                  with escalation.path_grace 10 s (issue 3).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { IrcPeer, plain } from '../test/integration/harness/ircPeer.js';
import { freePort, startProcess, testConfigYaml } from '../test/integration/harness/lifeline.js';
import { Ngircd } from '../test/integration/harness/ngircd.js';
import { tempDir, waitFor, type ServerProcess } from '../test/integration/harness/procs.js';
import { Znc } from '../test/integration/harness/znc.js';
import { groupPayload, postWebhook as post } from '../test/integration/harness/webhook.js';
import { selfSignedCert } from '../test/integration/harness/certs.js';
import { pagingYaml } from '../test/integration/harness/paging.js';
import { SmtpSink } from '../test/integration/harness/smtpSink.js';
import { TwilioStandIn } from '../test/integration/harness/twilioStandIn.js';

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

async function startLifeline(s: Setup, name: string, extra = '', ircExtra = ''): Promise<{ proc: ServerProcess; port: number; startedMs: number; dbPath: string }> {
  const port = await freePort();
  const dbPath = join(s.tmp.dir, `${name}.db`);
  const yaml = testConfigYaml({ httpPort: port, dbPath, irc: { port: s.znc.port, password: s.znc.loginPassword, extra: ircExtra }, extra }).replace(/level: \w+/, 'level: info');
  const startedMs = Date.now();
  const proc = await startProcess(s.tmp.dir, yaml, port);
  return { proc, port, startedMs, dbPath };
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

async function benchLatency(): Promise<Record<string, number>> {
  const s = await setup();
  const l = await startLifeline(s, 'latency', 'format:\n  colors: false\n  max_alert_lines: 0\n', '  flood:\n    burst: 5\n    lines_per_second: 3\n');
  try {
    await registeredAt(l.proc);
    await waitFor('joined', async () => ((await (await fetch(`http://127.0.0.1:${l.port}/api/v1/status`)).json()) as { irc: { joined: string[] } }).irc.joined.length > 0, 20_000);
    await settleAfterAttach();
    const samples: number[] = [];
    for (let i = 0; i < 100; i++) {
      const name = `Latency${String(i).padStart(3, '0')}`;
      const t0 = performance.now();
      const status = await post(l.port, groupPayload(name, 1));
      if (status !== 200) throw new Error(`webhook answered ${status}`);
      await waitFor(name, () => s.peer.messages.find((m) => m.text.endsWith(` ${name}`)), 10_000, 1);
      samples.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 400)); // stay under every flood limit
    }
    samples.sort((a, b) => a - b);
    return { latency_p50_ms: percentile(samples, 50), latency_p99_ms: percentile(samples, 99), latency_max_ms: samples.at(-1) as number };
  } finally {
    await teardown(s, l.proc);
  }
}

async function benchStorm(): Promise<Record<string, number>> {
  const s = await setup();
  const l = await startLifeline(s, 'storm', 'format:\n  colors: false\n');
  try {
    await registeredAt(l.proc);
    await waitFor('joined', async () => ((await (await fetch(`http://127.0.0.1:${l.port}/api/v1/status`)).json()) as { irc: { joined: string[] } }).irc.joined.length > 0, 20_000);
    await settleAfterAttach();
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
    const first = await waitFor('first line', () => s.peer.messages.slice(before).find((m) => m.from === 'lifeline'), 10_000, 5);
    // Everything is covered when the groups posted on their own plus the digests' "fired" counts reach 10,000.
    const covered = (): number => {
      let n = 0;
      for (const m of s.peer.messages.slice(before)) {
        const t = plain(m.text);
        const g = /^\[FIRING:(\d+)\]/.exec(t);
        if (g) n += Number(g[1]);
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
    return {
      storm_webhooks_200: ok,
      storm_alerts_stored: stored,
      storm_ingest_ms: ingestMs,
      storm_first_line_ms: first.atMs - t0,
      storm_everything_in_irc_ms: done.atMs - t0,
      storm_irc_lines: lines,
      storm_irc_connects: status.irc.attempts,
      storm_flood_disconnects: status.irc.attempts - 1 + (status.irc.link === 'registered' ? 0 : 1),
      storm_peak_rss_mb: rssMb(l.proc.pid, 'VmHWM'),
    };
  } finally {
    await teardown(s, l.proc);
  }
}

/** Issue 3: ZNC killed -> email accepted by the SMTP server and SMS accepted by the Twilio stand-in, grace 10 s. */
async function benchPathFailure(): Promise<Record<string, number>> {
  const s = await setup();
  const cert = selfSignedCert(s.tmp.dir);
  const smtp = await SmtpSink.start(cert);
  const twilio = await TwilioStandIn.start();
  const l = await startLifeline(s, 'path', pagingYaml({ smtpPort: smtp.port, caFile: cert.certFile, twilio, grace: '10s' }));
  try {
    await registeredAt(l.proc);
    await waitFor('healthy path', async () => {
      const st = ((await (await fetch(`http://127.0.0.1:${l.port}/api/v1/status`)).json()) as { irc: { joined: string[]; upstream: string } }).irc;
      return st.joined.length > 0 && st.upstream === 'up';
    }, 20_000);
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

const results: Record<string, number> = {};
const only = process.argv[2];
if (!only || only === 'start') Object.assign(results, await benchStartAndIdle());
if (!only || only === 'latency') Object.assign(results, await benchLatency());
if (!only || only === 'storm') Object.assign(results, await benchStorm());
if (!only || only === 'path') Object.assign(results, await benchPathFailure());
for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(28)} ${Number.isInteger(v) ? v : v.toFixed(1)}`);
process.exit(0);
