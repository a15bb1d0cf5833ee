import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Alert, AlertBatch } from '../alerts/alert.js';
import { labelSetOf, type LabelSet } from '../alerts/labels.js';

/*
 * Alertmanager's webhook payload, version 4 (the only version Alertmanager has ever sent from its
 * webhook receiver). Alertmanager sends the whole group on every notification: all alerts that are
 * firing plus those resolved since the last one, at most `max_alerts` of them, and reports the rest
 * in `truncatedAlerts`. Unknown fields are tolerated (newer Alertmanagers may add some); the types
 * of known fields are not.
 */

/**
 * A label or annotation set, copied into a null-prototype map so a label named `__proto__` is kept
 * and no lookup reaches Object.prototype (alerts/labels.ts). Absent means empty unless required.
 */
const labelSetOrAbsent = (required: boolean) => z.unknown().optional().transform((v, ctx): LabelSet => {
  if (v === undefined && !required) return labelSetOf([]);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    ctx.addIssue({ code: 'custom', message: 'expected an object of label names to string values' });
    return z.NEVER;
  }
  const src = v as Record<string, unknown>;
  const out: Array<[string, string]> = [];
  for (const k of Object.keys(src)) {
    const value = src[k];
    if (typeof value !== 'string') {
      ctx.addIssue({ code: 'custom', path: [k], message: 'label and annotation values must be strings' });
      return z.NEVER;
    }
    out.push([k, value]);
  }
  return labelSetOf(out);
});
const labelSet = labelSetOrAbsent(false);

const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelSetOrAbsent(true),
  annotations: labelSet,
  startsAt: z.string().default(''),
  endsAt: z.string().default(''),
  generatorURL: z.string().default(''),
  fingerprint: z.string().max(128).optional(),
});

const payloadSchema = z.object({
  version: z.literal('4', { message: 'only webhook payload version "4" is supported' }),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().min(0).default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().default(''),
  groupLabels: labelSet,
  commonLabels: labelSet,
  commonAnnotations: labelSet,
  externalURL: z.string().default(''),
  // Each alert is checked on its own (validate, below), so a big webhook can yield between them.
  alerts: z.array(z.unknown()),
});

/** One alert as received (Alertmanager's alerts map one to one onto Lifeline's Alert). */
export type ReceivedAlert = Alert;

/** One webhook notification: a group of alerts. */
export interface GroupNotification {
  groupKey: string;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Readonly<Record<string, string>>;
  commonLabels: Readonly<Record<string, string>>;
  commonAnnotations: Readonly<Record<string, string>>;
  externalURL: string;
  truncatedAlerts: number;
  alerts: readonly ReceivedAlert[];
}

/** Result of parsing a webhook body. */
export type ParseResult = { ok: true; value: GroupNotification } | { ok: false; reason: string };

/**
 * Alerts validated between yields to the event loop. 500, as the ingest's parts: on a slow
 * 2-core machine 1,000 held the loop for up to 170 ms (docs/benchmarks.md, `big`).
 */
export const VALIDATE_CHUNK = 500;

function problem(issues: readonly z.core.$ZodIssue[], prefix: Array<string | number>): ParseResult {
  const issue = issues[0];
  const path = issue ? [...prefix, ...issue.path].map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : '';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problems)` : '';
  return { ok: false, reason: `invalid payload at ${path || 'top level'}: ${issue?.message ?? 'invalid'}${more}` };
}

/** The validation, pausing (yield) every VALIDATE_CHUNK alerts; drivers below run it. */
function* validate(body: unknown): Generator<void, ParseResult> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, reason: 'body must be a JSON object (Alertmanager webhook payload version 4)' };
  }
  const top = payloadSchema.safeParse(body);
  if (!top.success) return problem(top.error.issues, []);
  const p = top.data;
  const alerts: ReceivedAlert[] = [];
  for (let i = 0; i < p.alerts.length; i++) {
    if (i > 0 && i % VALIDATE_CHUNK === 0) yield;
    const r = alertSchema.safeParse(p.alerts[i]);
    if (!r.success) return problem(r.error.issues, ['alerts', i]);
    const a = r.data;
    alerts.push({
      fingerprint: a.fingerprint && a.fingerprint.length > 0 ? a.fingerprint : labelFingerprint(a.labels),
      status: a.status,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.startsAt,
      endsAt: a.endsAt,
      generatorURL: a.generatorURL,
    });
  }
  return {
    ok: true,
    value: {
      groupKey: p.groupKey,
      status: p.status,
      receiver: p.receiver,
      groupLabels: p.groupLabels,
      commonLabels: p.commonLabels,
      commonAnnotations: p.commonAnnotations,
      externalURL: p.externalURL,
      truncatedAlerts: p.truncatedAlerts,
      alerts,
    },
  };
}

/**
 * Validates a decoded JSON value as a version 4 webhook payload. On failure, `reason` names the
 * first offending field so the sender's operator can see what is wrong.
 */
export function parseWebhookPayload(body: unknown): ParseResult {
  const g = validate(body);
  for (let r = g.next(); ; r = g.next()) if (r.done) return r.value;
}

/** As parseWebhookPayload, yielding to the event loop between chunks of alerts (big webhooks). */
export async function parseWebhookPayloadYielding(body: unknown, yieldNow: () => Promise<void> = () => new Promise((r) => setImmediate(r))): Promise<ParseResult> {
  const g = validate(body);
  for (let r = g.next(); ; r = g.next()) {
    if (r.done) return r.value;
    await yieldNow();
  }
}

/**
 * A stable fingerprint from a label set, for senders that omit `fingerprint` (older Alertmanagers,
 * hand-written payloads). Alertmanager's own is FNV-64a over sorted labels; ours only needs to be
 * stable, so it is a SHA-256 prefix over the same sorted pairs.
 */
export function labelFingerprint(labels: Readonly<Record<string, string>>): string {
  const h = createHash('sha256');
  for (const k of Object.keys(labels).sort()) {
    h.update(k);
    h.update('\xff');
    h.update(labels[k] as string);
    h.update('\xff');
  }
  return h.digest('hex').slice(0, 16);
}

/** The source-neutral batch for a webhook notification (the wire type stays at this edge). */
export function batchOf(n: GroupNotification): AlertBatch {
  return { source: 'alertmanager', groupKey: n.groupKey, status: n.status, commonLabels: n.commonLabels, truncatedAlerts: n.truncatedAlerts, alerts: n.alerts };
}
