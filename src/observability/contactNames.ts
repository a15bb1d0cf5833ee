import { PAGING_CHANNEL_KINDS } from '../alerts/pages.js';
import { PAGING_CHANNELS, pagingChannelOf } from '../escalation/channels/registry.js';
import type { Person } from '../people/oncall.js';

/** Any E.164 number and anything shaped like an email address, for text that names no known person. */
const PHONE = /\+[1-9]\d{6,14}\b/g;
const EMAIL = /[^\s@<>"'(),;:]+@[^\s@<>"'(),;:]+\.[^\s@<>"'(),;:]+/g;

/**
 * Names destinations and cleans text for metrics and logs, which end up in Prometheus, on
 * dashboards and in log stores: a person's phone number or email address is never a label value
 * nor a log field. Outbox destinations carry them (`sms:+49…`, `email:alice@…`); here a paging
 * destination becomes `<channel>:<person name>` (`sms:alice`, or `sms:unknown` for an address of
 * nobody in `people`), IRC and console destinations stay as they are.
 */
export class ContactNames {
  private readonly byDestination = new Map<string, string>();
  private readonly replacements: Array<[string, string]> = [];

  constructor(people: readonly Person[]) {
    for (const p of people) {
      for (const ch of PAGING_CHANNEL_KINDS) {
        const d = PAGING_CHANNELS[ch].destination(p);
        if (d !== undefined) this.byDestination.set(d, `${ch}:${p.name}`);
      }
      if (p.phone) this.replacements.push([p.phone, `${p.name}'s phone`]);
      if (p.email) this.replacements.push([p.email, `${p.name}'s email`]);
    }
    // Longest first, so a number that extends another is replaced whole.
    this.replacements.sort((a, b) => b[0].length - a[0].length);
  }

  /** The destination as metrics and logs name it: never an address or a number. */
  destination(destination: string): string {
    const named = this.byDestination.get(destination);
    if (named !== undefined) return named;
    const ch = pagingChannelOf(destination);
    return ch === undefined ? destination : `${ch}:unknown`;
  }

  /** `text` (an error message, say) with every phone number and email address replaced by whose it is. */
  text(text: string): string {
    let out = text;
    for (const [value, name] of this.replacements) if (out.includes(value)) out = out.split(value).join(name);
    return out.replace(PHONE, '[phone]').replace(EMAIL, '[email]');
  }
}
