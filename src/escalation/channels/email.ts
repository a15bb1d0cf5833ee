import { emailDestination } from '../../notifiers/email.js';
import { fullBundle } from '../pageText.js';
import type { PagingChannel } from './channel.js';

/** Email (the "email" section): every page in full, no budget; when SMTP keeps failing, pages go by SMS. */
export const EMAIL: PagingChannel = {
  kind: 'email',
  configured: (c) => c.email !== undefined,
  destination: (p) => (p.email ? emailDestination(p.email) : undefined),
  // notifiers/email.ts names destinations "email:<address>".
  owns: (d) => d.startsWith('email:'),
  fallback: 'sms',
  written: true,
  noticesVia: 'email',
  receipts: false,
  undeliveredGoesBy: [],
  defaultStep: { afterMs: 5 * 60_000 },
  overBudget: () => false,
  bundle: (texts) => fullBundle(texts),
};
