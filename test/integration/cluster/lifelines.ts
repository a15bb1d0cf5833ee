import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { selfSignedCert } from '../harness/certs.js';
import { freePort, startServer, tempDir, waitFor, waitForPort, type ServerProcess } from '../harness/procs.js';
import { SmtpSink, type ReceivedMail } from '../harness/smtpSink.js';
import { TwilioStandIn, type ReceivedSms } from '../harness/twilioStandIn.js';
import { postWebhook } from '../harness/webhook.js';
import { NatsRegions } from './natsRegions.js';

/*
 * Whole Lifelines in several regions, for the cluster's end-to-end tests (issue 23).
 *
 * Layout: `NatsRegions` makes one network namespace per region with its own nats-server
 * (JetStream, domain = region name; the first region is the hub, the others leaves over TLS).
 * Each region gets one `lifeline run` child process on the host (the built CLI, dist/src/main.js),
 * with a `cluster` section naming its region and every other region as a peer and pointing at its
 * region's nats-server through the region's host link. Every instance pages the same people
 * through one shared SMTP sink and one shared Twilio stand-in on host loopback, so a test counts
 * pages per subject or recipient across all regions. HTTP on a free loopback port per instance.
 * No IRC unless a test gives `irc` (a function of the region name, e.g. its own ZNC user).
 *
 * Each instance keeps its database across restarts (`kill` + `start`), and its JSON log lines
 * (level info by default) are kept for `logged` / `waitLogged`.
 *
 * Needs root (namespaces), nats-server and openssl; a test should skip when not root.
 */

/** Cluster timings for tests: short, so a test takes seconds (the shipped defaults are 2s/15s/1m/1m). */
export interface ClusterTimings {
  heartbeatInterval?: string;
  peerTimeout?: string;
  settleTimeout?: string;
  claimLease?: string;
}

/** The test defaults (say them in a test that relies on them). */
export const TEST_TIMINGS: Required<ClusterTimings> = { heartbeatInterval: '500ms', peerTimeout: '3s', settleTimeout: '20s', claimLease: '4s' };

/** What `Lifelines.start` builds. */
export interface LifelinesOptions {
  /** Region (= instance) names, lower case; the first is the NATS hub. At least two. */
  regions: readonly string[];
  /** Cluster timings (default TEST_TIMINGS); 'shipped': none written, the shipped defaults (benchmarks). */
  timings?: ClusterTimings | 'shipped';
  /**
   * Replaces the paging part of every config (people, oncall, escalation): by default alice
   * (email alice@example.org, phone ALICE_PHONE) is always on call and every incident pages her
   * by email and SMS at once (`bundle_window` 1s). Email and SMS sections always point at the
   * shared sink and stand-in.
   */
  paging?: string;
  /** More keys of one instance's `sms` section (indented two spaces, e.g. its `inbound_url`). */
  smsExtra?: (region: string) => string;
  /** More top-level YAML for one instance (e.g. commands, irc, probes). */
  extra?: (region: string) => string;
  /** Log level of the instances (default info: the cluster's events are logged at info and warn). */
  logLevel?: string;
}

/** Alice's phone in the default paging config (what the Twilio stand-in sees). */
export const ALICE_PHONE = '+4915112345678';

/** One Lifeline process for one region, on one database that outlives restarts. */
export class LifelineInstance {
  /** Every JSON log line it wrote, across restarts, in order. */
  readonly logs: Array<Record<string, unknown>> = [];
  /** Lines that were not JSON (crashes, stack traces). */
  readonly rawErr: string[] = [];
  private proc: ServerProcess | undefined;

  constructor(
    readonly name: string,
    readonly httpPort: number,
    readonly configFile: string,
    readonly dbFile: string,
  ) {}

  /** Starts `lifeline run`; resolves once its HTTP port accepts connections (not when it is ready or settled). */
  async start(timeoutMs = 20_000): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    const main = resolve(process.cwd(), 'dist/src/main.js');
    const proc = startServer(`lifeline-${this.name}`, process.execPath, [main, 'run', '--config', this.configFile], {}, false);
    this.proc = proc;
    const lines = (sink: (line: string) => void): ((d: Buffer) => void) => {
      let buf = '';
      return (d) => {
        buf += d.toString();
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          sink(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      };
    };
    const keep = (line: string): void => {
      if (!line.trim()) return;
      try {
        this.logs.push(JSON.parse(line) as Record<string, unknown>);
        if (this.logs.length > 50_000) this.logs.splice(0, 10_000);
      } catch {
        this.rawErr.push(line);
        if (this.rawErr.length > 2_000) this.rawErr.shift();
      }
    };
    proc.child.stdout?.on('data', lines(keep));
    proc.child.stderr?.on('data', lines(keep));
    const deadline = Date.now() + timeoutMs;
    await waitFor(`${this.name} listening on ${this.httpPort}`, async () => {
      if (!this.running) throw new Error(`${this.name} exited: ${this.rawErr.slice(-20).join('\n')} ${JSON.stringify(this.logs.slice(-5))}`);
      await waitForPort(this.httpPort, Math.max(100, Math.min(500, deadline - Date.now())));
      return true;
    }, timeoutMs, 50);
  }

  /** Whether the process runs. */
  get running(): boolean {
    return this.proc?.running ?? false;
  }

  /** SIGKILL, and wait for the exit. */
  async kill(): Promise<void> {
    await this.proc?.kill();
  }

  /** SIGTERM (a clean stop), SIGKILL after 3 s. */
  async stop(): Promise<void> {
    await this.proc?.stop();
  }

  /** SIGSTOP / SIGCONT: freeze and thaw the process (a hung instance). */
  signal(sig: NodeJS.Signals): void {
    this.proc?.signal(sig);
  }

  /** GET /readyz: its status code and JSON body. */
  async readyz(): Promise<{ status: number; body: Record<string, unknown> }> {
    const r = await fetch(`http://127.0.0.1:${this.httpPort}/readyz`, { signal: AbortSignal.timeout(3_000) });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  }

  /** POSTs an Alertmanager webhook payload (see harness/webhook.ts groupPayload); returns the HTTP status. */
  postAlert(payload: unknown): Promise<number> {
    return postWebhook(this.httpPort, payload);
  }

  /** Log lines with this `event` field (from index `from` of `logs`). */
  logged(event: string, from = 0): Array<Record<string, unknown>> {
    return this.logs.slice(from).filter((l) => l['event'] === event);
  }

  /** Waits for a log line with this `event` (and matching `pred`), from index `from`; bounded. */
  async waitLogged(event: string, timeoutMs: number, from = 0, pred: (l: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>> {
    return waitFor(`${this.name} to log ${event}`, () => this.logs.slice(from).find((l) => l['event'] === event && pred(l)), timeoutMs, 20);
  }
}

/**
 * N regions, each with its nats-server (in a namespace) and its Lifeline (on the host), sharing one
 * SMTP sink and one Twilio stand-in. `destroy()` in `after` (also after a failure).
 */
export class Lifelines {
  readonly instances = new Map<string, LifelineInstance>();
  private constructor(
    readonly regions: NatsRegions,
    readonly smtp: SmtpSink,
    readonly twilio: TwilioStandIn,
    private readonly tmp: { dir: string; remove: () => void },
  ) {}

  /**
   * Starts the regions, the sink and the stand-in, writes one config per region and starts every
   * instance (HTTP up; call `waitAllSettled` or `waitReady` for more).
   */
  static async start(o: LifelinesOptions): Promise<Lifelines> {
    if (o.regions.length < 2) throw new Error('Lifelines needs at least two regions');
    const tmp = tempDir('lifelines');
    const regions = new NatsRegions(o.regions);
    let smtp: SmtpSink | undefined;
    let twilio: TwilioStandIn | undefined;
    try {
      await regions.start();
      const cert = selfSignedCert(tmp.dir);
      smtp = await SmtpSink.start(cert);
      twilio = await TwilioStandIn.start();
      const ll = new Lifelines(regions, smtp, twilio, tmp);
      const t = o.timings === 'shipped' ? undefined : { ...TEST_TIMINGS, ...o.timings };
      for (const name of o.regions) {
        const httpPort = await freePort();
        const configFile = join(tmp.dir, `${name}.yaml`);
        const dbFile = join(tmp.dir, `${name}.db`);
        const natsUrl = regions.servers.get(name)?.url;
        if (!natsUrl) throw new Error(`no nats-server for region ${name}`);
        const paging = o.paging ?? defaultPaging();
        writeFileSync(
          configFile,
          [
            `log:\n  level: ${o.logLevel ?? 'info'}`,
            `http:\n  host: 127.0.0.1\n  port: ${httpPort}`,
            `store:\n  path: ${dbFile}`,
            'routes:\n  - name: default\n    console: true',
            `email:\n  host: 127.0.0.1\n  port: ${smtp.port}\n  username: lifeline\n  password: smtp-secret\n  from: "Lifeline ${name} <lifeline-${name}@example.org>"\n  ca_file: ${cert.certFile}\n  timeout: 5s`,
            `sms:\n  account_sid: ${twilio.accountSid}\n  auth_token: ${twilio.authToken}\n  from: "+15005550006"\n  api_base_url: ${twilio.url}\n  max_per_hour: 1000\n  max_per_day: 1000${o.smsExtra ? `\n${o.smsExtra(name)}` : ''}`,
            paging,
            [
              'cluster:',
              `  name: ${name}`,
              `  peers: [${o.regions.filter((r) => r !== name).map((p) => `{ name: ${p} }`).join(', ')}]`,
              `  nats_url: "${natsUrl}"`,
              ...(t ? [`  heartbeat_interval: ${t.heartbeatInterval}`, `  peer_timeout: ${t.peerTimeout}`, `  settle_timeout: ${t.settleTimeout}`, `  claim_lease: ${t.claimLease}`] : []),
            ].join('\n'),
            o.extra?.(name) ?? '',
            '',
          ].join('\n'),
        );
        ll.instances.set(name, new LifelineInstance(name, httpPort, configFile, dbFile));
      }
      await Promise.all([...ll.instances.values()].map((i) => i.start()));
      return ll;
    } catch (err) {
      await regions.destroy();
      await smtp?.stop();
      await twilio?.stop();
      tmp.remove();
      throw err;
    }
  }

  /** The instance of a region. */
  get(region: string): LifelineInstance {
    const i = this.instances.get(region);
    if (!i) throw new Error(`no Lifeline in region ${region}`);
    return i;
  }

  /** Posts a webhook payload to every running instance (as Alertmanager with one webhook_config per Lifeline does), or to the named ones. */
  async postAlert(payload: unknown, to?: readonly string[]): Promise<number[]> {
    const targets = to ? to.map((r) => this.get(r)) : [...this.instances.values()].filter((i) => i.running);
    return Promise.all(targets.map((i) => i.postAlert(payload)));
  }

  /** Emails at the sink whose subject matches. */
  mails(subject: RegExp): ReceivedMail[] {
    return this.smtp.received.filter((m) => subject.test(m.mail.subject ?? ''));
  }

  /** SMS at the stand-in whose body matches (and, when given, to that number). */
  sms(body: RegExp, to?: string): ReceivedSms[] {
    return this.twilio.received.filter((m) => body.test(m.body) && (to === undefined || m.to === to));
  }

  /** Waits until at least `n` emails match `subject`; bounded. The error lists the subjects received. */
  async waitMails(subject: RegExp, n: number, timeoutMs: number): Promise<ReceivedMail[]> {
    return this.waitPages(() => this.mails(subject), n, timeoutMs, () => `${n} email(s) with a subject matching ${subject}; received: ${this.smtp.received.map((m) => m.mail.subject).slice(-10).join(' | ')}`);
  }

  /** Waits until at least `n` SMS match `body`; bounded. The error lists the texts received. */
  async waitSms(body: RegExp, n: number, timeoutMs: number): Promise<ReceivedSms[]> {
    return this.waitPages(() => this.sms(body), n, timeoutMs, () => `${n} SMS matching ${body}; received: ${this.twilio.received.map((m) => m.body).slice(-10).join(' | ')}`);
  }

  private async waitPages<T>(got: () => T[], n: number, timeoutMs: number, what: () => string): Promise<T[]> {
    try {
      return await waitFor('pages', () => (got().length >= n ? got() : undefined), timeoutMs, 20);
    } catch {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    }
  }

  /** SIGKILLs a region's Lifeline. */
  kill(region: string): Promise<void> {
    return this.get(region).kill();
  }

  /** Starts a region's Lifeline again (same config and database). */
  restart(region: string): Promise<void> {
    return this.get(region).start();
  }

  /** Cuts a leaf region's link to the hub (interfaces down, connections reset). */
  cut(leaf: string): void {
    this.regions.cut(leaf);
  }

  /** Heals it. */
  heal(leaf: string): void {
    this.regions.heal(leaf);
  }

  /**
   * Posts an inbound SMS from alice to a region's Lifeline as Twilio does (form body, signed for
   * `url`, the instance's sms.inbound_url); returns the TwiML answer.
   */
  async smsFromAlice(region: string, url: string, body: string, sid: string): Promise<{ status: number; text: string }> {
    const params: Record<string, string> = { From: ALICE_PHONE, To: '+15005550006', Body: body, MessageSid: sid, AccountSid: this.twilio.accountSid };
    const data = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
    const sig = createHmac('sha1', this.twilio.authToken).update(Buffer.from(data, 'utf8')).digest('base64');
    const res = await fetch(`http://127.0.0.1:${this.get(region).httpPort}/api/v1/twilio/inbound`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sig }, body: new URLSearchParams(params).toString() });
    return { status: res.status, text: await res.text() };
  }

  /** GET /readyz of a region's Lifeline. */
  readyz(region: string): Promise<{ status: number; body: Record<string, unknown> }> {
    return this.get(region).readyz();
  }

  /** Waits until a region's /readyz answers 200; bounded. */
  async waitReady(region: string, timeoutMs = 30_000): Promise<void> {
    await waitFor(`${region} ready`, async () => (await this.readyz(region)).status === 200, timeoutMs, 50);
  }

  /**
   * Waits until every instance hears every peer up and has settled with all of them: a
   * `cluster_settled` with no peer left unreachable (or a `cluster_settle_timeout`). A first
   * settle that found a peer's region not answering yet is not enough: the instance settles again
   * when it hears that peer (cluster/node.ts) and is not ready until then.
   */
  async waitAllSettled(timeoutMs = 30_000): Promise<void> {
    await Promise.all(
      [...this.instances.values()].map(async (i) => {
        const peers = this.instances.size - 1;
        await waitFor(`${i.name} hears every peer`, () => new Set(i.logged('cluster_peer_up').map((l) => l['peer'])).size >= peers, timeoutMs, 20);
        const withAll = (l: Record<string, unknown>): boolean => (l['event'] === 'cluster_settled' && Array.isArray(l['unreachable']) && l['unreachable'].length === 0) || l['event'] === 'cluster_settle_timeout';
        await waitFor(`${i.name} settled with every peer`, () => i.logs.some(withAll), timeoutMs, 20);
      }),
    );
  }

  /** Stops every instance (SIGKILL), the servers, the namespaces, and deletes the temp folder. */
  async destroy(): Promise<void> {
    await Promise.all([...this.instances.values()].map((i) => i.kill().catch(() => undefined)));
    await this.regions.destroy();
    await this.smtp.stop().catch(() => undefined);
    await this.twilio.stop().catch(() => undefined);
    this.tmp.remove();
  }
}

/**
 * A paging part: alice always on call, every incident to her at once by `notify` (default email
 * and SMS), bundled over `bundleWindow` (default 1s); with `smsAfter`, a second step by SMS.
 */
export function defaultPaging(o: { notify?: string; bundleWindow?: string; smsAfter?: string } = {}): string {
  return [
    'people:',
    `  - { name: alice, email: alice@example.org, phone: "${ALICE_PHONE}" }`,
    'oncall:',
    '  rotations:',
    '    - { name: primary, people: [alice], start: "2026-01-05" }',
    'escalation:',
    `  bundle_window: ${o.bundleWindow ?? '1s'}`,
    '  policies:',
    `    - { name: now, steps: [{ after: 0s, notify: [${o.notify ?? 'email, sms'}] }${o.smsAfter ? `, { after: ${o.smsAfter}, notify: [sms] }` : ''}] }`,
  ].join('\n');
}

/** The public URL a region's Lifeline is told Twilio posts inbound SMS to (its sms.inbound_url in these tests). */
export const inboundUrlOf = (region: string): string => `https://${region}.lifeline.example.org/api/v1/twilio/inbound`;
/** The text of a mail, subject and body. */
export const mailText = (m: ReceivedMail): string => `${m.mail.subject ?? ''}\n${m.mail.text ?? ''}`;
/** Which instance sent a mail (its From names it: "Lifeline a"). */
export const mailSender = (m: ReceivedMail): string => /Lifeline (\w+)/.exec(m.mail.from?.text ?? '')?.[1] ?? '?';
