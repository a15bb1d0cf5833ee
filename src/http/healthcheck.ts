import type { Config } from '../config/schema.js';
import { describeError } from '../errors.js';

/** How long the check waits for /healthz (the image's HEALTHCHECK allows 5 s). */
const TIMEOUT_MS = 4_000;

/**
 * Asks a running Lifeline's /healthz on the address its config gives, as the container's
 * HEALTHCHECK: it follows http.host and http.port, so changing the port in the config does not
 * leave the health check knocking on the old one. A wildcard listen address is asked on loopback.
 */
export async function healthcheck(http: Pick<Config['http'], 'host' | 'port'>): Promise<{ ok: boolean; text: string }> {
  const host = http.host === '0.0.0.0' || http.host === '' ? '127.0.0.1' : http.host === '::' ? '[::1]' : http.host.includes(':') ? `[${http.host}]` : http.host;
  const url = `http://${host}:${http.port}/healthz`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    await res.arrayBuffer();
    return res.ok ? { ok: true, text: `${url}: ${res.status}` } : { ok: false, text: `${url} answered ${res.status}` };
  } catch (err) {
    // fetch() reports "fetch failed" and keeps the reason (ECONNREFUSED...) in its cause.
    const cause = (err as { cause?: unknown }).cause;
    return { ok: false, text: `${url}: no answer (${describeError(cause ?? err)}); is Lifeline running and listening there?` };
  }
}
