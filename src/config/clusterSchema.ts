import { z } from 'zod';
import { duration, secret } from './schemaParts.js';

/*
 * The `cluster` section: Lifeline in several regions, each with its own nats-server (JetStream, its
 * own domain), joined by a leaf-node link (issue 23). Without this section nothing of src/cluster is
 * loaded and no NATS server is needed.
 */

/**
 * An instance name. It becomes part of NATS names, so only what every one of them accepts: a
 * stream name (LL_<name>) must not hold ".", "*", ">" or spaces; a subject token (ll.<name>.>) must
 * not hold "."; a JetStream domain neither. Lower case, so the position order (sorted by name) is
 * the same on every instance whatever the locale.
 */
const instanceName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, {
  message: 'expected a lower-case name of letters, digits, "-" or "_" (at most 32, no dots), e.g. "eu-west"',
});

const peerSchema = z.strictObject({
  name: instanceName,
  /** The JetStream domain of the peer's nats-server (its `jetstream { domain: ... }`); default: the peer's name. */
  domain: instanceName.optional(),
  info: z.string().max(200).optional(),
  /** The peer's IRC nick (its own ZNC user): its lines in the channel are its posts, never commands. */
  irc_nick: z.string().min(1).max(64).regex(/^[^\s,*?!@#:]+$/, { message: 'expected an IRC nick (no spaces, no ",*?!@#:")' }).optional(),
});

const natsUrl = z.string().regex(/^(nats|tls):\/\/[^\s/]+$/, {
  message: 'expected the URL of this region\'s nats-server, nats://host:4222 or tls://host:4222 (no user or path: set user/password, token or creds_file)',
});

/** The cluster section (validated; cross-checks in checkCluster). */
export const clusterSchema = z.strictObject({
  name: instanceName,
  /** The JetStream domain of this instance's own nats-server; default: name. */
  domain: instanceName.optional(),
  peers: z.array(peerSchema).min(1, { message: 'list at least one peer (the other Lifeline instances); without peers, remove the cluster section' }),
  nats_url: natsUrl.default('nats://127.0.0.1:4222'),
  user: z.string().min(1).optional(),
  password: secret.optional(),
  token: secret.optional(),
  creds_file: z.string().min(1).optional(),
  tls: z
    .strictObject({
      ca_file: z.string().min(1).optional(),
      cert_file: z.string().min(1).optional(),
      key_file: z.string().min(1).optional(),
    })
    .optional(),
  heartbeat_interval: duration.prefault('2s'),
  peer_timeout: duration.prefault('15s'),
  settle_timeout: duration.prefault('1m'),
  claim_lease: duration.prefault('1m'),
  retention: duration.prefault('7d'),
  irc_takeover: duration.prefault('1m'),
});

/** The validated cluster section. */
export type ClusterConfig = z.output<typeof clusterSchema>;

type Issue = (path: PropertyKey[], message: string) => void;

/** Cross-checks inside the cluster section; `issue` paths are relative to the config root. */
export function checkCluster(c: ClusterConfig, issue: Issue): void {
  const seen = new Set<string>([c.name]);
  const badName = new Set<number>();
  c.peers.forEach((p, i) => {
    if (p.name === c.name) issue(['cluster', 'peers', i, 'name'], `"${p.name}" is this instance's own cluster.name; list only the other instances`);
    else if (seen.has(p.name)) issue(['cluster', 'peers', i, 'name'], `peer "${p.name}" is listed twice; names must be unique`);
    else return void seen.add(p.name);
    badName.add(i);
  });
  const domains = new Set<string>([c.domain ?? c.name]);
  c.peers.forEach((p, i) => {
    const d = p.domain ?? p.name;
    if (!badName.has(i) && domains.has(d)) issue(['cluster', 'peers', i, 'domain'], `JetStream domain "${d}" is used twice; every region's nats-server needs its own domain`);
    domains.add(d);
  });
  const auth = [c.user !== undefined || c.password !== undefined, c.token !== undefined, c.creds_file !== undefined].filter(Boolean).length;
  if (auth > 1) issue(['cluster'], 'give one way to log in to NATS: user and password, token, or creds_file');
  if ((c.user === undefined) !== (c.password === undefined)) issue(['cluster', c.user === undefined ? 'user' : 'password'], 'user and password go together: set both or neither');
  if (c.tls && (c.tls.cert_file === undefined) !== (c.tls.key_file === undefined)) issue(['cluster', 'tls', 'cert_file'], 'cert_file and key_file go together: set both or neither');
  if (c.heartbeat_interval < 100) issue(['cluster', 'heartbeat_interval'], 'must be at least 100ms');
  if (c.peer_timeout < 2 * c.heartbeat_interval) issue(['cluster', 'peer_timeout'], `must be at least twice heartbeat_interval (${c.heartbeat_interval} ms), or one late heartbeat reads as a peer down`);
  if (c.irc_takeover < 1_000) issue(['cluster', 'irc_takeover'], 'must be at least 1s: the poster\'s lines need time to pass its flood queue and the bouncer');
  if (c.retention < 3_600_000) issue(['cluster', 'retention'], 'must be at least 1h: a region cut off for longer than this loses what it did not copy yet');
}
