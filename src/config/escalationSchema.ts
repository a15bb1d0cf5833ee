import { z } from 'zod';
import { clockTime, duration, matchers, port, secret, timeZone } from './schemaParts.js';

/*
 * Configuration of out-of-band escalation: people, the on-call schedule, the email and SMS
 * channels, escalation policies, commands, maintenance windows and the daily note.
 */

const personName = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,40}$/, { message: 'expected a short lower-case name (letters, digits, "_", ".", "-")' });

export const personSchema = z.strictObject({
  name: personName,
  email: z.email({ message: 'expected an email address' }).optional(),
  /** E.164 phone number for SMS, e.g. "+4915112345678". */
  phone: z.string().regex(/^\+[1-9][0-9]{6,14}$/, { message: 'expected an E.164 phone number such as "+4915112345678"' }).optional(),
  /** Non-critical pages are held during these hours, in the person's time zone. */
  quiet_hours: z.strictObject({ from: clockTime, to: clockTime }).optional(),
  time_zone: timeZone.default('UTC'),
});

const rotationSchema = z.strictObject({
  name: z.string().min(1),
  /** In rotation order; the first is on call from `start`. */
  people: z.array(personName).min(1),
  /** A date "YYYY-MM-DD" on which the first person's shift starts, at `handover_time`. */
  start: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected a date "YYYY-MM-DD"' }),
  handover_time: clockTime.default('09:00'),
  /** Length of a shift. */
  shift: duration.prefault('7d'),
  time_zone: timeZone.default('UTC'),
});

const overrideSchema = z.strictObject({
  person: personName,
  /** ISO date-times; without an offset they are read in `time_zone`. */
  from: z.string().min(10),
  to: z.string().min(10),
  time_zone: timeZone.default('UTC'),
  /** Which rotation it replaces; the first rotation when omitted. */
  rotation: z.string().optional(),
});

export const oncallSchema = z
  .strictObject({
    rotations: z.array(rotationSchema).default([]),
    overrides: z.array(overrideSchema).default([]),
  })
  .prefault({});

export const emailSchema = z.strictObject({
  host: z.string().min(1),
  port: port.default(587),
  /** "starttls" upgrades a plain connection (port 587, required: refused if the server cannot); "tls" is implicit TLS (port 465); "none" only for a local relay. */
  security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
  tls_verify: z.boolean().default(true),
  ca_file: z.string().optional(),
  username: z.string().optional(),
  password: secret.optional(),
  from: z.string().min(3),
  timeout: duration.prefault('20s'),
});

export const smsSchema = z.strictObject({
  account_sid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, { message: 'expected a Twilio Account SID: "AC" and 32 hex digits' }),
  auth_token: secret,
  /** Sender: a phone number, or a Messaging Service SID (MG…). */
  from: z.string().regex(/^(\+[1-9][0-9]{6,14}|MG[0-9a-fA-F]{32})$/, { message: 'expected an E.164 number or a Messaging Service SID (MG…)' }),
  /** Twilio's API, or a Twilio-compatible provider's. */
  api_base_url: z.url().default('https://api.twilio.com'),
  /** The public URL Twilio calls for inbound SMS (must match exactly for signature checks). */
  inbound_url: z.url().optional(),
  /** The public URL of POST /api/v1/twilio/sms/status, sent as StatusCallback: turns on delivery receipts. */
  status_url: z.url({ protocol: /^https?$/ }).optional(),
  /** With receipts: an SMS not confirmed delivered within this long counts as undelivered. */
  delivery_timeout: duration.prefault('5m'),
  timeout: duration.prefault('15s'),
  /** SMS per person: past this, pages go by email and one SMS says so. */
  max_per_hour: z.number().int().min(1).default(10),
  max_per_day: z.number().int().min(1).default(40),
});

/**
 * Voice calls through Twilio's Calls API, with the Twilio account of the sms section. Twilio
 * fetches what to say from public_url and posts key presses and the call's outcome there.
 */
export const voiceSchema = z.strictObject({
  /** The caller ID: a voice-capable number of the account. */
  from: z.string().regex(/^\+[1-9][0-9]{6,14}$/, { message: 'expected an E.164 number such as +15005550006' }),
  /** Lifeline's public base URL as Twilio reaches it (signatures cover the exact URL). */
  public_url: z.url({ protocol: /^https?$/, message: 'expected the http(s) base URL Twilio reaches Lifeline at, e.g. https://lifeline.example.org' }),
  /** How long Twilio lets the phone ring before "no-answer" (Twilio allows 5 to 600 s). */
  ring_timeout: duration.prefault('30s').refine((ms) => ms >= 5_000 && ms <= 600_000, { message: 'Twilio rings for 5 s to 10 min' }),
  /** Calls per person: past these, pages go by SMS. */
  max_per_hour: z.number().int().min(1).default(4),
  max_per_day: z.number().int().min(1).default(12),
  /** Language of the spoken message (Twilio <Say language>). */
  language: z.string().regex(/^[a-z]{2}-[A-Z]{2}$/, { message: 'expected a language tag such as en-US' }).default('en-US'),
});

const stepSchema = z.strictObject({
  /** Time after the incident opened. */
  after: duration,
  notify: z.array(z.enum(['email', 'sms', 'voice'])).min(1),
  /** "oncall" (default) or a person's name. */
  to: z.union([z.literal('oncall'), personName]).default('oncall'),
});

export const policySchema = z.strictObject({
  name: z.string().min(1),
  /** All must match the alert's labels; empty matches everything. */
  match: matchers,
  steps: z.array(stepSchema).min(1),
  /** Repeat the last step every so often, at most `max` times. */
  repeat: z.strictObject({ every: duration, max: z.number().int().min(0).max(1000) }).optional(),
});

export const escalationSchema = z
  .strictObject({
    /** IRC unhealthy this long opens the "IRC alert path down" incident. */
    path_grace: duration.prefault('2m'),
    /** Severities that page; others only go to IRC. */
    page_severities: z.array(z.string()).default(['critical', 'page', 'error', 'high', 'warning', 'warn']),
    /** First page to a person goes at once; more within this window go as one message. */
    bundle_window: duration.prefault('2m'),
    /** An acknowledgement lapses after this and paging resumes; 0s never. */
    ack_timeout: duration.prefault('0s'),
    /** One group notification opens at most this many incidents; past it the group shares one. */
    max_incidents_per_group: z.number().int().min(1).max(1000).default(20),
    /**
     * Policies, first match wins. IRC always gets alerts at once through the routes. Without any,
     * the default applies: email to on-call after 5 min, SMS after 10 min, SMS again every 30 min
     * (6 times), each only when that channel is configured.
     */
    policies: z.array(policySchema).default([]),
  })
  .prefault({});

export const commandsSchema = z
  .strictObject({
    /** Who may change state: "nick:alice", "account:alice" or a hostmask "host:*!*@trusted.example". */
    allowed: z.array(z.string().regex(/^(nick|account|host):\S+$/, { message: 'expected "nick:NAME", "account:NAME" or "host:MASK"' })).default([]),
    prefix: z.string().min(1).max(3).default('!'),
    /** Per sender (nick!user@host): this many commands at once, then one per `rate_interval`. */
    rate_burst: z.number().int().min(1).max(100).default(10),
    rate_interval: duration.prefault('2s'),
  })
  .prefault({});

export const maintenanceSchema = z.strictObject({
  name: z.string().min(1),
  match: matchers,
  /** One-off window: ISO date-times. */
  from: z.string().optional(),
  to: z.string().optional(),
  /** Recurring window: a cron expression (node-schedule) for its start, and its length. */
  cron: z.string().optional(),
  duration: duration.optional(),
  time_zone: timeZone.default('UTC'),
});

export const dailyNoteSchema = z.strictObject({
  at: clockTime.default('09:00'),
  time_zone: timeZone.default('UTC'),
  /** Where: "irc" (the first route's channels), "email" (on-call). */
  via: z.array(z.enum(['irc', 'email'])).default(['irc', 'email']),
});
