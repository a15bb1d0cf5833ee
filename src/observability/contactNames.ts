import type { Person } from '../people/oncall.js';

/** Any E.164 number and anything shaped like an email address, for text that names no known person. */
const PHONE = /\+[1-9]\d{6,14}\b/g;
const EMAIL = /[^\s@<>"'(),;:]+@[^\s@<>"'(),;:]+\.[^\s@<>"'(),;:]+/g;

/**
 * The paging channels as ContactNames reads them: escalation's table (escalation/channels.ts),
 * passed in by the app so that logging stays below escalation in the import graph.
 */
export interface PagingDestinations<C extends string> {
  /** Each paging channel and the outbox destination that reaches a person on it. */
  readonly channels: ReadonlyArray<{ readonly channel: C; destination(person: Person): string | undefined }>;
  /** The paging channel an outbox destination belongs to; undefined for IRC, console and the rest. */
  channelOf(destination: string): C | undefined;
}

/**
 * Names destinations and cleans text for metrics and logs, which end up in Prometheus, on
 * dashboards and in log stores: a person's phone number or email address is never a label value
 * nor a log field. Outbox destinations carry them (`sms:+49…`, `email:alice@…`); here a paging
 * destination becomes `<channel>:<person name>` (`sms:alice`, or `sms:unknown` for an address of
 * nobody in `people`), IRC and console destinations stay as they are.
 */
export class ContactNames<C extends string = string> {
  private readonly byDestination = new Map<string, string>();
  private readonly replacements: Array<[string, string]> = [];

  constructor(
    people: readonly Person[],
    private readonly paging: PagingDestinations<C>,
  ) {
    for (const p of people) {
      for (const { channel, destination } of paging.channels) {
        const d = destination(p);
        if (d !== undefined) this.byDestination.set(d, `${channel}:${p.name}`);
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
    const ch = this.paging.channelOf(destination);
    return ch === undefined ? destination : `${ch}:unknown`;
  }

  /** `text` (an error message, say) with every phone number and email address replaced by whose it is. */
  text(text: string): string {
    let out = text;
    for (const [value, name] of this.replacements) if (out.includes(value)) out = out.split(value).join(name);
    return out.replace(PHONE, '[phone]').replace(EMAIL, '[email]');
  }
}
