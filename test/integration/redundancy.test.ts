import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Step {
  incidents: Array<{ id: number; fingerprint: string; title: string; severity: string; state: string; summary: string }>;
  mails: Array<{ subject: string; text: string }>;
  summaries: Record<string, string>;
}

/**
 * A multi-node VPN as a redundancy group, end to end: two real openvpn 2.6 nodes and a portal,
 * Lifeline probing them and paging by email through a real SMTP server. All of it runs in a
 * network namespace the test makes (`unshare -Urn`: fixed VPN ports and their tun devices clash
 * with nothing on the host) by harness/redundancyInside.ts, which stops and restarts the nodes and
 * reports what Lifeline did after each step.
 */
describe('redundancy group: portal + 2 OpenVPN nodes, one incident per group (integration)', function () {
  this.timeout(150_000);
  let dir: string;
  let steps: Record<string, Step>;
  let out = '';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lifeline-redundancy-'));
    const f = (n: string): string => join(dir, n);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('vpn-key.pem'), '-out', f('vpn-cert.pem'), '-days', '2', '-subj', '/CN=vpn-node'], { stdio: 'ignore' });
    for (const [name, port] of [['node-1', 1194], ['node-2', 1195]] as const) {
      writeFileSync(
        f(`${name}.conf`),
        ['mode server', 'tls-server', 'dev-type tun', `dev ovr${port}`, 'ifconfig-noexec', 'disable-dco', 'dh none', 'local 127.0.0.1', 'proto udp', `port ${port}`, `ca ${f('vpn-cert.pem')}`, `cert ${f('vpn-cert.pem')}`, `key ${f('vpn-key.pem')}`, 'topology subnet', `ifconfig 10.98.${port % 100}.1 255.255.255.0`, `ifconfig-pool 10.98.${port % 100}.2 10.98.${port % 100}.100`, 'verb 3'].join('\n'),
      );
    }
    const script = `ip link set lo up\n${JSON.stringify(process.execPath)} ${join(process.cwd(), 'dist/test/integration/harness/redundancyInside.js')} ${dir}`;
    const r = spawnSync('unshare', ['-Urn', 'sh', '-c', script], { encoding: 'utf8', timeout: 120_000 });
    out = `${r.stdout}\n${r.stderr.slice(-3000)}`;
    assert.equal(r.status, 0, out);
    const res = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as { ok: boolean; error?: string; steps: Record<string, Step> };
    steps = res.steps;
    assert.equal(res.ok, true, `${res.error}\n${JSON.stringify(res.steps, null, 1)}`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('one node down: one warning incident naming the node still serving, paged once; the member opens none of its own', () => {
    const s = steps['node2_down']!;
    assert.equal(s.incidents.length, 1, JSON.stringify(s.incidents));
    const inc = s.incidents[0]!;
    assert.equal(inc.fingerprint, 'redundancy:vpn');
    assert.equal(inc.severity, 'warning');
    assert.equal(s.mails.length, 1, JSON.stringify(s.mails));
    assert.match(s.mails[0]!.subject, /VpnRedundancy/);
    assert.match(s.mails[0]!.text, /VPN vpn: redundancy lost: node-2 of 2 down, VPN still served by node-1; node-2 \(vpn2-openvpn: UDP 127\.0\.0\.1:1195: ICMP port unreachable: nothing listens on that port\)/);
  });

  it('both down: the same incident turns critical and pages again at once', () => {
    const s = steps['both_down']!;
    assert.equal(s.incidents.length, 1, JSON.stringify(s.incidents));
    assert.equal(s.incidents[0]!.severity, 'critical');
    assert.equal(s.mails.length, 2, JSON.stringify(s.mails));
    assert.match(s.mails[1]!.subject, /CRITICAL/);
    assert.match(s.mails[1]!.text, /VPN vpn down: quorum lost, 0 of 2 nodes up/);
  });

  it('both back: the first node back is told (quorum holds again, no longer critical), then the incident resolves and the one paged gets the resolved notice', () => {
    const s = steps['recovered']!;
    assert.equal(s.incidents.length, 1);
    assert.equal(s.incidents[0]!.state, 'resolved');
    assert.equal(s.mails.length, 4, JSON.stringify(s.mails));
    assert.match(s.mails[2]!.subject, /^\[WARNING\] VpnRedundancy vpn - no longer critical - ack [2-9A-Z]{4}$/);
    assert.match(s.mails[2]!.text, /VPN still served by node-\d/);
    assert.match(s.mails[3]!.subject, /resolved/i);
  });

  it('the portal down with both nodes up: its own message (a new warning incident; its page waits for the bundle window)', () => {
    const s = steps['portal_down']!;
    assert.equal(s.incidents.length, 2);
    const inc = s.incidents[1]!;
    assert.equal(inc.fingerprint, 'redundancy:vpn');
    assert.equal(inc.severity, 'warning');
    assert.equal(inc.state, 'open');
    assert.match(inc.summary, /new clients cannot get configs; all 2 nodes up, connected clients are served/);
  });
});
