import type { Person } from '../people/oncall.js';
import type { IncidentStore } from '../store/incidents.js';
import type { Commands } from './commands.js';

/**
 * An SMS reply from a person in `people` (the sender's number, checked by the caller with Twilio's
 * signature): "ACK 7KQ2", or a bare "ACK" for the latest page that person got by SMS. Anyone who
 * can be paged may acknowledge. Returns the one-line answer Twilio sends back.
 */
export function smsCommand(commands: Commands, incidents: IncidentStore, person: Person, body: string): string {
  const m = /^ACK(?:\s+([A-Za-z0-9]{4}))?$/i.exec(body.trim());
  if (!m) return 'Lifeline: reply "ACK ID" (or "ACK" for your latest page).';
  const code = m[1] ?? incidents.lastPagedBySms(person.name)?.ackCode;
  if (!code) return 'Lifeline: no page to acknowledge.';
  const r = commands.acknowledge(code, { name: `${person.name} (SMS)`, mayChange: true });
  return r.ok ? `Lifeline: ${r.incident.ackCode} acknowledged: ${r.incident.title}` : `Lifeline: ${r.reason}`;
}
