import net from 'node:net';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../util/clock.js';

/** Reference endpoints are asked at most this often. */
const NETWORK_CHECK_MS = 5_000;

/** What the gate needs: the check itself and who hears of a cut-off (both optional, as in ProbeEngineDeps). */
export interface NetworkGateDeps {
  clock: Clock;
  log: Logger;
  /** Whether Lifeline's own network works: true when any reference endpoint answers (none configured: true). */
  networkOk?(): Promise<boolean>;
  /** Lifeline's own network is cut off (or back): reported once as Lifeline's fault. */
  cutOff?(cut: boolean, detail: string): void;
}

/**
 * The cut-off rule: before any alert opens, the reference endpoints are checked; when none
 * answers, Lifeline itself is cut off, which is reported once as Lifeline's fault and never as N
 * outages. While cut off, every result asks again (at most every NETWORK_CHECK_MS), so that the
 * way back is seen at once.
 */
export class NetworkGate {
  private last: { atMs: number; ok: boolean } | undefined;
  /** Whether Lifeline is cut off now (reported). */
  cut = false;

  constructor(private readonly d: NetworkGateDeps) {}

  /** Whether Lifeline's own network works, asked at most every NETWORK_CHECK_MS; a change is reported once. */
  async ok(): Promise<boolean> {
    if (!this.d.networkOk) return true;
    const now = this.d.clock.monotonic();
    if (this.last && now - this.last.atMs < NETWORK_CHECK_MS) return this.last.ok;
    const ok = await this.d.networkOk();
    this.last = { atMs: this.d.clock.monotonic(), ok };
    if (!ok && !this.cut) {
      this.cut = true;
      this.d.log.error({ event: 'probe_network_cut_off' }, 'no reference endpoint answers: Lifeline itself is cut off; probe failures are not reported as outages');
      this.d.cutOff?.(true, 'probes fail and no reference endpoint (probes.reference_endpoints) answers either');
    } else if (ok && this.cut) {
      this.cut = false;
      this.d.log.info({ event: 'probe_network_back' }, 'a reference endpoint answers again');
      this.d.cutOff?.(false, 'a reference endpoint answers again');
    }
    return ok;
  }
}

/** Whether any of `endpoints` ("host:port") accepts a TCP connection within `timeoutMs`. None: true. */
export async function anyEndpointAnswers(endpoints: readonly string[], timeoutMs: number): Promise<boolean> {
  if (endpoints.length === 0) return true;
  const tries = endpoints.map(
    (ep) =>
      new Promise<boolean>((resolve) => {
        const i = ep.lastIndexOf(':');
        const host = ep.slice(0, i).replace(/^\[|\]$/g, '');
        const s = net.connect({ host, port: Number(ep.slice(i + 1)), timeout: timeoutMs });
        const end = (ok: boolean): void => {
          s.destroy();
          resolve(ok);
        };
        s.once('connect', () => end(true));
        s.once('timeout', () => end(false));
        s.once('error', () => end(false));
      }),
  );
  return (await Promise.all(tries)).some(Boolean);
}
