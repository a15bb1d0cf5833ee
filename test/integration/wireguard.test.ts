import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProbeResult } from '../../src/probes/probe.js';

/** A WireGuard key pair from Debian's wireguard-tools. */
function keyPair(dir: string, name: string): { priv: string; pub: string; file: string } {
  const priv = spawnSync('wg', ['genkey'], { encoding: 'utf8' }).stdout.trim();
  const pub = spawnSync('wg', ['pubkey'], { input: `${priv}\n`, encoding: 'utf8' }).stdout.trim();
  const file = join(dir, `${name}.key`);
  writeFileSync(file, `${priv}\n`, { mode: 0o600 });
  return { priv, pub, file };
}

/**
 * The WireGuard probe against Debian's wireguard-go and wireguard-tools, in a network namespace
 * the test makes (`unshare -Urn`: its own loopback, so port 51820 clashes with nothing and no
 * interface or route of the host is touched). One shell script inside it starts the server, adds
 * the probe keys as peers and runs each probe case (the built harness/runProbe.js) in turn, so all
 * cases see the same server: one JSON result a line.
 */
describe('WireGuard handshake probe against wireguard-go in a namespace (integration)', function () {
  this.timeout(120_000);
  // Our own folder, not tempDir (that one belongs to the unprivileged server user, whom the
  // namespace's root cannot write for: unmapped owners get no override there).
  let tmp: { dir: string; remove: () => void };
  let results: ProbeResult[];
  /** The namespace script's trace and wireguard-go's log, for failure messages. */
  let trace = '';
  before(() => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-wg-'));
    tmp = { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
    const server = keyPair(tmp.dir, 'server');
    const probe = keyPair(tmp.dir, 'probe');
    const withPsk = keyPair(tmp.dir, 'probe-psk');
    const stranger = keyPair(tmp.dir, 'stranger');
    const psk = spawnSync('wg', ['genpsk'], { encoding: 'utf8' }).stdout.trim();
    const otherPsk = spawnSync('wg', ['genpsk'], { encoding: 'utf8' }).stdout.trim();
    writeFileSync(join(tmp.dir, 'psk'), `${psk}\n`, { mode: 0o600 });
    const run = join(process.cwd(), 'dist/test/integration/harness/runProbe.js');
    const state = join(tmp.dir, 'state.db');
    /** A wireguard probe; `fwd`: "TUNNEL_ADDRESS PING_ADDRESS" for the forwarding check. */
    const wg = (o: { priv: string; server?: string; port?: number; psk?: string; fwd?: string }): string =>
      `{ name: wg, kind: wireguard, host: 127.0.0.1, port: ${o.port ?? 51820}, server_public_key: "${o.server ?? server.pub}", private_key: "${o.priv}"${o.psk ? `, preshared_key: "${o.psk}"` : ''}${
        o.fwd ? `, tunnel_address: ${o.fwd.split(' ')[0]}, ping_address: ${o.fwd.split(' ')[1]}` : ''
      } }`;
    // Runs with the probe's key share one state file, as one Lifeline's store does: the server
    // remembers the newest timestamp per key, so every run with that key must know the last one.
    const cases: Array<[string, string, number, string?]> = [
      [wg({ priv: probe.priv }), '3000', 0, state], // 0: up
      [wg({ priv: probe.priv, psk }), '3000', 0, state], // 1: the server has no PSK for this peer
      [wg({ priv: withPsk.priv, psk }), '3000', 0], // 2: matching PSK
      [wg({ priv: withPsk.priv, psk: otherPsk }), '3000', 0], // 3: another PSK
      [wg({ priv: probe.priv, port: 51821 }), '3000', 0, state], // 4: closed port
      [wg({ priv: probe.priv, server: stranger.pub }), '1500', 0, state], // 5: wrong server key
      [wg({ priv: stranger.priv }), '1500', 0], // 6: a key the server does not know
      [wg({ priv: probe.priv }), '3000', -60_000, state], // 7: clock 1 min back, timestamps stored: still newer
      [wg({ priv: probe.priv }), '1500', -120_000], // 8: clock 2 min back, nothing stored: a replay to the server
    ];
    const forwarding: Array<[string, number]> = [
      [wg({ priv: probe.priv, fwd: '10.77.0.250 10.88.0.2' }), 3000], // 9: forwarded and answered
      [wg({ priv: probe.priv, fwd: '10.77.0.251 10.88.0.2' }), 2500], // 10: a source outside the peer's allowed-ips
      [wg({ priv: probe.priv, fwd: '10.77.0.250 10.66.0.2' }), 3000], // 11: no route on the server
    ];
    // The interface name is unique per run: wireguard-go's control socket lives in the shared
    // /var/run/wireguard, and `wg set` talks to whichever process owns that name. The server is
    // killed when the script ends, whatever happens.
    const ifname = `wgl${process.pid % 100_000}`;
    const script = [
      'set -e',
      'ip link set lo up',
      `wireguard-go -f ${ifname} >${join(tmp.dir, 'wg.log')} 2>&1 &`,
      'WG=$!',
      'trap \'st=$?; kill $WG 2>/dev/null || true; wait $WG 2>/dev/null || true; exit $st\' EXIT',
      `for i in $(seq 1 100); do [ -S /var/run/wireguard/${ifname}.sock ] && break; sleep 0.05; done`,
      `wg set ${ifname} listen-port 51820 private-key ${server.file} peer ${probe.pub} allowed-ips 10.77.0.250/32 peer ${withPsk.pub} preshared-key ${join(tmp.dir, 'psk')} allowed-ips 192.0.2.251/32`,
      // wireguard-go binds the port a moment after wg set returns.
      "for i in $(seq 1 100); do ss -4Huln 'sport = :51820' | grep -q . && break; sleep 0.05; done",
      ...cases.map(([y, t, off, db]) => `${JSON.stringify(process.execPath)} ${run} '${y}' ${t} ${off} ${db ?? ':memory:'}`),
      // The forwarding check. A second namespace behind the server, "internal" (10.88.0.2), joined
      // by a veth pair; the server's tunnel address is 10.77.0.1/24 and it forwards.
      'unshare -n sleep 120 & INTERNAL=$!',
      'trap \'st=$?; kill $WG $INTERNAL 2>/dev/null || true; wait $WG 2>/dev/null || true; exit $st\' EXIT',
      `ip addr add 10.77.0.1/24 dev ${ifname}`,
      `ip link set ${ifname} up`,
      'ip link add veth0 type veth peer name veth1 netns $INTERNAL',
      'ip addr add 10.88.0.1/24 dev veth0',
      'ip link set veth0 up',
      'nsenter -t $INTERNAL -n sh -c "ip link set lo up; ip addr add 10.88.0.2/24 dev veth1; ip link set veth1 up; ip route add default via 10.88.0.1"',
      'echo 1 > /proc/sys/net/ipv4/ip_forward',
      ...forwarding.map(([y, t]) => `${JSON.stringify(process.execPath)} ${run} '${y}' ${t} 0 ${state}`), // 9, 10, 11
      'echo 0 > /proc/sys/net/ipv4/ip_forward',
      `${JSON.stringify(process.execPath)} ${run} '${wg({ priv: probe.priv, fwd: '10.77.0.250 10.88.0.2' })}' 2500 0 ${state}`, // 12: forwarding off
      // 13: right after 3,000 junk initiations the server is under load and answers with a cookie reply.
      `WG_FLOOD=3000 ${JSON.stringify(process.execPath)} ${run} '${wg({ priv: probe.priv })}' 3000 0 ${state}`,
      // 14: the server stopped.
      'kill $WG; wait $WG 2>/dev/null || true',
      `${JSON.stringify(process.execPath)} ${run} '${wg({ priv: probe.priv })}' 1500 0 ${state}`,
    ].join('\n');
    const r = spawnSync('unshare', ['-Urn', 'sh', '-c', script], { encoding: 'utf8', timeout: 90_000 });
    trace = `${r.stderr}\nwireguard-go said: ${readFileSync(join(tmp.dir, 'wg.log'), 'utf8').slice(-2000)}`;
    assert.equal(r.status, 0, `namespace script failed: ${r.stderr}`);
    results = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as ProbeResult);
    assert.equal(results.length, cases.length + forwarding.length + 3, r.stdout + r.stderr);
  });
  after(() => tmp?.remove());

  it('a real handshake: the response verified, with its time', () => {
    const r = results[0]!;
    assert.equal(r.up, true, `${r.summary}\n${trace}`);
    assert.match(r.summary, /^WireGuard handshake answered in \d+ ms; response verified \(mac1 and payload\)$/);
    assert.ok((r.phases.firstByte ?? 0) > 0 && (r.phases.firstByte ?? 1) < 1);
  });

  it('tells a preshared-key mismatch from silence: the response comes but does not open', () => {
    assert.match(results[1]!.summary, /^the server answered in \d+ ms, but its response does not open: preshared_key differs from the server's for this peer$/);
    assert.equal(results[2]!.up, true, results[2]!.summary);
    assert.match(results[3]!.summary, /preshared_key differs/);
  });

  it('a closed UDP port reads as ICMP port unreachable; a wrong server key or an unknown probe key is silence, and says which three things to check', () => {
    assert.equal(results[4]!.summary, 'UDP 127.0.0.1:51821: ICMP port unreachable: nothing listens on that port');
    for (const r of [results[5]!, results[6]!]) {
      assert.equal(r.up, false);
      assert.match(r.summary, /^no handshake response from 127\.0\.0\.1:51820 within 1\.5 s: WireGuard stays silent when the server is down, when this probe's public key is not one of its peers, and when server_public_key is wrong/);
      assert.equal(r.phases.firstByte, undefined, 'a phase never reached is absent');
    }
  });

  it('timestamps keep rising across restarts: with the stored last one a clock stepped back is still answered; without it the server drops the replay', () => {
    assert.equal(results[7]!.up, true, results[7]!.summary);
    assert.equal(results[8]!.up, false, 'an older timestamp than the server has seen is ignored');
  });

  it('a server under load answers with a cookie reply; the probe answers it once with mac2, as the protocol says, and is answered', () => {
    const r = results[13]!;
    assert.equal(r.up, true, `${r.summary}\n${trace}`);
    assert.match(r.summary, /^WireGuard handshake answered in \d+ ms after a cookie reply \(the server is under load\); response verified \(mac1 and payload\)$/);
    assert.equal(r.values['cookie'], 1);
  });

  it('a stopped server is down', () => {
    assert.equal(results[14]!.up, false);
    assert.equal(results[14]!.summary, 'UDP 127.0.0.1:51820: ICMP port unreachable: nothing listens on that port');
  });

  it('forwarding check: a ping through the tunnel to a host behind the server is answered, in user space', () => {
    const r = results[9]!;
    assert.equal(r.up, true, `${r.summary}\n${trace}`);
    assert.match(r.summary, /^WireGuard handshake answered in \d+ ms; response verified \(mac1 and payload\); ping 10\.88\.0\.2 through the tunnel answered in \d+ ms$/);
    assert.equal(typeof r.values['ping_ms'], 'number');
    assert.ok(r.phases.read !== undefined && r.phases.firstByte !== undefined);
  });

  it('forwarding check: handshake fine but no forwarding, a source the server drops, or no route: each is down, and says what it saw', () => {
    for (const r of [results[10]!, results[12]!]) {
      assert.equal(r.up, false, r.summary);
      assert.match(r.summary, /^WireGuard handshake answered in \d+ ms; response verified \(mac1 and payload\), but 10\.88\.0\.2 did not answer \d pings? through the tunnel: the server does not forward \(net\.ipv4\.ip_forward, the firewall's FORWARD chain or NAT\)/);
    }
    assert.equal(results[11]!.up, false);
    assert.match(results[11]!.summary, /, but a ping to 10\.66\.0\.2 through the tunnel came back "network unreachable" from 10\.77\.0\.1: the server has no route to it, or a firewall refuses it$/);
  });
});
