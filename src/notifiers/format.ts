import type { FormatConfig } from '../config/schema.js';
import { formatDuration } from '../config/duration.js';
import { totals } from '../relay/digest.js';
import type { AlertBrief, GroupMessage, OutboxMessage, SummaryMessage } from '../relay/message.js';
import { cleanValue } from './text.js';

/** Why a summary is being sent, for its first words. */
export interface DigestContext {
  /** How long the destination was unreachable, when the summary follows an outage. */
  outageMs?: number;
}

// mIRC colour codes: \x03NN sets the colour, \x0f resets all formatting, \x02 toggles bold.
const COLOR = { red: '04', green: '03', orange: '07', blue: '12', grey: '14' } as const;
const SEVERITY_COLOR: Record<string, string> = { critical: COLOR.red, page: COLOR.red, error: COLOR.red, warning: COLOR.orange, warn: COLOR.orange, info: COLOR.blue };

/**
 * Renders outbox messages into message lines (not yet split for the wire). Untrusted values are
 * cleaned here, before Lifeline's own formatting codes are added.
 */
export class Formatter {
  constructor(
    private readonly cfg: FormatConfig,
    private readonly digestMaxNames = 10,
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

  /** One line for the group, then a line per alert (firing first) up to the cap, then "…and N more". */
  group(msg: GroupMessage): string[] {
    const firing = msg.alerts.filter((a) => a.status === 'firing');
    const resolved = msg.alerts.filter((a) => a.status === 'resolved');
    const common = msg.commonLabels;
    const severity = cleanValue(common['severity'] ?? firing[0]?.severity ?? msg.alerts[0]?.severity ?? '', 40);
    const alertname = cleanValue(common['alertname'] ?? distinctNames(msg.alerts), 120);
    const labels = Object.entries(common)
      .filter(([k]) => k !== 'alertname' && k !== 'severity')
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${cleanValue(k, 60)}=${cleanValue(v, 120)}`)
      .join(' ');
    const statusWord = msg.status === 'firing' ? 'FIRING' : 'RESOLVED';
    const count = msg.status === 'firing' ? firing.length + msg.truncated : msg.alerts.length + msg.truncated;
    const head = fill(this.cfg.templates.group, {
      status: this.paint(statusWord, msg.status === 'firing' ? COLOR.red : COLOR.green, true),
      count: `:${count}`,
      severity: this.paint(severity, SEVERITY_COLOR[severity.toLowerCase()]),
      alertname,
      labels,
      firing: String(firing.length),
      resolved: String(resolved.length),
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
    });
  }

  /** "while disconnected 12 min: 3 fired, 2 resolved, still firing (2): A host1, B host2" */
  summary(msg: SummaryMessage, ctx: DigestContext): string[] {
    const t = totals(msg);
    const why = ctx.outageMs !== undefined ? `while disconnected ${formatDuration(ctx.outageMs)}` : `digest of ${msg.messages} queued notifications`;
    const head = `${this.paint('DIGEST', COLOR.blue, true)} ${why}: ${t.fired} fired, ${t.resolved} resolved, ${t.stillFiring} still firing`;
    if (t.stillFiring === 0) return [head];
    const names = t.firing.slice(0, this.digestMaxNames).map((e) => cleanValue(`${e.name}${e.instance ? ` ${e.instance}` : ''}`, 80));
    const more = t.stillFiring - names.length;
    return [head, `  still firing: ${names.join(', ')}${more > 0 ? `, …and ${more} more` : ''}`];
  }
}

function distinctNames(alerts: readonly AlertBrief[]): string {
  const names = [...new Set(alerts.map((a) => a.name).filter(Boolean))];
  if (names.length <= 3) return names.join(', ');
  return `${names.slice(0, 3).join(', ')} +${names.length - 3}`;
}

/** Replaces {name} placeholders; unknown ones become empty. Collapses the spaces left behind. */
export function fill(template: string, values: Record<string, string>): string {
  return template
    .replace(/\{([a-z_]+)\}/g, (_m, k: string) => values[k] ?? '')
    .replace(/ {2,}/g, (m, offset: number) => (offset === 0 ? m : ' '))
    .trimEnd();
}
