import type { Alert, AlertBatch, ProbeSubject } from '../alerts/alert.js';
import { bySeverity } from '../alerts/severity.js';
import type { ProbeConfig } from '../config/probeSchema.js';
import type { ProbeResult } from './probe.js';
import type { GroupVerdict } from './policy/redundancy.js';

/*
 * The probes' alerts, shaped as Alertmanager's are (labels, a summary annotation), one alert per
 * batch. Fingerprints stay what they have always been ("probe:NAME", "probe:NAME:warning",
 * "probe:~ENDPOINT", "redundancy:GROUP"): open incidents, their ack codes and the alert history
 * are keyed by them, so a new form would orphan every incident open across an upgrade. They are
 * identities only; what an alert is about travels typed (Alert.probe, the batch's source) and is
 * stored in columns, never parsed back out of the fingerprint.
 */

/** The probe an alert is about, as the alert shaping reads it. */
export interface ShapedProbe {
  cfg: ProbeConfig;
  target: string;
}

function batch(alert: Alert): AlertBatch {
  return { source: 'probe', groupKey: alert.fingerprint, status: alert.status, commonLabels: alert.labels, truncatedAlerts: 0, alerts: [alert] };
}

function alertOf(fingerprint: string, status: 'firing' | 'resolved', labels: Record<string, string>, summary: string, nowMs: number, probe?: ProbeSubject): Alert {
  const at = new Date(nowMs).toISOString();
  return { fingerprint, status, labels, annotations: { summary }, startsAt: status === 'firing' ? at : '', endsAt: status === 'resolved' ? at : '', generatorURL: '', ...(probe ? { probe } : {}) };
}

/** A probe's own alert: ProbeDown (its severity) or ProbeWarning (severity warning). */
export function probeAlert(p: ShapedProbe, what: 'down' | 'warning', status: 'firing' | 'resolved', summary: string, nowMs: number, sharedStart = false): AlertBatch {
  const labels: Record<string, string> = {
    ...p.cfg.labels,
    alertname: what === 'down' ? 'ProbeDown' : 'ProbeWarning',
    probe: p.cfg.name,
    kind: p.cfg.kind,
    target: p.target,
    instance: p.cfg.name,
    severity: what === 'down' ? p.cfg.severity : 'warning',
    ...(p.cfg.group !== undefined ? { group: p.cfg.group } : {}),
  };
  const warning = what === 'warning';
  const b = batch(alertOf(`probe:${p.cfg.name}${warning ? ':warning' : ''}`, status, labels, summary, nowMs, { name: p.cfg.name, warning }));
  if (sharedStart) return batch({ ...(b.alerts[0] as Alert), sharedStart: true });
  // A warning (a certificate about to expire, ...) is one event for every region that sees it, each
  // at its own time: an agreed episode, so that two regions page it once (without a cluster it changes nothing).
  return warning ? batch({ ...(b.alerts[0] as Alert), agreedEpisode: true }) : b;
}

/**
 * A probe seen down from some regions and up from others (issue 23): a warning of its own
 * ("probe:NAME:regions"; the probe's other warnings, e.g. certificate expiry, keep theirs), with
 * the verdict's words naming the regions. Every instance raises it from the same verdicts at its
 * own moment: an agreed episode (probeAlert's warning), paged once.
 */
export function regionsAlert(p: ShapedProbe, status: 'firing' | 'resolved', text: string, nowMs: number): AlertBatch {
  const b = probeAlert(p, 'warning', status, text, nowMs);
  const alert = { ...(b.alerts[0] as Alert), fingerprint: `probe:${p.cfg.name}:regions`, labels: { ...b.commonLabels, alertname: 'ProbeRegions' } };
  return batch(alert);
}

/** A down alert's words: the evidence, and the probes down behind it (which have no alert of their own). */
export function downSummary(p: ShapedProbe, status: 'firing' | 'resolved', r: ProbeResult, behind: readonly string[]): string {
  if (status === 'firing') return `${p.cfg.name} (${p.target}) is down: ${r.summary}${behind.length > 0 ? `; also failing behind it: ${behind.join(', ')}` : ''}`;
  return `${p.cfg.name} (${p.target}) is up again: ${r.summary}${behind.length > 0 ? `; still down behind it, checked again now: ${behind.join(', ')}` : ''}`;
}

/** A warning alert's words. */
export function warningSummary(p: ShapedProbe, text: string): string {
  return `${p.cfg.name} (${p.target}): ${text}`;
}

/** The shared alert's words when firing: the endpoint, how many, which, and how they fail (one member's evidence). */
export function sharedSummary(endpoint: string, members: ReadonlyArray<{ name: string; summary: string }>): string {
  const names = members.map((m) => m.name).sort();
  return `${members.length} probes behind ${endpoint} fail the same way (${names.join(', ')}): ${members[0]?.summary ?? 'down'}`;
}

/**
 * The one alert of an inferred cause at `endpoint`: firing while any probe is down behind it,
 * with their names and one member's evidence; resolved when none is. Its severity is its worst
 * member's.
 */
export function sharedAlert(endpoint: string, members: ReadonlyArray<{ name: string; severity: string; summary: string }>, nowMs: number): AlertBatch {
  const cause = `~${endpoint}`;
  const status = members.length > 0 ? 'firing' : 'resolved';
  const severity = members.map((m) => m.severity).sort(bySeverity)[0] ?? 'critical';
  const summary = status === 'firing' ? sharedSummary(endpoint, members) : `${endpoint}: the probes that failed behind it answer again`;
  const labels: Record<string, string> = { alertname: 'ProbeDown', probe: cause, kind: 'shared', target: endpoint, instance: endpoint, severity };
  return batch({ ...alertOf(`probe:${cause}`, status, labels, summary, nowMs, { name: cause, warning: false }), agreedEpisode: true });
}

/** A redundancy group's one alert, from its verdict: resolved when ok, firing otherwise. */
export function groupAlert(group: string, v: GroupVerdict, nowMs: number): AlertBatch {
  const labels: Record<string, string> = { alertname: 'VpnRedundancy', redundancy_group: group, kind: 'redundancy', instance: group, state: v.state, severity: v.severity };
  return batch({ ...alertOf(`redundancy:${group}`, v.state === 'ok' ? 'resolved' : 'firing', labels, v.summary, nowMs), agreedEpisode: true });
}
