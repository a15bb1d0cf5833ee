import type { ProbeConfig } from '../config/probeSchema.js';

/** The kinds of probe (one file each in probes/kinds, one entry each in probes/registry.ts). */
export type ProbeKind = ProbeConfig['kind'];

/**
 * Phases a probe may pass through, in order, with the time each took (seconds). A phase never
 * reached is absent, never 0: "connected in 3 ms, no response in 5 s" has a connect phase and no
 * firstByte phase.
 */
export const PHASES = ['dns', 'connect', 'tls', 'request', 'firstByte', 'download', 'read', 'total'] as const;
/** One of PHASES. */
export type Phase = (typeof PHASES)[number];

/** What one run of a probe found. */
export interface ProbeResult {
  up: boolean;
  /**
   * The evidence in words a tired person understands: what worked and what did not, with
   * numbers ("TCP connected in 3 ms; no HTTP response within 5 s").
   */
  summary: string;
  /** Seconds per phase reached. */
  phases: Partial<Record<Phase, number>>;
  /** Values read on the way (status code, days of certificate left...). */
  values: Record<string, string | number>;
  /** Up, but something needs attention soon (a certificate about to expire): a warning. */
  warning?: string;
  /**
   * The address and port the probe reached or tried ("203.0.113.7:443", "[2001:db8::1]:443"),
   * after DNS: probes of different names behind one reverse proxy share it. Absent when DNS
   * failed or the kind has no single endpoint.
   */
  endpoint?: string;
}

/**
 * What a failure can be grouped by when several probes fail at once (probes/sharedCause.ts): the
 * endpoint and the last phase reached ("203.0.113.7:443|request": connected, sent the request,
 * no answer). Undefined for a success or a failure with no known endpoint.
 */
export function failureKey(r: ProbeResult): string | undefined {
  if (r.up || r.endpoint === undefined) return undefined;
  const reached = PHASES.filter((p) => p !== 'total' && r.phases[p] !== undefined);
  return `${r.endpoint}|${reached.at(-1) ?? 'none'}`;
}

/** "host:port" for an address and port, IPv6 in brackets. */
export function endpointOf(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** What a probe run gets: its deadline as an abort signal. */
export interface ProbeRunContext {
  /** Aborts when the probe's timeout is over (or Lifeline stops). */
  signal: AbortSignal;
  /** The probe's timeout (ms). */
  timeoutMs: number;
  /** Wall time at the start (for certificate dates). */
  nowMs: number;
  /**
   * The address to check instead of resolving the target's name (each_address: every address
   * behind a name in turn); names still go in TLS SNI and the HTTP Host header.
   */
  address?: string;
}

/** One probe: checks one target once per call. Never throws: failures are results. */
export interface Probe {
  readonly kind: ProbeKind;
  /** What is checked, for labels and people ("https://wiki.example.org/", "vpn1:1194"). */
  readonly target: string;
  run(ctx: ProbeRunContext): Promise<ProbeResult>;
}

/** Milliseconds as people read them: "3 ms", "1.2 s". */
export function ms(n: number): string {
  return n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)} s`;
}

/** A result for a probe that could not get going, or failed in a way it did not foresee. */
export function failed(summary: string, phases: ProbeResult['phases'] = {}, values: ProbeResult['values'] = {}): ProbeResult {
  return { up: false, summary, phases, values };
}
