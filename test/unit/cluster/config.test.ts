import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionOptions } from '../../../src/cluster/connection.js';
import { parseConfig } from '../../../src/config/load.js';
import { problems } from '../config/configProblems.js';

const CLUSTER = 'cluster:\n  name: eu-west\n  peers: [{ name: us-east, info: "Virginia" }]\n';

describe('cluster config (issue 23)', () => {
  it('no cluster section: none in the config', () => {
    assert.equal(parseConfig('', 'c.yaml', {}).cluster, undefined);
  });

  it('fills the shipped defaults (peer_timeout 15s as Alertmanager) and freezes the section', () => {
    const c = parseConfig(CLUSTER, 'c.yaml', {}).cluster;
    assert.ok(c);
    assert.equal(c.peer_timeout, 15_000);
    assert.equal(c.heartbeat_interval, 2_000);
    assert.equal(c.settle_timeout, 60_000);
    assert.equal(c.claim_lease, 60_000);
    assert.equal(c.nats_url, 'nats://127.0.0.1:4222');
    assert.equal(c.peers[0]?.info, 'Virginia');
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.peers[0]));
  });

  it('names the key and the fix', () => {
    assert.deepEqual(problems('cluster:\n  name: eu-west\n  peers: []\n'), ['cluster.peers: list at least one peer (the other Lifeline instances); without peers, remove the cluster section']);
    assert.deepEqual(problems('cluster:\n  name: eu.west\n  peers: [{ name: b }]\n'), ['cluster.name: expected a lower-case name of letters, digits, "-" or "_" (at most 32, no dots), e.g. "eu-west"']);
    assert.deepEqual(problems('cluster:\n  name: a\n  peers: [{ name: a }, { name: b }, { name: b }]\n'), [
      'cluster.peers[0].name: "a" is this instance\'s own cluster.name; list only the other instances',
      'cluster.peers[2].name: peer "b" is listed twice; names must be unique',
    ]);
    assert.deepEqual(problems('cluster:\n  name: a\n  peers: [{ name: b }]\n  peer_timeout: 1s\n'), ['cluster.peer_timeout: must be at least twice heartbeat_interval (2000 ms), or one late heartbeat reads as a peer down']);
    assert.deepEqual(problems('cluster:\n  name: a\n  peers: [{ name: b }]\n  nats_url: "http://x:4222"\n'), ['cluster.nats_url: expected the URL of this region\'s nats-server, nats://host:4222 or tls://host:4222 (no user or path: set user/password, token or creds_file)']);
    assert.deepEqual(problems('cluster:\n  name: a\n  peers: [{ name: b }]\n  user: lifeline\n'), ['cluster.password: user and password go together: set both or neither']);
    assert.deepEqual(problems('cluster:\n  name: a\n  peers: [{ name: b }]\n  token: t\n  creds_file: /x\n'), ['cluster: give one way to log in to NATS: user and password, token, or creds_file']);
    assert.deepEqual(problems('cluster:\n  name: a\n  peers: [{ name: b, domain: a }]\n'), ['cluster.peers[0].domain: JetStream domain "a" is used twice; every region\'s nats-server needs its own domain']);
    assert.deepEqual(problems('cluster:\n  name: a\n  peers: [{ name: b }]\n  peer_tmeout: 20s\n'), ['cluster.peer_tmeout: unknown key; check its spelling or remove it (config/lifeline.schema.json lists every key)']);
  });

  it('NATS credentials from the environment or a file, never in the printed config; client reconnects forever', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llc-'));
    writeFileSync(join(dir, 'pw'), 's3cret\n');
    const c = parseConfig(`${CLUSTER}  nats_url: tls://nats.eu:4222\n  user: lifeline\n  password_file: pw\n  tls: { ca_file: /etc/ca.pem }\n`, join(dir, 'c.yaml'), {}).cluster;
    assert.ok(c);
    assert.equal(c.password?.reveal(), 's3cret');
    assert.doesNotMatch(JSON.stringify(c), /s3cret/);
    const o = connectionOptions(c);
    assert.equal(o.maxReconnectAttempts, -1);
    assert.ok((o.reconnectTimeWait ?? 2000) <= 500);
    assert.equal(o.pass, 's3cret');
    assert.deepEqual(o.tls, { caFile: '/etc/ca.pem' });
    const t = parseConfig(`${CLUSTER}  token: "\${NATS_TOKEN}"\n`, 'c.yaml', { NATS_TOKEN: 'tok' }).cluster;
    assert.equal(t && connectionOptions(t).token, 'tok');
  });
});
