import { z } from 'zod';
import { commandsSchema, dailyNoteSchema, emailSchema, escalationSchema, maintenanceSchema, oncallSchema, personSchema, smsSchema, voiceSchema } from './escalationSchema.js';
import { describeJsonSchema } from './descriptions.js';
import { probesSchema } from './probeSchema.js';
import { duration, port, secret } from './schemaParts.js';
import { addSecretFileKeys, CONFIG_SCHEMA_ID } from './jsonSchemaSecrets.js';
import { cronProblem } from './cron.js';
import { checkCluster, clusterSchema } from './clusterSchema.js';

/*
 * The configuration schema: the single source of truth for validation, for the TypeScript type
 * of the loaded config, and for the JSON Schema shipped in config/lifeline.schema.json.
 * Objects are strict: an unknown key is an error, because a typo must never silently turn
 * a page off. Nested objects use `prefault` so their own defaults apply when they are omitted.
 */

const channelName = z
  .string()
  .regex(/^[#&!+][^\s,\x07\x00-\x1f]{1,199}$/, {
    message: 'expected an IRC channel name such as "#alerts" (starts with #, no spaces or commas)',
  });

const nick = z
  .string()
  .regex(/^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]{0,29}$/, {
    message: 'expected an IRC nickname: a letter or one of []\\`_^{|} then letters, digits or those, at most 30',
  });

const logSchema = z.strictObject({
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
});

const authSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({ type: z.literal('bearer'), token: secret }),
  z.strictObject({ type: z.literal('basic'), username: z.string().min(1), password: secret }),
]);

const httpSchema = z.strictObject({
  host: z.string().default('0.0.0.0'),
  port: port.default(9095),
  /** Largest accepted webhook body in bytes; larger ones get 413 without being read. */
  body_limit: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  auth: authSchema.prefault({ type: 'none' }),
  status_auth: z.strictObject({ username: z.string().min(1), password: secret }).optional(),
  public_url: z.url({ protocol: /^https?$/, message: 'expected the http(s) URL people reach the status page at, e.g. https://lifeline.example.org' }).optional(),
  /** The heartbeat ping endpoint's own secret (else it shares http.auth). */
  heartbeat_auth: z
    .strictObject({
      token: secret.refine((s) => s.reveal().length >= 16 && /^[A-Za-z0-9._~-]+$/.test(s.reveal()), {
        message: 'expected at least 16 characters of letters, digits and . _ ~ - (it may go in a URL), e.g. the output of "openssl rand -hex 16"',
      }),
    })
    .optional(),
});

const storeSchema = z.strictObject({
  path: z.string().min(1).default('./data/lifeline.db'),
  /** Resolved incidents, delivered notifications, resolved alerts and ended silences are kept this long. */
  retention: duration.prefault('30d'),
});

const saslSchema = z.discriminatedUnion('mechanism', [
  z.strictObject({ mechanism: z.literal('PLAIN'), account: z.string().min(1), password: secret }),
  z.strictObject({ mechanism: z.literal('EXTERNAL') }),
]);

const ircChannelSchema = z.strictObject({
  name: channelName,
  key: secret.optional(),
});

const ircSchema = z.strictObject({
  host: z.string().min(1),
  port: port.default(6697),
  tls: z.boolean().default(true),
  /** Verify the server certificate. Turn off only for a self-signed bouncer you cannot fix. */
  tls_verify: z.boolean().default(true),
  ca_file: z.string().optional(),
  client_cert_file: z.string().optional(),
  client_key_file: z.string().optional(),
  nick: nick,
  username: z.string().regex(/^[^\s@:]{1,64}$/).optional(),
  realname: z.string().max(200).default('Lifeline alert relay'),
  /** Server password (PASS). For ZNC: "user/network:password". */
  password: secret.optional(),
  sasl: saslSchema.optional(),
  /** What sits at host:port. "znc" enables ZNC-specific upstream tracking. */
  bouncer: z.enum(['znc', 'soju', 'none']).default('none'),
  channels: z.array(ircChannelSchema).min(1),
  ping_interval: duration.prefault('15s'),
  ping_timeout: duration.prefault('10s'),
  register_timeout: duration.prefault('30s'),
  reconnect: z
    .strictObject({
      initial_delay: duration.prefault('1s'),
      max_delay: duration.prefault('1m'),
    })
    .prefault({}),
  canary: z
    .strictObject({
      enabled: z.boolean().default(true),
      interval: duration.prefault('2m'),
      timeout: duration.prefault('30s'),
    })
    .prefault({}),
  flood: z
    .strictObject({
      burst: z.number().int().min(1).max(50).optional(),
      lines_per_second: z.number().positive().max(20).optional(),
    })
    .prefault({}),
  rejoin_delay: duration.prefault('5s'),
});

const routeSchema = z.strictObject({
  /** Route name; the webhook for it is POST /api/v1/alertmanager/<name> ("default" also at /api/v1/alertmanager). */
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, { message: 'expected lower-case letters, digits, "-" or "_"' }),
  irc_channels: z.array(channelName).default([]),
  console: z.boolean().default(false),
});

const formatSchema = z.strictObject({
  /** Per-alert lines after the group line; the rest is summarised as "…and N more". */
  max_alert_lines: z.number().int().min(0).max(50).default(0),
  /** mIRC colour codes for status and severity. */
  colors: z.boolean().default(true),
  /** Re-post an unchanged group only after this long (Alertmanager repeats every repeat_interval). */
  reminder_interval: duration.prefault('4h'),
  templates: z
    .strictObject({
      single: z.string().default('[{status}] {severity} {alertname} {instance}{summary} {incident}'),
      group: z.string().default('[{status}{count}] {severity} {alertname}{labels}{instances} {incident}'),
      alert: z.string().default('  {status_mark} {alertname} {instance} {summary} {incident}'),
    })
    .prefault({}),
});

const outboxSchema = z.strictObject({
  /** Pending messages per destination kept on disk while it is unreachable; older ones are folded. */
  max_pending: z.number().int().min(10).max(1_000_000).default(10_000),
  /** At most this many pending messages are replayed one by one; more become one digest. */
  replay_max: z.number().int().min(0).max(100).default(3),
  /** Pending messages older than this are never replayed, only digested. */
  stale_after: duration.prefault('2m'),
  /** A page (email, SMS) still failing this long after it was queued is given up (recorded as failed). */
  page_deadline: duration.prefault('30m'),
  digest_max_kinds: z.number().int().min(1).max(20).default(3),
});

const heartbeatOutSchema = z.strictObject({
  /** The dead man's switch to ping (a secret: the URL is the credential). */
  ping_url: secret.refine((s) => /^https?:\/\/[^\s]+$/.test(s.reveal()), { message: 'expected an http:// or https:// URL, e.g. https://hc-ping.com/<uuid>' }),
  /** Sent as `Authorization: Bearer` (a second Lifeline with http.auth type bearer). */
  token: secret.optional(),
  interval: duration.prefault('1m'),
  timeout: duration.prefault('10s'),
  tls_verify: z.boolean().default(true),
});

const rootShape = z.strictObject({
    log: logSchema.prefault({}),
    http: httpSchema.prefault({}),
    store: storeSchema.prefault({}),
    irc: ircSchema.optional(),
    routes: z.array(routeSchema).min(1).default([{ name: 'default', irc_channels: [], console: true }]),
    format: formatSchema.prefault({}),
    outbox: outboxSchema.prefault({}),
    people: z.array(personSchema).default([]),
    oncall: oncallSchema,
    email: emailSchema.optional(),
    sms: smsSchema.optional(),
    voice: voiceSchema.optional(),
    escalation: escalationSchema,
    probes: probesSchema,
    commands: commandsSchema,
    maintenance: z.array(maintenanceSchema).default([]),
    daily_note: dailyNoteSchema.optional(),
    heartbeat_out: heartbeatOutSchema.optional(),
    cluster: clusterSchema.optional(),
  });

/** The root schema. */
export const configSchema = rootShape.superRefine((cfg, ctx) => {
    if (cfg.probes.targets.length > 0 && !cfg.routes.some((r) => r.name === cfg.probes.route)) {
      ctx.addIssue({ code: 'custom', path: ['probes', 'route'], message: `no route named "${cfg.probes.route}"; probe alerts go to the destinations of this route` });
    }
    const seen = new Set<string>();
    cfg.routes.forEach((r, i) => {
      if (seen.has(r.name)) {
        ctx.addIssue({ code: 'custom', path: ['routes', i, 'name'], message: `route "${r.name}" is defined twice; names must be unique` });
      }
      seen.add(r.name);
      if (r.irc_channels.length === 0 && !r.console) {
        ctx.addIssue({ code: 'custom', path: ['routes', i], message: 'route delivers nowhere: add irc_channels or set console: true' });
      }
      const joined = new Set((cfg.irc?.channels ?? []).map((c) => c.name.toLowerCase()));
      r.irc_channels.forEach((ch, j) => {
        if (!cfg.irc) {
          ctx.addIssue({ code: 'custom', path: ['routes', i, 'irc_channels', j], message: `channel ${ch} needs an "irc" section to connect with` });
        } else if (!joined.has(ch.toLowerCase())) {
          ctx.addIssue({ code: 'custom', path: ['routes', i, 'irc_channels', j], message: `channel ${ch} is not in irc.channels; add it there so Lifeline joins it` });
        }
      });
    });
    checkPeople(cfg, ctx);
    if (cfg.cluster) checkCluster(cfg.cluster, (path, message) => ctx.addIssue({ code: 'custom', path, message, input: undefined }));
    if (cfg.irc) {
      const irc = cfg.irc;
      if ((irc.client_cert_file === undefined) !== (irc.client_key_file === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['irc', 'client_cert_file'], message: 'client_cert_file and client_key_file go together: set both or neither' });
      }
      if (irc.sasl?.mechanism === 'EXTERNAL' && irc.client_cert_file === undefined) {
        ctx.addIssue({ code: 'custom', path: ['irc', 'sasl', 'mechanism'], message: 'SASL EXTERNAL authenticates with a client certificate: set irc.client_cert_file and irc.client_key_file' });
      }
      if (irc.reconnect.max_delay < irc.reconnect.initial_delay) {
        ctx.addIssue({ code: 'custom', path: ['irc', 'reconnect', 'max_delay'], message: 'must be at least reconnect.initial_delay' });
      }
    }
  });

type Ctx = z.core.$RefinementCtx<unknown>;

/** Cross-checks between people, schedule, channels and policies. */
function checkPeople(cfg: z.output<typeof rootShape>, ctx: Ctx): void {
  const people = new Map(cfg.people.map((p) => [p.name, p]));
  const issue = (path: PropertyKey[], message: string): void => ctx.addIssue({ code: 'custom', path, message, input: undefined });
  if (people.size !== cfg.people.length) issue(['people'], 'person names must be unique');
  cfg.oncall.rotations.forEach((r, i) =>
    r.people.forEach((n, j) => {
      if (!people.has(n)) issue(['oncall', 'rotations', i, 'people', j], `no person "${n}" in people`);
    }),
  );
  cfg.oncall.overrides.forEach((o, i) => {
    if (!people.has(o.person)) issue(['oncall', 'overrides', i, 'person'], `no person "${o.person}" in people`);
    if (o.rotation !== undefined && !cfg.oncall.rotations.some((r) => r.name === o.rotation)) issue(['oncall', 'overrides', i, 'rotation'], `no rotation "${o.rotation}"`);
  });
  cfg.escalation.policies.forEach((pol, i) =>
    pol.steps.forEach((st, j) => {
      const where = ['escalation', 'policies', i, 'steps', j];
      if (st.to !== 'oncall' && !people.has(st.to)) issue([...where, 'to'], `no person "${st.to}" in people`);
      if (st.notify.includes('email') && !cfg.email) issue([...where, 'notify'], 'pages by email need an "email" section (SMTP server)');
      if (st.notify.includes('sms') && !cfg.sms) issue([...where, 'notify'], 'pages by SMS need an "sms" section (Twilio account)');
      if (st.notify.includes('voice') && !cfg.voice) issue([...where, 'notify'], 'pages by voice call need a "voice" section (from, public_url)');
    }),
  );
  if (cfg.voice && !cfg.sms) issue(['voice'], 'voice calls use the Twilio account of the "sms" section: add sms (account_sid, auth_token, from)');
  const paging = cfg.email !== undefined || cfg.sms !== undefined;
  if (paging && cfg.oncall.rotations.length === 0) issue(['oncall', 'rotations'], 'email/SMS paging is configured but nobody is on call: add a rotation');
  cfg.people.forEach((p, i) => {
    if (cfg.email && !p.email) issue(['people', i, 'email'], `${p.name} has no email address; pages by email would not reach them`);
    if (cfg.sms && !p.phone) issue(['people', i, 'phone'], `${p.name} has no phone number; pages by SMS would not reach them`);
  });
  cfg.maintenance.forEach((m, i) => {
    const oneOff = m.from !== undefined && m.to !== undefined;
    const recurring = m.cron !== undefined && m.duration !== undefined;
    if (oneOff === recurring) issue(['maintenance', i], 'give either from and to (one-off) or cron and duration (recurring)');
    const bad = m.cron !== undefined ? cronProblem(m.cron) : undefined;
    if (bad) issue(['maintenance', i, 'cron'], bad);
  });
}

/** The validated configuration (deeply frozen once loaded). */
export type Config = z.output<typeof configSchema>;
/** IRC section of the configuration. */
export type IrcConfig = NonNullable<Config['irc']>;
/** One route. */
export type RouteConfig = Config['routes'][number];
/** Message formatting options. */
export type FormatConfig = Config['format'];
/** Outbox options. */
export type OutboxConfig = Config['outbox'];

/** JSON Schema (draft 2020-12) of the config file, for editors. */
export function configJsonSchema(): unknown {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  describeJsonSchema(schema);
  addSecretFileKeys(schema);
  return { $id: CONFIG_SCHEMA_ID, title: 'Lifeline configuration', ...schema };
}
