import type { FormatConfig } from '../config/schema.js';
import { formatDuration } from '../config/duration.js';
import { totals } from '../alerts/digest.js';
import { labelValue } from '../alerts/labels.js';
import { severityLevel, type SeverityLevel } from '../alerts/severity.js';
import type { AlertBrief, GroupMessage, OutboxMessage, SummaryEntry, SummaryMessage } from '../alerts/messages.js';
import { naturalCompare } from '../util/naturalCompare.js';
import { compressNames, joinWithin } from './compress.js';
import { cleanValue } from './text.js';

/** Why a summary is being sent, for its first words. */
export interface DigestContext {
  /** How long the destination was unreachable, when the summary follows an outage. */
  outageMs?: number;
}

// mIRC colour codes: \x03NN sets the colour, \x0f resets all formatting, \x02 toggles bold.
const COLOR = { red: '04', green: '03', orange: '07', blue: '12', grey: '14' } as const;
const LEVEL_COLOR: Readonly<Record<SeverityLevel, string | undefined>> = { critical: COLOR.red, error: COLOR.red, warning: COLOR.orange, info: COLOR.blue, unknown: undefined };

/** The mIRC colour of a severity, by its level in the one severity table. */
function severityColor(severity: string): string | undefined {
  return LEVEL_COLOR[severityLevel(severity)];
}

/**
 * Renders outbox messages into message lines (not yet split for the wire). Untrusted values are
 * cleaned here, before Lifeline's own formatting codes are added.
 */
export class Formatter {
  constructor(
    private readonly cfg: FormatConfig,
    /** Alert kinds (name + severity) a digest lists one per line; more become one line of counts. */
    private readonly digestMaxKinds = 3,
  ) {}

  /** Lines for any outbox message. */
  render(msg: OutboxMessage, ctx: DigestContext = {}): string[] {
    switch (msg.kind) {
      case 'group':
        return this.group(msg);
      case 'summary':
        return this.summary(msg, ctx);
      case 'text':
        return [cleanValue(msg.text, 2000)];
      case 'page':
        return [msg.subject, ...msg.body];
    }
  }

  private paint(text: string, color: string | undefined, bold = false): string {
    if (!this.cfg.colors || text === '') return text;
    const b = bold ? '\x02' : '';
    return color ? `${b}\x03${color}${text}\x0f` : `${b}${text}${b}`;
  }

  /**
   * A notification with one alert is one line that says everything (status, severity, name,
   * instance, summary, the incident's ack code): through a bouncer at its default pace every line
   * costs about 2 s. Larger groups get one line naming every instance compactly, then per-alert
   * lines up to `max_alert_lines` (0 by default).
   */
  group(msg: GroupMessage): string[] {
    const firing = msg.alerts.filter((a) => a.status === 'firing');
    const resolved = msg.alerts.filter((a) => a.status === 'resolved');
    const statusWord = msg.status === 'firing' ? 'FIRING' : 'RESOLVED';
    const status = this.paint(statusWord, msg.status === 'firing' ? COLOR.red : COLOR.green, true);
    const only = msg.alerts.length === 1 && msg.truncated === 0 ? msg.alerts[0] : undefined;
    if (only) {
      const severity = cleanValue(only.severity, 40);
      return [
        fill(this.cfg.templates.single, {
          status,
          severity: this.paint(severity, severityColor(severity)),
          alertname: cleanValue(only.name, 120),
          instance: cleanValue(only.instance, 120),
          summary: only.summary ? `: ${cleanValue(only.summary, 300)}` : '',
          incident: only.incident ? `(!ack ${only.incident})` : '',
        }),
      ];
    }
    const common = msg.commonLabels;
    const severity = cleanValue(common['severity'] ?? firing[0]?.severity ?? msg.alerts[0]?.severity ?? '', 40);
    const alertname = cleanValue(common['alertname'] ?? distinctNames(msg.alerts), 120);
    const labels = Object.entries(common)
      .filter(([k]) => k !== 'alertname' && k !== 'severity' && k !== 'instance')
      .sort(([a], [b]) => naturalCompare(a, b))
      .map(([k, v]) => ` ${cleanValue(k, 60)}=${cleanValue(v, 120)}`)
      .join('');
    const count = msg.status === 'firing' ? firing.length + msg.truncated : msg.alerts.length + msg.truncated;
    const shownAlerts = msg.status === 'firing' ? firing : msg.alerts;
    const instances = compressNames(shownAlerts.map((a) => cleanValue(a.instance, 120)).filter(Boolean));
    const codes = shownAlerts.map((a) => a.incident).filter((c): c is string => c !== undefined);
    const head = fill(this.cfg.templates.group, {
      status,
      count: `:${count}`,
      severity: this.paint(severity, severityColor(severity)),
      alertname,
      labels,
      firing: String(firing.length),
      resolved: String(resolved.length),
      instances: instances.length ? `: ${joinWithin(instances, 300, 'instances')}${msg.truncated > 0 ? ` (+${msg.truncated} not sent by Alertmanager)` : ''}` : '',
      incident: codes.length === 1 ? `(!ack ${codes[0]})` : codes.length > 1 ? `(incidents ${joinWithin(codes, 60, '')})` : '',
    });
    const lines = [head];
    const ordered = [...firing, ...resolved];
    const shown = ordered.slice(0, this.cfg.max_alert_lines);
    for (const a of shown) lines.push(this.alert(a));
    const hidden = ordered.length - shown.length + msg.truncated;
    if (hidden > 0 && this.cfg.max_alert_lines > 0) lines.push(`  …and ${hidden} more`);
    return lines;
  }

  private alert(a: AlertBrief): string {
    return fill(this.cfg.templates.alert, {
      status_mark: a.status === 'firing' ? this.paint('FIRING', COLOR.red) : this.paint('RESOLVED', COLOR.green),
      alertname: cleanValue(a.name, 120),
      instance: cleanValue(a.instance, 120),
      severity: cleanValue(a.severity, 40),
      summary: cleanValue(a.summary, 300),
      incident: a.incident ? `(!ack ${a.incident})` : '',
    });
  }

  /**
   * "DIGEST while disconnected 12 min: 20 fired, 0 resolved, 20 still firing", then what still
   * fires grouped by kind (alert name and severity), most severe first, naturally sorted, with
   * counts and every instance named compactly; with many kinds, one line of kinds and counts.
   */
  summary(msg: SummaryMessage, ctx: DigestContext): string[] {
    const t = totals(msg);
    const o = msg.outage;
    const why = o
      ? `IRC alert path was down ${formatDuration(o.toMs - o.fromMs)} (incident ${cleanValue(o.incident, 8)})`
      : ctx.outageMs !== undefined
        ? `while disconnected ${formatDuration(ctx.outageMs)}`
        : `${msg.messages} queued notifications`;
    const meanwhile = o ? ' meanwhile' : '';
    const head = `${this.paint('DIGEST', COLOR.blue, true)} ${why}: ${t.fired} fired, ${t.resolved} resolved${meanwhile}, ${t.stillFiring} still firing`;
    if (t.stillFiring === 0) return [head];
    const kinds = kindsOf(t.firing);
    const overflow = t.stillFiring - t.firing.length;
    const more = overflow > 0 ? ` (+${overflow} not itemised)` : '';
    if (kinds.length <= this.digestMaxKinds) {
      return [
        head,
        ...kinds.map((k) => {
          const sev = k.severity ? `${this.paint(cleanValue(k.severity, 40), severityColor(k.severity))} ` : '';
          const names = compressNames(k.instances.map((i) => cleanValue(i, 80)).filter(Boolean));
          return `  ${sev}${cleanValue(k.name, 120)} ×${k.count}${names.length ? `: ${joinWithin(names, 380, 'instances')}` : ''}`;
        }),
        ...(more ? [`  ${more.trim()}`] : []),
      ];
    }
    // Many kinds: one line, by severity (most severe first), each kind with its count, or its
    // instance when it is a single alert.
    const sections: string[] = [];
    let total = 0;
    for (const sev of [...new Set(kinds.map((k) => k.severity))]) {
      const items = kinds.filter((k) => k.severity === sev).map((k) => `${cleanValue(k.name, 120)}${k.count > 1 ? ` ×${k.count}` : k.instances[0] ? ` ${cleanValue(k.instances[0], 80)}` : ''}`);
      const label = sev ? `${this.paint(cleanValue(sev, 40), severityColor(sev))}: ` : '';
      // Up to two IRC lines' worth: 20 alerts of different kinds are all named.
      const room = Math.max(60, 700 - total);
      const text = `${label}${joinWithin(items, room, 'kinds')}`;
      total += Buffer.byteLength(text);
      sections.push(text);
    }
    return [head, `  still firing: ${sections.join('; ')}${more}`];
  }
}

interface Kind {
  name: string;
  severity: string;
  count: number;
  instances: string[];
}

/** Still-firing alerts by (name, severity), in the order totals() sorted them. */
function kindsOf(firing: readonly SummaryEntry[]): Kind[] {
  const kinds = new Map<string, Kind>();
  for (const e of firing) {
    const key = `${e.severity}\u0000${e.name}`;
    const k = kinds.get(key) ?? { name: e.name, severity: e.severity, count: 0, instances: [] };
    k.count++;
    if (e.instance) k.instances.push(e.instance);
    kinds.set(key, k);
  }
  return [...kinds.values()];
}

function distinctNames(alerts: readonly AlertBrief[]): string {
  const names = [...new Set(alerts.map((a) => a.name).filter(Boolean))].sort(naturalCompare);
  if (names.length <= 3) return names.join(', ');
  return `${names.slice(0, 3).join(', ')} +${names.length - 3}`;
}

/** Replaces {name} placeholders; unknown ones become empty. Collapses the spaces left behind. */
export function fill(template: string, values: Record<string, string>): string {
  return template
    .replace(/\{([a-z_]+)\}/g, (_m, k: string) => labelValue(values, k) ?? '')
    .replace(/ {2,}/g, (m, offset: number) => (offset === 0 ? m : ' '))
    .trimEnd();
}
