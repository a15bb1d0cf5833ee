import { isIP } from 'node:net';
import { z } from 'zod';
import { compileRegex } from '../util/regex.js';
import { formatDuration } from './duration.js';
import { duration, secret } from './schemaParts.js';

/*
 * Configuration of the probes: what Lifeline checks from the outside, how often, and when a
 * failure becomes an alert. Each kind's own keys sit next to the common ones; `kind` picks the
 * probe (src/probes/registry.ts has one entry per kind).
 */

const probeName = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, { message: 'expected a short lower-case name (letters, digits, "_", ".", "-")' });

/**
 * Probe timing that can work. An interval under a second is a busy loop, not monitoring (two
 * probes at 1 ms burned 87 % of a core); a timeout under 100 ms fails a healthy target
 * across any real network (0 ms paged for everything). A timeout longer than the interval is
 * allowed: runs then overlap, up to three of one probe at once (runner.ts).
 */
export const MIN_PROBE_INTERVAL_MS = 1_000;
/** The shortest probe timeout (see MIN_PROBE_INTERVAL_MS). */
export const MIN_PROBE_TIMEOUT_MS = 100;

/** A duration of at least `minMs`; below it the message says what was given, why it cannot work and the minimum. */
function durationAtLeast(minMs: number, why: string) {
  return duration.superRefine((v, ctx) => {
    if (v < minMs) ctx.addIssue({ code: 'custom', message: `${formatDuration(v)} ${why}; use at least ${formatDuration(minMs)}` });
  });
}

const probeInterval = durationAtLeast(MIN_PROBE_INTERVAL_MS, 'is too short for a probe interval (runs back to back burn the CPU Lifeline needs to relay and page)');
const probeTimeout = durationAtLeast(MIN_PROBE_TIMEOUT_MS, 'is too short for a probe timeout (every target would fail)');

/** Most regions a `confirm: N` can ask for (a cluster is a handful of regions joined in a star). */
export const MAX_CONFIRM_REGIONS = 16;

/**
 * How many regions must see a probe down before it is down (src/probes/verdict.ts): all, any or
 * N. Only read when a `cluster` section exists; a single Lifeline is one vantage point.
 */
const CONFIRM_EXPECTED = `expected all (down from every region that has a fresh result), any (down from one region), or a number of regions from 1 to ${MAX_CONFIRM_REGIONS}, e.g. confirm: 2`;
const confirm = z.union(
  [z.enum(['all', 'any'], { error: CONFIRM_EXPECTED }), z.number({ error: CONFIRM_EXPECTED }).int({ error: CONFIRM_EXPECTED }).min(1, { error: CONFIRM_EXPECTED }).max(MAX_CONFIRM_REGIONS, { error: CONFIRM_EXPECTED })],
  { error: CONFIRM_EXPECTED },
);

/** Keys every probe has. */
const common = {
  name: probeName,
  interval: probeInterval.optional(),
  timeout: probeTimeout.optional(),
  severity: z.enum(['critical', 'warning', 'info']).default('critical'),
  group: z.string().min(1).max(64).optional(),
  confirm: confirm.optional(),
  // One probe or a list; any of them down explains this one's failure.
  depends_on: z
    .union([probeName, z.array(probeName).min(1).max(16)])
    .transform((v) => (typeof v === 'string' ? [v] : v))
    .optional(),
  labels: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string()).default({}),
  infer_cause: z.boolean().default(true),
  failures_to_open: z.number().int().min(1).max(100).optional(),
  successes_to_resolve: z.number().int().min(1).max(100).optional(),
};

const regex = z.string().superRefine((v, ctx) => {
  try {
    compileRegex(v); // first alone, so an error quotes the pattern as the user wrote it
    compileRegex(`(?s:.*)(?:${v})(?s:.*)`);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});

const statusRange = z.union([z.number().int().min(100).max(599), z.string().regex(/^[1-5][0-9]{2}(-[1-5][0-9]{2})?$/, { message: 'expected a status such as 200 or a range "200-399"' })]);

/** A resolver address for node:dns (c-ares takes IP addresses only): "192.0.2.53", "127.0.0.1:5353", "[2001:db8::53]:53". */
const resolverAddress = z.string().refine(
  (v) => {
    const m = /^\[([0-9A-Fa-f:.]+)\](?::([0-9]{1,5}))?$|^([0-9.]+)(?::([0-9]{1,5}))?$|^([0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)$/.exec(v);
    if (!m) return false;
    const ip = m[1] ?? m[3] ?? m[5] ?? '';
    const p = Number(m[2] ?? m[4] ?? 53);
    return isIP(ip) !== 0 && (m[5] === undefined || isIP(ip) === 6) && p >= 1 && p <= 65535;
  },
  { message: 'expected the resolver\'s IP address with an optional port: "192.0.2.53", "127.0.0.1:5353" or "[2001:db8::53]:53" (a host name cannot be used: it would need a resolver itself)' },
);

/** Keys of the probes that can check every address behind a name (http, tcp, tls; probes/eachAddress.ts). */
const addressKeys = {
  each_address: z.boolean().default(false),
  address_quorum: z.number().int().min(1).max(16).default(1),
  resolver: resolverAddress.optional(),
};

const httpProbe = z.strictObject({
  ...common,
  ...addressKeys,
  kind: z.literal('http'),
  url: z.url({ protocol: /^https?$/, message: 'expected an http:// or https:// URL' }),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'OPTIONS']).default('GET'),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  expect_status: z.array(statusRange).default(['200-399']),
  body_regex: regex.optional(),
  json_path: z.string().regex(/^\$(\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\])*$/, { message: 'expected a simple JSON path such as $.status or $.items[0].state' }).optional(),
  json_equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
  follow_redirects: z.boolean().default(true),
  tls_verify: z.boolean().default(true),
  cert_expiry_warning_days: z.number().int().min(0).max(365).default(14),
}).refine((c) => c.body === undefined || (c.method !== 'GET' && c.method !== 'HEAD'), { message: 'a GET or HEAD request carries no body: set method: POST (or PUT), or remove body', path: ['body'] });

/** Keys of the socket probes (tcp, tls). */
const socketKeys = {
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  send: z.string().optional(),
  expect: regex.optional(),
};

const tcpProbe = z.strictObject({ ...common, ...socketKeys, ...addressKeys, kind: z.literal('tcp') });

const tlsProbe = z.strictObject({
  ...common,
  ...socketKeys,
  ...addressKeys,
  kind: z.literal('tls'),
  server_name: z.string().optional(),
  tls_verify: z.boolean().default(true),
  cert_expiry_warning_days: z.number().int().min(0).max(365).default(14),
});

const bouncerProbe = z.strictObject({
  ...common,
  kind: z.literal('bouncer'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  tls: z.boolean().default(true),
  tls_verify: z.boolean().default(true),
  ca_file: z.string().optional(),
  nick: z.string().regex(/^[A-Za-z\[\]\\`_^{|}][A-Za-z0-9\[\]\\`_^{|}-]{0,29}$/, { message: 'expected an IRC nickname' }),
  username: z.string().optional(),
  password: secret.optional(),
  fake_welcome_from: z.array(z.string()).default(['irc.znc.in']),
});

const baseUrl = z.url({ protocol: /^https?$/, message: 'expected the http:// or https:// base URL, e.g. http://prometheus:9090' });

const prometheusProbe = z.strictObject({
  ...common,
  kind: z.literal('prometheus'),
  url: baseUrl,
  tls_verify: z.boolean().default(true),
  stale_factor: z.number().min(1.5).max(100).default(3),
  max_targets_down: z.number().int().min(0).default(0),
  queries: z
    .array(z.strictObject({ expr: z.string().min(1), op: z.enum(['>', '>=', '<', '<=', '==', '!=']), value: z.number(), for: duration.optional() }))
    .default([]),
});

const alertmanagerProbe = z.strictObject({
  ...common,
  kind: z.literal('alertmanager'),
  url: baseUrl,
  tls_verify: z.boolean().default(true),
  min_peers: z.number().int().min(0).default(0),
});

const heartbeatProbe = z.strictObject({
  ...common,
  kind: z.literal('heartbeat'),
  within: duration,
  alertname: z.string().min(1).optional(),
});

const memoryProbe = z.strictObject({
  ...common,
  kind: z.literal('memory'),
  url: z.url({ protocol: /^https?$/, message: 'expected node_exporter\'s metrics URL, e.g. http://bouncer-1:9100/metrics' }).optional(),
  prometheus: baseUrl.optional(),
  instance: z.string().min(1).optional(),
  tls_verify: z.boolean().default(true),
  warn_available_percent: z.number().min(0).max(100).default(10),
  critical_available_percent: z.number().min(0).max(100).default(5),
  critical_exhaustion: duration.prefault('15m'),
  trend_window: duration.prefault('10m'),
  psi_warn_percent: z.number().min(0).max(100).default(10),
  swap_warn_percent: z.number().min(0).max(100).default(50),
  oom_window: duration.prefault('1h'),
  saturation_warn_percent: z.number().min(0).max(100).default(80),
  saturation_critical_percent: z.number().min(0).max(100).default(95),
  udp_rcvbuf_errors_warn_per_second: z.number().min(0).default(1),
});

/** A WireGuard key: base64 of 32 bytes, as `wg genkey` and `wg pubkey` print it. */
const wgKey = z.string().regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, { message: 'expected a WireGuard key: 44 base64 characters, as wg genkey / wg pubkey print' });

/** A dotted IPv4 address. */
const ipv4 = z.string().regex(/^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/, { message: 'expected an IPv4 address such as 10.8.0.250' });

const wireguardProbe = z.strictObject({
  ...common,
  kind: z.literal('wireguard'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(51820),
  /** The server's public key (its [Interface] PublicKey). */
  server_public_key: wgKey,
  /** The probe's own private key; its public key must be a peer on the server. */
  private_key: secret.refine((s) => /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(s.reveal()), { message: 'expected a WireGuard private key (44 base64 characters, wg genkey)' }),
  /** The peer's preshared key on the server, if it has one. */
  preshared_key: secret.refine((s) => /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(s.reveal()), { message: 'expected a WireGuard preshared key (44 base64 characters, wg genpsk)' }).optional(),
  /** Forwarding check: the probe's address inside the tunnel (one of its allowed-ips on the server). */
  tunnel_address: ipv4.optional(),
  /** Forwarding check: an address behind the server that answers ping. */
  ping_address: ipv4.optional(),
}).refine((c) => (c.tunnel_address === undefined) === (c.ping_address === undefined), { message: 'the forwarding check needs both tunnel_address and ping_address (or neither)', path: ['ping_address'] });

const openvpnProbe = z
  .strictObject({
    ...common,
    kind: z.literal('openvpn'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(1194),
    proto: z.enum(['udp', 'tcp']).default('udp'),
    /** The server's tls-auth key file (OpenVPN static key), if it uses tls-auth. */
    tls_auth_file: z.string().min(1).optional(),
    /** key-direction as the client config has it (usually 1); unset: none (bidirectional). */
    key_direction: z.union([z.literal(0), z.literal(1)]).optional(),
    /** The tls-auth HMAC digest (the server's --auth). */
    auth: z.enum(['sha1', 'sha256', 'sha512']).default('sha1'),
    /** The server's tls-crypt key file, if it uses tls-crypt. */
    tls_crypt_file: z.string().min(1).optional(),
    /** Continue past the reset with a TLS handshake up to the server's certificate. */
    deep: z.boolean().default(false),
    /** Deep mode: the CA the server's certificate must verify against. */
    ca_file: z.string().min(1).optional(),
    /** Deep mode: a warning when the server's certificate expires in fewer days. */
    cert_expiry_warning_days: z.number().int().min(0).max(365).default(14),
  })
  .refine((c) => !(c.tls_auth_file && c.tls_crypt_file), { message: 'give tls_auth_file or tls_crypt_file, not both (a server uses one)', path: ['tls_crypt_file'] })
  .refine((c) => c.deep || c.ca_file === undefined, { message: 'ca_file is only used by the deep probe: set deep: true, or remove ca_file', path: ['ca_file'] });

const managementServer = z
  .strictObject({
    /** The management interface: host and port (OpenVPN's --management IP PORT) ... */
    host: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    /** ... or its unix socket (--management /path unix). */
    socket: z.string().min(1).optional(),
    /** The management password (--management ... pw-file), if set. */
    password: secret.optional(),
    /** This server's max-clients: OpenVPN does not report it. */
    max_clients: z.number().int().min(1),
  })
  .refine((s) => (s.socket !== undefined) !== (s.host !== undefined && s.port !== undefined), { message: 'give host and port, or socket (one of them)' });

const openvpnCapacityProbe = z.strictObject({
  ...common,
  kind: z.literal('openvpn_capacity'),
  /** One server, or several behind one address (their clients and max-clients add up). */
  servers: z.array(managementServer).min(1),
  warn_percent: z.number().min(0).max(100).default(80),
  critical_percent: z.number().min(0).max(100).default(95),
  trend_window: duration.prefault('10m'),
});

const dnsProbe = z
  .strictObject({
    ...common,
    kind: z.literal('dns'),
    query: z.string().regex(/^(?=.{1,253}\.?$)([A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.?$/, { message: 'expected a DNS name such as portal.example.org or _sip._tcp.example.org' }),
    record: z.enum(['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'SRV']).default('A'),
    resolver: resolverAddress.optional(),
    expect: z.array(z.string().min(1)).min(1).optional(),
    expect_match: z.enum(['all', 'any', 'exact']).default('all'),
    min_ttl: z.number().int().min(0).optional(),
    max_ttl: z.number().int().min(0).optional(),
  })
  .superRefine((c, ctx) => {
    (c.expect ?? []).forEach((e, i) => {
      if (c.record === 'A' && isIP(e) !== 4) ctx.addIssue({ code: 'custom', path: ['expect', i], message: `expected an IPv4 address for record A, e.g. 192.0.2.10 (got "${e}")` });
      if (c.record === 'AAAA' && isIP(e) !== 6) ctx.addIssue({ code: 'custom', path: ['expect', i], message: `expected an IPv6 address for record AAAA, e.g. 2001:db8::10 (got "${e}")` });
    });
    // node:dns reports TTLs for A and AAAA answers only (src/probes/kinds/dns.ts).
    for (const k of ['min_ttl', 'max_ttl'] as const) {
      if (c[k] !== undefined && c.record !== 'A' && c.record !== 'AAAA') ctx.addIssue({ code: 'custom', path: [k], message: `${k} is checked on A and AAAA answers only (the resolver Lifeline uses reports no TTL for ${c.record}): probe the A or AAAA record, or remove ${k}` });
    }
    if (c.min_ttl !== undefined && c.max_ttl !== undefined && c.min_ttl > c.max_ttl) ctx.addIssue({ code: 'custom', path: ['max_ttl'], message: `max_ttl ${c.max_ttl} is below min_ttl ${c.min_ttl}` });
  });

/** One probe's config, by kind. */
export const probeSchema = z.discriminatedUnion('kind', [httpProbe, tcpProbe, tlsProbe, bouncerProbe, prometheusProbe, alertmanagerProbe, heartbeatProbe, memoryProbe, wireguardProbe, openvpnProbe, openvpnCapacityProbe, dnsProbe]);

/** A multi-node VPN: a portal and nodes, each node checked by its probes, and a quorum. */
const redundancySchema = z.strictObject({
  name: probeName,
  /** The probe of the portal that hands out client configs (optional). */
  portal: probeName.optional(),
  /** The nodes; a node is down when any of its probes is down. */
  nodes: z.array(z.strictObject({ name: z.string().min(1).max(64), probes: z.array(probeName).min(1) })).min(1),
  /** Nodes that must be up for the VPN to be served; fewer is an outage (critical). */
  quorum: z.number().int().min(1).default(1),
  /** Severity while a node is down but quorum holds (warning: held during quiet hours). */
  degraded_severity: z.enum(['critical', 'warning']).default('warning'),
  /** Severity while only the portal is down. */
  portal_severity: z.enum(['critical', 'warning']).default('warning'),
});

/** The `probes` section: defaults, limits, the route for probe alerts, and the targets. */
export const probesSchema = z
  .strictObject({
    /** Defaults for every probe. */
    interval: probeInterval.prefault('30s'),
    timeout: probeTimeout.prefault('10s'),
    failures_to_open: z.number().int().min(1).max(100).default(3),
    successes_to_resolve: z.number().int().min(1).max(100).default(2),
    /** Probes running at once, at most. */
    concurrency: z.number().int().min(1).max(1000).default(50),
    /** The route whose destinations get probe alerts. */
    route: z.string().default('default'),
    /** TCP endpoints ("host:port") that are up whenever Lifeline's own network is. */
    reference_endpoints: z.array(z.string().regex(/^[^\s:]+:[0-9]{1,5}$|^\[[0-9a-fA-F:]+\]:[0-9]{1,5}$/, { message: 'expected "host:port"' })).default([]),
    targets: z.array(probeSchema).default([]),
    /** Redundancy groups: one alert per multi-node VPN instead of one per member probe. */
    redundancy: z.array(redundancySchema).default([]),
    /** Default `confirm` of every probe (with a cluster). */
    confirm: confirm.default('all'),
    /** Settings per probe group (the targets' `group` label): `confirm` for the group's probes. */
    groups: z.record(z.string().min(1).max(64), z.strictObject({ confirm: confirm.optional() })).default({}),
  })
  .superRefine((p, ctx) => {
    const names = new Set<string>();
    p.targets.forEach((t, i) => {
      if (names.has(t.name)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'name'], message: `probe "${t.name}" is defined twice; names must be unique` });
      names.add(t.name);
    });
    p.targets.forEach((t, i) => {
      if (t.kind !== 'memory') return;
      const viaProm = t.prometheus !== undefined || t.instance !== undefined;
      if (t.url !== undefined && viaProm) ctx.addIssue({ code: 'custom', path: ['targets', i, 'url'], message: 'give either url (node_exporter, scraped directly) or prometheus and instance (the same signals via PromQL), not both' });
      else if (t.url === undefined && !viaProm) ctx.addIssue({ code: 'custom', path: ['targets', i, 'url'], message: 'a memory probe needs url (node_exporter\'s metrics URL, e.g. http://bouncer-1:9100/metrics) or prometheus and instance' });
      else if (viaProm && (t.prometheus === undefined || t.instance === undefined)) ctx.addIssue({ code: 'custom', path: ['targets', i, t.prometheus === undefined ? 'prometheus' : 'instance'], message: 'reading memory via PromQL needs both prometheus (its base URL) and instance (the node_exporter target\'s instance label, e.g. bouncer-1:9100)' });
    });
    p.targets.forEach((t, i) => {
      for (const d of t.depends_on ?? []) {
        if (!names.has(d)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'depends_on'], message: `no probe named "${d}"; depends_on names other probes` });
        if (d === t.name) ctx.addIssue({ code: 'custom', path: ['targets', i, 'depends_on'], message: 'a probe cannot depend on itself' });
      }
    });
    const used = new Set(p.targets.map((t) => t.group));
    for (const g of Object.keys(p.groups)) {
      if (!used.has(g)) ctx.addIssue({ code: 'custom', path: ['groups', g], message: `no probe has group "${g}"; probes.groups is keyed by the group label of probes.targets (add group: ${g} to those probes, or fix the name)` });
    }
    const member = new Map<string, string>();
    p.redundancy.forEach((g, i) => {
      if (g.quorum > g.nodes.length) ctx.addIssue({ code: 'custom', path: ['redundancy', i, 'quorum'], message: `quorum ${g.quorum} is more than the group's ${g.nodes.length} nodes` });
      const refs: Array<[string, (string | number)[]]> = [
        ...(g.portal !== undefined ? [[g.portal, ['redundancy', i, 'portal']] as [string, (string | number)[]]] : []),
        ...g.nodes.flatMap((n, j) => n.probes.map((pr, k) => [pr, ['redundancy', i, 'nodes', j, 'probes', k]] as [string, (string | number)[]])),
      ];
      for (const [name, path] of refs) {
        if (!names.has(name)) ctx.addIssue({ code: 'custom', path, message: `no probe named "${name}" in probes.targets` });
        const other = member.get(name);
        if (other !== undefined && other !== g.name) ctx.addIssue({ code: 'custom', path, message: `probe "${name}" is already in redundancy group "${other}"; a probe belongs to one group` });
        member.set(name, g.name);
      }
    });
  })
  .prefault({});

/** The probes section, validated. */
export type ProbesConfig = z.infer<typeof probesSchema>;
/** One probe's config. */
export type ProbeConfig = z.infer<typeof probeSchema>;

/** A probe's `confirm`: its own, else its group's (probes.groups), else probes.confirm. */
export function probeConfirm(probes: ProbesConfig, probe: ProbeConfig): ProbesConfig['confirm'] {
  return probe.confirm ?? (probe.group !== undefined ? probes.groups[probe.group]?.confirm : undefined) ?? probes.confirm;
}
