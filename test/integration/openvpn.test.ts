import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProbeResult } from '../../src/probes/probe.js';

/**
 * The OpenVPN reset probe against Debian's openvpn 2.6 servers — plain, tls-auth and tls-crypt,
 * over UDP and TCP — in a network namespace the test makes (`unshare -Urn`: its own loopback, so
 * fixed ports and tun devices clash with nothing and no host interface or route is touched). One
 * script inside starts the servers, waits until each listens, and runs each probe case (the built
 * harness/runProbe.js) in turn: one JSON result a line.
 */
describe('OpenVPN handshake probe against openvpn 2.6 in a namespace (integration)', function () {
  this.timeout(120_000);
  let dir: string;
  let results: ProbeResult[];
  let trace = '';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lifeline-ovpn-'));
    const f = (n: string): string => join(dir, n);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('key.pem'), '-out', f('cert.pem'), '-days', '2', '-subj', '/CN=vpn-test'], { stdio: 'ignore' });
    for (const k of ['ta.key', 'other.key']) execFileSync('openvpn', ['--genkey', 'secret', f(k)], { stdio: 'ignore' });
    execFileSync('openvpn', ['--genkey', 'tls-crypt', f('tc.key')], { stdio: 'ignore' });
    const server = (name: string, proto: 'udp' | 'tcp-server', port: number, wrap = ''): void =>
      writeFileSync(
        f(`${name}.conf`),
        [
          'mode server', 'tls-server', 'dev-type tun', `dev ${name}`, 'ifconfig-noexec', 'disable-dco', 'dh none', 'local 127.0.0.1',
          `proto ${proto}`, `port ${port}`, `ca ${f('cert.pem')}`, `cert ${f('cert.pem')}`, `key ${f('key.pem')}`, 'topology subnet',
          `ifconfig 10.99.${port % 100}.1 255.255.255.0`, `ifconfig-pool 10.99.${port % 100}.2 10.99.${port % 100}.100`, 'max-clients 4', 'verb 3', wrap,
        ].join('\n'),
      );
    // The capacity server: clients with their own certificate (trusted through the bundle), three
    // slots, a management interface with a password.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('ckey.pem'), '-out', f('ccert.pem'), '-days', '2', '-subj', '/CN=probe-client'], { stdio: 'ignore' });
    writeFileSync(f('bundle.pem'), readFileSync(f('cert.pem'), 'utf8') + readFileSync(f('ccert.pem'), 'utf8'));
    writeFileSync(f('mgmt.pw'), 'mgmt-secret\n');
    server('ovcap', 'udp', 1200, ['max-clients 3', 'duplicate-cn', 'keepalive 2 10', `management 127.0.0.1 7505 ${f('mgmt.pw')}`].join('\n'));
    writeFileSync(f('ovcap.conf'), readFileSync(f('ovcap.conf'), 'utf8').replace('max-clients 4\n', '').replace(`ca ${f('cert.pem')}`, `ca ${f('bundle.pem')}`));
    writeFileSync(
      f('client.conf'),
      ['client', 'dev null', 'proto udp', 'remote 127.0.0.1 1200', 'nobind', `ca ${f('cert.pem')}`, `cert ${f('ccert.pem')}`, `key ${f('ckey.pem')}`, 'pull-filter ignore "tun-mtu"', 'pull-filter ignore "ifconfig"', 'pull-filter ignore "route"', 'explicit-exit-notify 1', 'verb 3'].join('\n'),
    );
    server('ovplain', 'udp', 1194);
    server('ovauth', 'udp', 1196, `tls-auth ${f('ta.key')} 0`);
    server('ovcrypt', 'udp', 1197, `tls-crypt ${f('tc.key')}`);
    server('ovtcp', 'tcp-server', 1198);
    server('ovtcpc', 'tcp-server', 1199, `tls-crypt ${f('tc.key')}`);
    server('ov12', 'udp', 1201, 'tls-version-max 1.2');
    const ov = (o: string): string => `{ name: ov, kind: openvpn, host: 127.0.0.1, ${o} }`;
    const cases: Array<[string, number]> = [
      [ov('port: 1194'), 3000], // 0 plain UDP
      [ov(`port: 1196, tls_auth_file: ${f('ta.key')}, key_direction: 1`), 3000], // 1 tls-auth
      [ov(`port: 1196, tls_auth_file: ${f('ta.key')}, key_direction: 0`), 1500], // 2 wrong direction
      [ov(`port: 1196, tls_auth_file: ${f('other.key')}, key_direction: 1`), 1500], // 3 wrong key
      [ov(`port: 1197, tls_crypt_file: ${f('tc.key')}`), 3000], // 4 tls-crypt
      [ov(`port: 1197, tls_crypt_file: ${f('other.key')}`), 1500], // 5 wrong tls-crypt key
      [ov('port: 1196'), 1500], // 6 plain reset to a tls-auth server
      [ov('port: 1198, proto: tcp'), 3000], // 7 plain TCP
      [ov(`port: 1199, proto: tcp, tls_crypt_file: ${f('tc.key')}`), 3000], // 8 tls-crypt TCP
      [ov('port: 1195'), 1500], // 9 closed UDP port
      [ov('port: 1195, proto: tcp'), 1500], // 10 closed TCP port
    ];
    const deep: Array<[string, number]> = [
      [ov('port: 1200, deep: true'), 3000], // 18 ovcap with room again
      [ov(`port: 1194, deep: true, ca_file: ${f('cert.pem')}`), 3000], // 19 TLS 1.3, verified, expiring
      [ov(`port: 1194, deep: true, ca_file: ${f('ccert.pem')}`), 3000], // 20 another CA
      [ov(`port: 1199, proto: tcp, deep: true, tls_crypt_file: ${f('tc.key')}`), 3000], // 21 tls-crypt over TCP
      [ov(`port: 1196, deep: true, tls_auth_file: ${f('ta.key')}, key_direction: 1, cert_expiry_warning_days: 0`), 3000], // 22 tls-auth
      [ov(`port: 1201, deep: true, ca_file: ${f('cert.pem')}`), 3000], // 23 a TLS 1.2 server
      [ov(`port: 1201, deep: true, ca_file: ${f('ccert.pem')}`), 3000], // 24 TLS 1.2, another CA
    ];
    const run = join(process.cwd(), 'dist/test/integration/harness/runProbe.js');
    const servers = ['ovplain', 'ovauth', 'ovcrypt', 'ovtcp', 'ovtcpc', 'ov12', 'ovcap'];
    const cap = (extra = ''): string => `{ name: cap, kind: openvpn_capacity, servers: [{ host: 127.0.0.1, port: 7505, password: mgmt-secret, max_clients: 3 }]${extra} }`;
    /** Starts `n` more real clients against ovcap and waits until the server counts `total`. */
    const clients = (from: number, total: number): string =>
      [
        ...Array.from({ length: total - from }, (_, i) => `openvpn --config ${f('client.conf')} >${f(`client${from + i}.log`)} 2>&1 & PIDS="$PIDS $!"; LAST=$!`),
        `for i in $(seq 1 400); do [ "$(grep -l "Initialization Sequence Completed" ${f('client')}*.log 2>/dev/null | wc -l)" -ge ${total} ] && break; sleep 0.05; done`,
      ].join('\n');
    const script = [
      'set -e',
      'ip link set lo up',
      'PIDS=""',
      ...servers.map((s) => `openvpn --config ${f(`${s}.conf`)} >${f(`${s}.log`)} 2>&1 & PIDS="$PIDS $!"; PID_${s}=$!`),
      'trap \'st=$?; kill $PIDS 2>/dev/null || true; wait 2>/dev/null; exit $st\' EXIT',
      // Each server logs this once it listens.
      ...servers.map((s) => `for i in $(seq 1 200); do grep -q "Initialization Sequence Completed" ${f(`${s}.log`)} && break; sleep 0.05; done`),
      ...cases.map(([y, t]) => `${JSON.stringify(process.execPath)} ${run} '${y}' ${t}`),
      clients(0, 2), // 11: two of three slots
      `${JSON.stringify(process.execPath)} ${run} '${cap()}' 3000`,
      `${JSON.stringify(process.execPath)} ${run} '${cap(', warn_percent: 50')}' 3000`, // 12: a warning, not down
      clients(2, 3), // 13: full
      `${JSON.stringify(process.execPath)} ${run} '${cap()}' 3000`,
      `${JSON.stringify(process.execPath)} ${run} '${cap().replace('mgmt-secret', 'wrong')}' 3000`, // 14: wrong password
      // 15: the reset probe still gets an answer from the full server: it proves nothing about room.
      `${JSON.stringify(process.execPath)} ${run} '${ov('port: 1200')}' 3000`,
      // 16: the deep probe gets no answer to its ClientHello from the full server.
      `${JSON.stringify(process.execPath)} ${run} '${ov('port: 1200, deep: true')}' 1500`,
      // 17: a client leaves (explicit-exit-notify tells the server at once): capacity recovers.
      'kill $LAST',
      `for i in $(seq 1 200); do grep -q "client-instance exiting\\|SIGTERM\\[soft,remote-exit\\]\\|CLIENT_EXIT" ${f('ovcap.log')} && break; sleep 0.05; done`,
      'sleep 0.5',
      `${JSON.stringify(process.execPath)} ${run} '${cap()}' 3000`,
      // 18: and the deep probe is answered again; then the deep probe's other cases.
      ...deep.map(([y, t]) => `${JSON.stringify(process.execPath)} ${run} '${y}' ${t}`),
      // 25, 26: the tls-crypt server answers, then stops answering (SIGSTOP: as a firewall or a
      // stalled server would); the same probe instance says the key is right.
      `AGAIN_AFTER="kill -STOP $PID_ovcrypt" ${JSON.stringify(process.execPath)} ${run} '${ov(`port: 1197, tls_crypt_file: ${f('tc.key')}`)}' 1500`,
      'kill -CONT $PID_ovcrypt',
    ].join('\n');
    const r = spawnSync('unshare', ['-Urn', 'sh', '-c', script], { encoding: 'utf8', timeout: 90_000 });
    trace = `${r.stderr}\n${servers.map((s) => `${s}: ${readFileSync(f(`${s}.log`), 'utf8').slice(-600)}`).join('\n')}`;
    assert.equal(r.status, 0, `namespace script failed (${r.status}): ${r.stdout.split('\n').length} lines out; ${trace}`);
    results = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as ProbeResult);
    assert.equal(results.length, cases.length + 7 + deep.length + 2, r.stdout + trace);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('answers a plain reset over UDP, and says what an answer proves and what it does not', () => {
    assert.equal(results[0]!.up, true, `${results[0]!.summary}\n${trace}`);
    assert.match(results[0]!.summary, /^OpenVPN server answered the reset in \d+ ms \(plain\); alive and the key is right, which says nothing of free client slots$/);
  });

  it('tls-auth: the right key and direction is answered (HMAC verified); a wrong direction or key is silence, and the text says it cannot tell that from a down server', () => {
    assert.equal(results[1]!.up, true, results[1]!.summary);
    assert.match(results[1]!.summary, /\(tls-auth\)/);
    for (const r of [results[2]!, results[3]!]) {
      assert.equal(r.up, false);
      assert.match(r.summary, /^no answer to the reset within 1\.5 s: a wrong tls-auth key or key_direction looks the same as a server that is down/);
    }
    assert.match(results[6]!.summary, /^no answer to the reset within 1\.5 s: the server is down, filtered, or expects tls-auth\/tls-crypt/);
  });

  it('tls-crypt: the right key is answered (tag verified, decrypted); a wrong key is silence', () => {
    assert.equal(results[4]!.up, true, results[4]!.summary);
    assert.match(results[4]!.summary, /\(tls-crypt\)/);
    assert.match(results[5]!.summary, /^no answer to the reset within 1\.5 s: a wrong tls-crypt key looks the same as a server that is down/);
  });

  it('silence after the same tls-crypt key was answered says the key is right and since when it is silent (issue 21 §3)', () => {
    const [answered, silent] = results.slice(-2);
    assert.equal(answered!.up, true, answered!.summary);
    assert.equal(silent!.up, false);
    assert.match(silent!.summary, /^no answer to the reset within 1\.5 s: the same tls-crypt key was answered \d+ m?s ago, so the key is right: the server, its firewall or the path stopped answering \(silent since \d\d:\d\d:\d\d UTC\)$/);
  });

  it('TCP with its 2-byte length prefix, plain and tls-crypt; the connect phase is measured', () => {
    for (const r of [results[7]!, results[8]!]) {
      assert.equal(r.up, true, r.summary);
      assert.match(r.summary, /, TCP\)/);
      assert.ok(r.phases.connect !== undefined);
    }
  });

  it('a closed port: ICMP port unreachable over UDP, connection refused over TCP', () => {
    assert.equal(results[9]!.summary, 'UDP 127.0.0.1:1195: ICMP port unreachable: nothing listens on that port');
    assert.equal(results[10]!.summary, 'TCP 127.0.0.1:1195: connection refused: nothing listens there');
  });

  it('capacity from the management interface (with its password): clients against max-clients, down when nearly full, a warning from warn_percent', () => {
    assert.equal(results[11]!.up, true, `${results[11]!.summary}\n${trace}`);
    assert.match(results[11]!.summary, /^2 of 3 clients \(67 % of max-clients\); management answered in \d+ ms$/);
    assert.equal(results[12]!.up, true);
    assert.equal(results[12]!.warning, 'OpenVPN at 67 % of max-clients (2 of 3)');
    assert.equal(results[13]!.up, false);
    assert.match(results[13]!.summary, /^OpenVPN nearly full: 3 of 3 clients \(100 % of max-clients\): full now; new clients are refused at max-clients$/);
    assert.equal(results[14]!.summary, 'management interface of 127.0.0.1:7505: the management interface refused the password');
  });

  it('a full 2.6 server still answers the reset (which is why capacity is its own probe)', () => {
    assert.equal(results[15]!.up, true, results[15]!.summary);
  });

  it('a client leaving brings capacity back below the thresholds', () => {
    assert.equal(results[17]!.up, true, `${results[17]!.summary}\n${trace}`);
    assert.match(results[17]!.summary, /^2 of 3 clients \(67 % of max-clients\)/);
  });

  it('deep: the full server answers the reset but not the TLS ClientHello; with a slot free again it shows its certificate', () => {
    assert.equal(results[16]!.up, false, results[16]!.summary);
    assert.match(results[16]!.summary, /^OpenVPN server answered the reset in \d+ ms \(plain\), then no answer to the TLS ClientHello within 1\.5 s: the server is full \(at max-clients it drops new sessions silently\)/);
    assert.equal(results[16]!.phases.tls !== undefined && results[16]!.phases.firstByte !== undefined, true);
    assert.equal(results[18]!.up, true, `${results[18]!.summary}\n${trace}`);
    assert.match(results[18]!.summary, /and TLS \(TLSv1\.3\) in \d+ ms: certificate CN=vpn-test from CN=vpn-test, valid until \d{4}-\d\d-\d\d; the server has room for a client$/);
    // The probe has no client certificate: the server fails the handshake and frees the slot at once.
    assert.match(readFileSync(join(dir, 'ovcap.log'), 'utf8'), /TLS Error: TLS handshake failed/);
  });

  it('deep: the certificate is verified against ca_file, and one about to expire is a warning', () => {
    const ok = results[19]!;
    assert.equal(ok.up, true, ok.summary);
    assert.match(ok.summary, /^OpenVPN server answered the reset in \d+ ms \(plain\) and TLS \(TLSv1\.3\) in \d+ ms: certificate CN=vpn-test from CN=vpn-test, valid until \d{4}-\d\d-\d\d \(verified against ca_file\); the server has room for a client$/);
    assert.match(ok.warning ?? '', /^OpenVPN server certificate expires in [01] day\(s\) \(\d{4}-\d\d-\d\d\)$/);
    assert.equal(ok.values['cert_subject'], 'CN=vpn-test');
    assert.equal(ok.values['tls_version'], 'TLSv1.3');
    assert.equal(results[20]!.up, false);
    assert.match(results[20]!.summary, /but the certificate CN=vpn-test from CN=vpn-test, valid until [\d-]+ does not verify against ca_file: /);
  });

  it('deep: over tls-crypt and TCP, and over tls-auth (no warning when cert_expiry_warning_days is 0)', () => {
    assert.equal(results[21]!.up, true, results[21]!.summary);
    assert.match(results[21]!.summary, /\(tls-crypt, TCP\) and TLS \(TLSv1\.3\)/);
    assert.equal(results[22]!.up, true, results[22]!.summary);
    assert.match(results[22]!.summary, /\(tls-auth\) and TLS \(TLSv1\.3\)/);
    assert.equal(results[22]!.warning, undefined);
  });

  it('deep: a TLS 1.2 server, which ends the handshake after showing its certificate: the certificate is still read and verified', () => {
    assert.equal(results[23]!.up, true, results[23]!.summary);
    assert.match(results[23]!.summary, /and TLS \(TLSv1\.2\) in \d+ ms: certificate CN=vpn-test .* \(verified against ca_file\)/);
    assert.equal(results[24]!.up, false);
    assert.match(results[24]!.summary, /does not verify against ca_file: no chain from the certificate to a CA in ca_file$/);
  });
});
