import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { VOICE_PATHS, voiceUrl } from '../notifiers/voice.js';
import type { CallOutcome, CallStore } from '../store/calls.js';
import type { Incident } from '../store/incidents.js';
import type { Outbox } from '../store/outbox.js';
import type { Clock } from '../util/clock.js';
import type { InboundAnswer, TwilioSignatureCheck } from './twilioSignature.js';
import { voiceTwiml, type CallVerb } from './twiml.js';

/** Call statuses that end a call (Twilio's status callback). */
const FINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

/** Seconds Twilio waits for a key after the message. */
const GATHER_TIMEOUT_S = 8;

/** What the voice webhooks need from the rest of Lifeline. */
export interface VoiceDeps {
  config: Config;
  clock: Clock;
  log: Logger;
  signature: TwilioSignatureCheck | undefined;
  calls: CallStore;
  /** The outbox, where a call's row (its id is the call's) holds the page it says. */
  outbox: Pick<Outbox, 'get'>;
  incident(id: number): Incident | undefined;
  /** Acknowledges an incident by its code, as `by`. */
  ack(code: string, by: string): boolean;
  /** The call failed to reach the person: their incidents move to the next step now. */
  escalateNow(incidentIds: readonly number[], why: string): void;
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
 * same HMAC-SHA1 as inbound SMS); anything else gets 403 and changes nothing. Its CallSid must be
 * the one Twilio gave Lifeline for that call (?call=ID); anything else gets 404 and changes
 * nothing. A key press counts once per call: the signature has no timestamp, so a replayed
 * "Digits=2" would otherwise escalate again each time (store/calls.ts keyOnce, kept in SQLite).
 */
export function makeTwilioVoice(d: VoiceDeps): ((pathAndQuery: string, form: Record<string, string>, signature: string | undefined) => InboundAnswer) | undefined {
  const voice = d.config.voice;
  const check = d.signature;
  if (!voice || !check) return undefined;
  const base = voice.public_url.replace(/\/+$/, '');
  const { language } = voice;
  const sayAndHangUp = (text: string): InboundAnswer => ({ status: 200, body: voiceTwiml([{ verb: 'say', text, language }, { verb: 'hangup' }]) });

  const openIncidents = (outboxId: number): Incident[] => d.calls.incidentIds(outboxId).flatMap((id) => d.incident(id) ?? []).filter((i) => i.state === 'open');

  return (pathAndQuery, form, signature) => {
    const refused = check('voice webhook', base + pathAndQuery, form, signature, 'voice.public_url');
    if (refused) return refused;
    const [path, query = ''] = pathAndQuery.split('?') as [string, string?];
    const id = Number(new URLSearchParams(query).get('call'));
    const call = Number.isInteger(id) ? d.calls.get(id) : undefined;
    if (!call) return { status: 404, body: `no call ${String(id)} placed by this Lifeline` };
    // A signed request for another call (its own CallSid, our ?call=ID) must not act on this one.
    if (call.callSid === null || form['CallSid'] !== call.callSid) return { status: 404, body: `call ${id} of this Lifeline is not the CallSid given; nothing changed` };
    const callSid = call.callSid;
    const gather = voiceUrl(base, VOICE_PATHS.gather, id);

    if (path === VOICE_PATHS.twiml) {
      d.calls.progressed(id, 'in-progress');
      const page = d.outbox.get(id)?.message;
      const text = page?.kind === 'page' ? page.body.join(' ') : 'Lifeline has a page for you.';
      const prompt = 'Press 1 to acknowledge. Press 2 to escalate.';
      const ask = (again: boolean): CallVerb => ({ verb: 'gather', text: `${again ? 'Again. ' : ''}${text} ${prompt}`, language, action: gather, timeoutS: GATHER_TIMEOUT_S });
      return { status: 200, body: voiceTwiml([ask(false), ask(true), { verb: 'say', text: 'Not acknowledged. Lifeline keeps escalating. Goodbye.', language }, { verb: 'hangup' }]) };
    }

    if (path === VOICE_PATHS.gather) {
      const digits = form['Digits'] ?? '';
      const r = d.calls.keyOnce(callSid, 'gather', digits, d.clock.now(), () => {
        const outcome: CallOutcome | null = digits === '1' ? 'acknowledged' : digits === '2' ? 'declined' : null;
        d.calls.pressed(id, digits, outcome);
        if (digits === '1') {
          const acked = openIncidents(id).filter((i) => d.ack(i.ackCode, `${call.person} (phone)`));
          const codes = acked.map((i) => spell(i.ackCode)).join(', ');
          return acked.length > 0 ? `Acknowledged ${acked.length === 1 ? 'incident' : `${acked.length} incidents`}: ${codes}. Goodbye.` : 'Nothing left to acknowledge: already acknowledged or resolved. Goodbye.';
        }
        if (digits === '2') {
          d.escalateNow(openIncidents(id).map((i) => i.id), `${call.person} pressed 2 on the call`);
          return 'Escalating to the next step now. Goodbye.';
        }
        return 'That key does nothing. Lifeline keeps escalating. Goodbye.';
      });
      if (!r.first) {
        d.log.info({ event: 'call_key_replayed', call: id, person: call.person, digits, handled: r.handledDigits }, 'a key press for a call whose key was already handled; nothing changed');
        return sayAndHangUp(`This call's key press was already handled. Nothing changed. Goodbye.`);
      }
      d.log.info({ event: 'call_key', call: id, person: call.person, digits }, 'key pressed on a page call');
      return sayAndHangUp(r.result);
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
