import { z } from 'zod';
import { formatHlc, parseHlc, type HlcTimestamp } from './hlc.js';

/*
 * What Lifeline instances tell each other. Every message goes out as one JSON envelope
 * { v, from, hlc, body } on the subject ll.<from>.<body.kind> of the sender's stream, except the
 * heartbeat, which is core NATS only (llhb.<from>, not stored: it says "alive now", nothing a
 * region cut off for an hour needs to read later).
 */

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/);
const text = z.string().max(2000);

/** This instance is alive; `hears` lists the peers it hears (two-way liveness), `settled` whether it caught up. */
const heartbeat = z.strictObject({ kind: z.literal('heartbeat'), hears: z.array(name).max(64), settled: z.boolean() });
/**
 * Claims and sends are keyed by (incident, step): the paging core passes an episode and a page key
 * (escalation/episode.ts). The sender will send step `step` of an incident unless it lapses at `leaseUntilMs` without a `sent`. */
const claim = z.strictObject({ kind: z.literal('claim'), incident: text, step: text, leaseUntilMs: z.number().int() });
/** The sender sent step `step` of an incident; `code`: the ack code the page carried (the incident's code on the sender). */
const sent = z.strictObject({ kind: z.literal('sent'), incident: text, step: text, channel: text.optional(), code: text.optional() });
/** Someone acknowledged an incident (its episode) on the sender (IRC, SMS, voice key, HTTP). Never undone by a merge. */
const ack = z.strictObject({ kind: z.literal('ack'), incident: text, by: text, via: text.optional() });
/**
 * Someone took an acknowledgement of an incident (its episode) back on the sender (`!unack`). The
 * latest ack or unack of an episode by hybrid logical clock holds: an unack older than an ack undoes nothing.
 */
const unack = z.strictObject({ kind: z.literal('unack'), incident: text, by: text });
/** One label matcher, as Alertmanager's (policy/matchers.ts Matcher). */
const matcher = z.strictObject({ name: z.string().min(1).max(200), op: z.enum(['=', '!=', '=~', '!~']), value: text });
/**
 * A silence as every instance stores it: `id` is its key on every instance (store/silences.ts
 * silenceKey: its creation time, creator and matchers), not the local row number a person sees.
 */
const silenceFields = {
  id: text,
  matchers: z.array(matcher).min(1).max(100).readonly(),
  createdBy: text,
  createdMs: z.number().int(),
  expiresMs: z.number().int(),
};
/** A silence made on the sender (IRC `!silence`). */
const silence = z.strictObject({ kind: z.literal('silence'), ...silenceFields });
/**
 * A silence ended early on the sender (`!unsilence`), at `endedMs` by `by`. It carries the whole
 * silence, so an instance that has not seen the silence yet (it came from a third instance) stores
 * it as ended and does not start it when the silence arrives later.
 */
const unsilence = z.strictObject({ kind: z.literal('unsilence'), ...silenceFields, by: text, endedMs: z.number().int() });
/**
 * One maintenance window as the sender's config has it (config `maintenance` entry, parsed: its
 * `duration` in ms). The receiver compiles it as its own config's (policy/maintenance.ts).
 */
const maintenanceWindow = z.strictObject({
  name: z.string().min(1).max(200),
  match: z.record(z.string().max(200), text).refine((m) => Object.keys(m).length <= 100, { message: 'at most 100 label matchers' }),
  from: z.string().max(64).optional(),
  to: z.string().max(64).optional(),
  cron: z.string().max(200).optional(),
  duration: z.number().int().nonnegative().optional(),
  time_zone: z.string().max(64),
});
/**
 * The whole set of maintenance windows configured on the sender, sent at each start (its config
 * changes only then). A receiver holds the union of its own windows and each peer's latest set: a
 * newer set (by HLC) replaces the peer's earlier one whole, so a window taken out of the sender's
 * config is gone everywhere after its restart; a sender that is down keeps its last set in force.
 * At most 500 windows (a config with more is refused by its peers' decoding and logged there).
 */
const maintenance = z.strictObject({ kind: z.literal('maintenance'), windows: z.array(maintenanceWindow).max(500) });
/**
 * The sender opened (or moved its incident to) episode `episode` of an incident of Lifeline's own
 * that the instances agree on, by `identity` ("path:IRC alert path", "alert:redundancy:vpn";
 * escalation/episodeAgreement.ts), or that incident resolved. Peers keep each instance's open
 * episode per identity: one opening later adopts it, and at claim time all move to the first.
 */
const incident = z.strictObject({ kind: z.literal('incident'), identity: text, episode: text, state: z.enum(['open', 'resolved']) });
/**
 * The sender's verdict on a probe from its region, sent when it changes (after flap damping): up
 * or down, why (the probe's words, "no HTTP answer"), and since when (epoch ms, the sender's
 * clock). It stands until the sender says otherwise; while the sender is not heard it does not count.
 */
const verdict = z.strictObject({ kind: z.literal('verdict'), probe: text, up: z.boolean(), reason: text.optional(), sinceMs: z.number().int().optional() });

const bodySchema = z.discriminatedUnion('kind', [heartbeat, claim, sent, ack, unack, silence, unsilence, maintenance, incident, verdict]);

/** The body of a message between instances. */
export type ClusterBody = z.output<typeof bodySchema>;
/** The kinds of message. */
export type ClusterKind = ClusterBody['kind'];
/** A body of one kind. */
export type BodyOf<K extends ClusterKind> = Extract<ClusterBody, { kind: K }>;

/** A message as received: who sent it, when (hybrid logical clock), what. */
export interface ClusterEnvelope {
  readonly from: string;
  readonly hlc: HlcTimestamp;
  readonly body: ClusterBody;
}

const envelopeSchema = z.strictObject({ v: z.literal(1), from: name, hlc: z.string(), body: bodySchema });

/** The JSON text of a message. */
export function encodeEnvelope(e: ClusterEnvelope): string {
  return JSON.stringify({ v: 1, from: e.from, hlc: formatHlc(e.hlc), body: e.body });
}

/** Parses a message; throws with the reason when it is not one (a peer on another version, garbage). */
export function decodeEnvelope(textIn: string): ClusterEnvelope {
  const parsed = envelopeSchema.safeParse(JSON.parse(textIn));
  if (!parsed.success) throw new Error(`not a Lifeline cluster message: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const hlc = parseHlc(parsed.data.hlc);
  if (!hlc) throw new Error(`not a Lifeline cluster message: bad hlc ${JSON.stringify(parsed.data.hlc)}`);
  return { from: parsed.data.from, hlc, body: parsed.data.body };
}

/** NATS names for one instance, in one place. */
export const natsNames = {
  /** The instance's own stream. */
  stream: (instance: string): string => `LL_${instance}`,
  /** The subjects of that stream. */
  subjects: (instance: string): string => `ll.${instance}.>`,
  /** The subject a message of this kind goes on. */
  subject: (instance: string, kind: ClusterKind): string => `ll.${instance}.${kind}`,
  /** This region's copy (a mirror) of a peer's stream. Upper-case suffix: instance names are lower case, so it never equals another stream's name. */
  copy: (peer: string): string => `LL_${peer}_MIRROR`,
  /** The durable consumer with which `self` reads a peer's copy. */
  durable: (self: string): string => `lifeline_${self}`,
  /** Core NATS heartbeat subject (not stored). */
  heartbeat: (instance: string): string => `llhb.${instance}`,
  /** The JetStream API prefix of a domain, for a mirror across the leaf link. */
  api: (domain: string): string => `$JS.${domain}.API`,
} as const;
