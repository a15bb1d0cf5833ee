import type { Person } from '../people/oncall.js';
import type { IncidentStore } from '../store/incidents.js';
import type { Commands } from './commands.js';

/**
 * An SMS reply from a person in `people` (the sender's number, checked by the caller with Twilio's
 * signature): "ACK 7KQ2", or a bare "ACK" for the latest page that person got by SMS. Anyone who
 * can be paged may acknowledge. Returns the one-line answer Twilio sends back.
 */
export function smsCommand(commands: Commands, incidents: IncidentStore, person: Person, body: string): string {
  const m = /^ACK((?:\s+[A-Za-z0-9]{4}\+?)*)$/i.exec(body.trim());
  if (!m) return 'Lifeline: reply "ACK ID" (or "ACK" for your latest page).';
  const given = (m[1] ?? '').trim().split(/\s+/).filter(Boolean);
  const last = incidents.lastPagedBySms(person.name)?.ackCode;
  const codes = given.length > 0 ? given : last ? [last] : [];
  if (codes.length === 0) return 'Lifeline: no page to acknowledge.';
  const who = { name: `${person.name} (SMS)`, mayChange: true };
  if (codes.length === 1 && !(codes[0] as string).endsWith('+')) {
    const r = commands.acknowledge(codes[0] as string, who);
    return r.ok ? `Lifeline: ${r.incident.ackCode} acknowledged: ${r.incident.title}` : `Lifeline: ${r.reason}`;
  }
  const r = commands.acknowledgeAll(codes, who);
  const acked = r.acked.map((i) => i.ackCode).join(', ');
  const rest = r.lines.slice(r.acked.length).join(' ');
  return `Lifeline: ${acked ? `acknowledged ${acked}.` : ''}${acked && rest ? ' ' : ''}${rest}`;
}
