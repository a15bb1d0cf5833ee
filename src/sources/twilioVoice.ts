import { createRequire } from 'node:module';
import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { VOICE_PATHS, voiceUrl } from '../notifiers/voice.js';
import type { CallOutcome, CallStore } from '../store/calls.js';
import type { Incident } from '../store/incidents.js';
import type { Clock } from '../util/clock.js';
import type { InboundAnswer } from './twilioInbound.js';

type Validate = (authToken: string, signature: string, url: string, params: Record<string, string>) => boolean;
const require = createRequire(import.meta.url);

/** Call statuses that end a call (Twilio's status callback). */
const FINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

/** Seconds Twilio waits for a key after the message. */
const GATHER_TIMEOUT_S = 8;

/** What the voice webhooks need from the rest of Lifeline. */
export interface VoiceDeps {
  config: Config;
  clock: Clock;
  log: Logger;
  calls: CallStore;
  /** The spoken text of the call (from its outbox message). */
  message(outboxId: number): string | undefined;
  incident(id: number): Incident | undefined;
  /** Acknowledges an incident by its code, as `by`. */
  ack(code: string, by: string): boolean;
  /** The call failed to reach the person: their incidents move to the next step now. */
  escalateNow(incidentIds: readonly number[], why: string): void;
}

function xml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/** An ack code read out letter by letter ("7 K Q 2"), so text-to-speech does not make a word of it. */
export function spell(code: string): string {
  return [...code].join(' ');
}

/**
 * Twilio's voice webhooks for the calls Lifeline places (notifiers/voice.ts):
 *   POST /api/v1/twilio/voice/twiml?call=ID   → TwiML: the message, "press 1 to acknowledge,
 *                                                2 to escalate", said twice, then goodbye;
 *   POST /api/v1/twilio/voice/gather?call=ID  → the key pressed (Digits): 1 acknowledges every
 *                                                incident of the call, 2 escalates at once;
 *   POST /api/v1/twilio/voice/status?call=ID  → the call's end (CallStatus): without key 1 the
 *                                                call failed to reach the person, and escalation
 *                                                moves on at once instead of after the next wait.
 * Every request must carry a valid X-Twilio-Signature for voice.public_url + path + query (the
 * same HMAC-SHA1 as inbound SMS); anything else gets 403 and changes nothing.
 */
export function makeTwilioVoice(d: VoiceDeps): ((pathAndQuery: string, form: Record<string, string>, signature: string | undefined) => InboundAnswer) | undefined {
  const voice = d.config.voice;
  const sms = d.config.sms;
  if (!voice || !sms) return undefined;
  const validate = (require('twilio') as { validateRequest: Validate }).validateRequest;
  const base = voice.public_url.replace(/\/+$/, '');
  const say = (text: string): string => `<Say language="${xml(voice.language)}">${xml(text)}</Say>`;
  const respond = (inner: string): InboundAnswer => ({ status: 200, body: `<?xml version="1.0" encoding="UTF-8"?><Response>${inner}</Response>` });

  const openIncidents = (outboxId: number): Incident[] => d.calls.incidentIds(outboxId).flatMap((id) => d.incident(id) ?? []).filter((i) => i.state === 'open');

  return (pathAndQuery, form, signature) => {
    if (!signature || !validate(sms.auth_token.reveal(), signature, base + pathAndQuery, form)) {
      d.log.warn({ event: 'twilio_bad_signature', path: pathAndQuery.split('?')[0] }, 'voice webhook with a missing or wrong signature refused');
      return { status: 403, body: "invalid X-Twilio-Signature: the request was not signed with this account's auth token for voice.public_url" };
    }
    const [path, query = ''] = pathAndQuery.split('?') as [string, string?];
    const id = Number(new URLSearchParams(query).get('call'));
    const call = Number.isInteger(id) ? d.calls.get(id) : undefined;
    if (!call) return { status: 404, body: `no call ${String(id)} placed by this Lifeline` };
    const gather = voiceUrl(base, VOICE_PATHS.gather, id);

    if (path === VOICE_PATHS.twiml) {
      d.calls.progressed(id, 'in-progress');
      const text = d.message(id) ?? 'Lifeline has a page for you.';
      const prompt = 'Press 1 to acknowledge. Press 2 to escalate.';
      const ask = (again: boolean): string => `<Gather input="dtmf" numDigits="1" timeout="${GATHER_TIMEOUT_S}" action="${xml(gather)}" method="POST">${say(`${again ? 'Again. ' : ''}${text} ${prompt}`)}</Gather>`;
      return respond(`${ask(false)}${ask(true)}${say('Not acknowledged. Lifeline keeps escalating. Goodbye.')}<Hangup/>`);
    }

    if (path === VOICE_PATHS.gather) {
      const digits = form['Digits'] ?? '';
      const outcome: CallOutcome | null = digits === '1' ? 'acknowledged' : digits === '2' ? 'declined' : null;
      d.calls.pressed(id, digits, outcome);
      d.log.info({ event: 'call_key', call: id, person: call.person, digits }, 'key pressed on a page call');
      if (digits === '1') {
        const incidents = openIncidents(id);
        const acked = incidents.filter((i) => d.ack(i.ackCode, `${call.person} (phone)`));
        const codes = acked.map((i) => spell(i.ackCode)).join(', ');
        return respond(`${say(acked.length > 0 ? `Acknowledged ${acked.length === 1 ? 'incident' : `${acked.length} incidents`}: ${codes}. Goodbye.` : 'Nothing left to acknowledge: already acknowledged or resolved. Goodbye.')}<Hangup/>`);
      }
      if (digits === '2') {
        d.escalateNow(openIncidents(id).map((i) => i.id), `${call.person} pressed 2 on the call`);
        return respond(`${say('Escalating to the next step now. Goodbye.')}<Hangup/>`);
      }
      return respond(`${say('That key does nothing. Lifeline keeps escalating. Goodbye.')}<Hangup/>`);
    }

    if (path === VOICE_PATHS.status) {
      const status = form['CallStatus'] ?? '';
      if (!FINAL.has(status)) {
        d.calls.progressed(id, status);
        return { status: 200, body: '' };
      }
      const before = d.calls.ended(id, status, d.clock.now());
      if (before && before.outcome === null) {
        // Busy, no answer, hung up without a key: the page did not reach the person.
        const open = openIncidents(id);
        d.log.warn({ event: 'call_unanswered', call: id, person: call.person, status, incidents: open.length }, `page call to ${call.person} ended ${status} without an acknowledgement; escalating now`);
        d.escalateNow(open.map((i) => i.id), `the call to ${call.person} ended ${status} without key 1`);
      }
      return { status: 200, body: '' };
    }
    return { status: 404, body: `nothing at ${path}` };
  };
}
