import { createRequire } from 'node:module';
import type VoiceResponseClass from 'twilio/lib/twiml/VoiceResponse.js';
import type MessagingResponseClass from 'twilio/lib/twiml/MessagingResponse.js';

/*
 * TwiML, the XML Twilio reads for what a call says and does, and for the reply to an inbound SMS
 * (twilio.com/docs/voice/twiml, /docs/messaging/twiml), written by the twilio library's TwiML
 * builder: it escapes every text and attribute value (alert names and summaries come from
 * outside), so Lifeline holds no XML escaping of its own. Measured (bench part twiml,
 * docs/benchmarks.md): slower than the hand-written strings it replaced, but a few µs per answer
 * against a webhook that Twilio calls once per call or key press.
 */

// twilio is CommonJS and large: only its two TwiML modules are loaded, on the first answer.
const require = createRequire(import.meta.url);
let builders: { VoiceResponse: typeof VoiceResponseClass; MessagingResponse: typeof MessagingResponseClass } | undefined;
const twiml = (): NonNullable<typeof builders> =>
  (builders ??= {
    VoiceResponse: require('twilio/lib/twiml/VoiceResponse') as typeof VoiceResponseClass,
    MessagingResponse: require('twilio/lib/twiml/MessagingResponse') as typeof MessagingResponseClass,
  });

/** One step of a call's TwiML. */
export type CallVerb =
  | { verb: 'say'; text: string; language?: string }
  /** Waits `timeoutS` for one key, saying `text` meanwhile; the key is posted to `action`. */
  | { verb: 'gather'; text: string; language: string; action: string; timeoutS: number }
  | { verb: 'pause'; seconds: number }
  | { verb: 'hangup' };

/**
 * Say's attributes. voice.language is checked by the config schema only for its shape: Twilio
 * speaks more languages than the library's SayLanguage type lists, so it is passed as given.
 */
const sayAttributes = (language: string | undefined): VoiceResponseClass.SayAttributes => (language === undefined ? {} : { language: language as NonNullable<VoiceResponseClass.SayAttributes['language']> });

/** A voice TwiML document: the verbs in order. */
export function voiceTwiml(verbs: readonly CallVerb[]): string {
  const r = new (twiml().VoiceResponse)();
  for (const v of verbs) {
    switch (v.verb) {
      case 'say':
        r.say(sayAttributes(v.language), v.text);
        break;
      case 'gather':
        r.gather({ input: ['dtmf'], numDigits: 1, timeout: v.timeoutS, action: v.action, method: 'POST' }).say(sayAttributes(v.language), v.text);
        break;
      case 'pause':
        r.pause({ length: v.seconds });
        break;
      case 'hangup':
        r.hangup();
        break;
    }
  }
  return r.toString();
}

/** The reply to an inbound SMS: one message back to the sender. */
export function smsReplyTwiml(text: string): string {
  const r = new (twiml().MessagingResponse)();
  r.message(text);
  return r.toString();
}
