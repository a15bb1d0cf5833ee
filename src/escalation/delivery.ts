import type { PageDelivery } from '../store/incidents.js';

/** How a page's delivery reads to people, and whether it is good, bad, pending or unknown. */
export interface DeliveryWords {
  text: string;
  tone: 'ok' | 'bad' | 'warn' | 'idle';
}

/**
 * A page's delivery in words, never claiming more than is known: a call by its outcome (key 1,
 * key 2, or how it ended), an SMS with a receipt by what the carrier said, anything else by what
 * the provider accepted ("sent" is the SMTP server's or Twilio's acceptance, not the phone's).
 */
export function deliveryWords(p: Pick<PageDelivery, 'state' | 'notBeforeMs' | 'call' | 'receipt' | 'sentBy'>): DeliveryWords {
  if (p.call) {
    const o = p.call.outcome;
    if (o === 'acknowledged') return { text: 'call answered: acknowledged (key 1)', tone: 'ok' };
    if (o === 'declined') return { text: 'call answered: escalated (key 2)', tone: 'bad' };
    if (o === 'unanswered') return { text: `call ${p.call.status}: not acknowledged`, tone: 'bad' };
    return { text: `call ${p.call.status}`, tone: 'warn' };
  }
  if (p.receipt && p.state === 'sent') {
    const st = p.receipt.status;
    if (st === 'delivered') return { text: 'delivered to the phone', tone: 'ok' };
    if (st === 'undelivered' || st === 'failed') return { text: `${st}${p.receipt.errorCode ? ` (error ${p.receipt.errorCode})` : ''}: sent another way`, tone: 'bad' };
    return { text: `accepted, not yet delivered (${st})`, tone: 'warn' };
  }
  switch (p.state) {
    case 'sent':
      return { text: 'sent (accepted by the provider)', tone: 'ok' };
    case 'waiting':
      return { text: `waiting until ${new Date(p.notBeforeMs).toISOString().slice(11, 16)} UTC`, tone: 'warn' };
    case 'queued':
      return { text: 'queued', tone: 'warn' };
    case 'failed':
      return { text: 'failed', tone: 'bad' };
    case 'peer':
      // Another Lifeline instance of the cluster sent it (its claim and sent reached us): not this one.
      return { text: `sent by peer ${p.sentBy ?? 'another instance'}, not by this instance`, tone: 'ok' };
    default:
      return { text: 'record expired', tone: 'idle' };
  }
}
