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
}

/** What a probe run gets: its deadline as an abort signal. */
export interface ProbeRunContext {
  /** Aborts when the probe's timeout is over (or Lifeline stops). */
  signal: AbortSignal;
  /** The probe's timeout (ms). */
  timeoutMs: number;
  /** Wall time at the start (for certificate dates). */
  nowMs: number;
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
