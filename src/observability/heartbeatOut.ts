import type { Config } from '../config/schema.js';
import { describeError } from '../errors.js';
import { gotLib } from '../util/lazy.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from './logger.js';

type HeartbeatOutConfig = NonNullable<Config['heartbeat_out']>;

/** Lifeline's own health as the heartbeat reports it: healthy, or the reasons it is not. */
export type SelfHealth = { ok: true } | { ok: false; reasons: string[] };

/** One ping on the wire: the HTTP status, or throws. Injected so tests can watch the calls. */
export type PingSender = (url: string, body: string | undefined, o: { timeoutMs: number; tlsVerify: boolean; token: string | undefined }) => Promise<number>;

/** What the outbound heartbeat needs. */
export interface HeartbeatOutDeps {
  config: HeartbeatOutConfig;
  clock: Clock;
  log: Logger;
  /** Asked before every ping. */
  health(): SelfHealth;
  send?: PingSender;
}

/**
 * Watching the watchdog: pings a dead man's switch (healthchecks.io's protocol; a second
 * Lifeline's heartbeat probe with a ping URL works too) every `interval`, so someone hears when
 * Lifeline dies or stalls. healthchecks.io facts: `<url>/start` marks a run started, `<url>` is a
 * success, `<url>/fail` a failure; a POST body (up to 100 kB) is kept as the ping's log. So:
 *  - `/start` once at boot;
 *  - the plain URL while Lifeline is healthy (store writable, delivery working, no Lifeline
 *    fault, probes running), so silence means "Lifeline is gone";
 *  - `/fail` with the reasons when it runs but is not healthy: the receiver alerts at once
 *    instead of after its grace time.
 * The URL is the credential: it is never logged.
 */
export class HeartbeatOut {
  private timer: TimerHandle | undefined;
  private stopped = false;
  private lastOk: boolean | undefined;
  private sending: Promise<void> | undefined;

  constructor(private readonly d: HeartbeatOutDeps) {}

  /** Sends `/start`, then the first ping, then one every interval. */
  start(): void {
    this.stopped = false;
    this.sending = this.ping('start').then(() => this.beat());
  }

  /** Stops pinging (the receiver notices the silence after its grace time). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.d.clock.clearTimeout(this.timer);
    await this.sending;
  }

  private beat(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const h = this.d.health();
    const done = h.ok ? this.ping('success') : this.ping('fail', `Lifeline is running but not healthy: ${h.reasons.join('; ')}`);
    return done.then(() => {
      if (this.stopped) return;
      this.timer = this.d.clock.setTimeout(() => void (this.sending = this.beat()), this.d.config.interval);
    });
  }

  private async ping(kind: 'start' | 'success' | 'fail', body?: string): Promise<void> {
    const base = this.d.config.ping_url.reveal().replace(/\/+$/, '');
    const url = kind === 'success' ? base : `${base}/${kind}`;
    const send = this.d.send ?? sendWithGot;
    try {
      const status = await send(url, body, { timeoutMs: this.d.config.timeout, tlsVerify: this.d.config.tls_verify, token: this.d.config.token?.reveal() });
      if (status < 200 || status >= 300) throw new Error(`the receiver answered HTTP ${status}`);
      const ok = kind !== 'fail';
      if (kind !== 'start' && ok !== this.lastOk) {
        if (ok) this.d.log.info({ event: 'heartbeat_out_ok' }, 'outbound heartbeat: pinging the dead man\'s switch (healthy)');
        else this.d.log.warn({ event: 'heartbeat_out_fail', reason: body }, 'outbound heartbeat: told the dead man\'s switch Lifeline is not healthy');
        this.lastOk = ok;
      }
    } catch (err) {
      this.lastOk = undefined;
      this.d.log.warn({ event: 'heartbeat_out_error', ping: kind, err: describeError(err) }, `outbound heartbeat: the ${kind} ping did not go through; trying again at the next interval`);
    }
  }
}

/** The real sender: got, one attempt, the timeout for the whole request; GET, or POST with a body. */
const sendWithGot: PingSender = async (url, body, o) => {
  const { default: got } = await gotLib();
  const res = await got(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'user-agent': 'Lifeline-heartbeat', ...(body !== undefined ? { 'content-type': 'text/plain; charset=utf-8' } : {}), ...(o.token !== undefined ? { authorization: `Bearer ${o.token}` } : {}) },
    ...(body !== undefined ? { body } : {}),
    throwHttpErrors: false,
    retry: { limit: 0 },
    timeout: { request: o.timeoutMs },
    https: { rejectUnauthorized: o.tlsVerify },
  });
  return res.statusCode;
};
