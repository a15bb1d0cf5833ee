import type { ProbeStatus } from '../probes/engine.js';
import { PHASES } from '../probes/probe.js';

/*
 * The per-probe series of /metrics, written from the probes' last results at scrape time instead of
 * living in prom-client's registry: prom-client formats a metric's series in one synchronous block,
 * and with 20,000 probes (60,000 series) that held the event loop 150-340 ms on every scrape,
 * 1.7 s at 100,000 probes (bench part probepage). Here they come PROBES_PER_PART probes at a time, written
 * part by part like the status page. Same names, labels and values as before.
 */

/** Probes in one part of the /metrics answer. */
const PROBES_PER_PART = 500;

const SUCCESS = 'lifeline_probe_success';
const DURATION = 'lifeline_probe_duration_seconds';

/** A label value in the Prometheus text format: backslash, double quote and newline escaped. */
function label(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** One metric family over all probes, in parts. */
function* family(name: string, help: string, probes: readonly ProbeStatus[], lines: (p: ProbeStatus) => string): Generator<string> {
  yield `# HELP ${name} ${help}\n# TYPE ${name} gauge\n`;
  for (let i = 0; i < probes.length; i += PROBES_PER_PART) {
    let part = '';
    for (const p of probes.slice(i, i + PROBES_PER_PART)) part += lines(p);
    yield part;
  }
}

/**
 * `lifeline_probe_success{probe,kind}` and `lifeline_probe_duration_seconds{probe,phase}` of every
 * probe that has run, in the Prometheus text format, in parts.
 */
export function* probeMetricsParts(probes: readonly ProbeStatus[]): Generator<string> {
  if (probes.length === 0) return;
  yield* family(SUCCESS, 'Result of the last run of each probe: 1 up, 0 down (before flap damping).', probes, (p) =>
    p.last ? `${SUCCESS}{probe="${label(p.name)}",kind="${label(p.kind)}"} ${p.last.up ? 1 : 0}\n` : '',
  );
  yield* family(DURATION, 'Time of each phase of the last run of each probe (dns, connect, tls, request, firstByte, download, read, total). A phase the run never reached has no series, not 0.', probes, (p) => {
    let out = '';
    for (const phase of PHASES) {
      const v = p.last?.phases[phase];
      if (v !== undefined) out += `${DURATION}{probe="${label(p.name)}",phase="${phase}"} ${v}\n`;
    }
    return out;
  });
}
