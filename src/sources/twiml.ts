/*
 * TwiML, the XML Twilio reads for what a call says and does, and for the reply to an inbound SMS
 * (twilio.com/docs/voice/twiml, /docs/messaging/twiml). Every text and attribute value is escaped
 * here, once: alert names and summaries come from outside.
 */

/** Escapes text for XML text and double-quoted attribute values. */
function xml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

const HEAD = '<?xml version="1.0" encoding="UTF-8"?>';

/** One step of a call's TwiML. */
export type CallVerb =
  | { verb: 'say'; text: string; language?: string }
  /** Waits `timeoutS` for one key, saying `text` meanwhile; the key is posted to `action`. */
  | { verb: 'gather'; text: string; language: string; action: string; timeoutS: number }
  | { verb: 'pause'; seconds: number }
  | { verb: 'hangup' };

/** A voice TwiML document: the verbs in order. */
export function voiceTwiml(verbs: readonly CallVerb[]): string {
  const say = (text: string, language: string | undefined): string => `<Say${language === undefined ? '' : ` language="${xml(language)}"`}>${xml(text)}</Say>`;
  const parts = verbs.map((v) => {
    switch (v.verb) {
      case 'say':
        return say(v.text, v.language);
      case 'gather':
        return `<Gather input="dtmf" numDigits="1" timeout="${v.timeoutS}" action="${xml(v.action)}" method="POST">${say(v.text, v.language)}</Gather>`;
      case 'pause':
        return `<Pause length="${v.seconds}"/>`;
      case 'hangup':
        return '<Hangup/>';
    }
  });
  return `${HEAD}<Response>${parts.join('')}</Response>`;
}

/** The reply to an inbound SMS: one message back to the sender. */
export function smsReplyTwiml(text: string): string {
  return `${HEAD}<Response><Message>${xml(text)}</Message></Response>`;
}
