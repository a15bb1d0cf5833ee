/**
 * The redundancy-group scenario, run inside the network namespace test/integration/redundancy.test.ts
 * makes: `node redundancyInside.js DIR` with DIR holding node-1.conf and node-2.conf (openvpn 2.6
 * UDP servers on 127.0.0.1:1194 and :1195). Starts a real SMTP server, a portal (a plain HTTP
 * server), both VPN nodes and Lifeline in this process (probes every second at the default
 * damping: 3 failures to open, 2 successes to resolve; one policy: email at once). Then:
 * node-2 stops, node-1 stops, both come back, the portal stops. After each step it waits for
 * what Lifeline should do and records the incidents table and the mails; prints one JSON line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { selfSignedCert } from './certs.js';
import { startInProcess, testConfigYaml } from './lifeline.js';
import { aliceEmailYaml } from './paging.js';
import { freePort, waitFor } from './procs.js';
import { SmtpSink } from './smtpSink.js';

const dir = process.argv[2] as string;
const cert = selfSignedCert(dir);
const smtp = await SmtpSink.start(cert);
const portal = createServer((_req, res) => res.end('Download your VPN config'));
await new Promise<void>((r) => portal.listen(0, '127.0.0.1', r));

/** An openvpn server, resolved once it logs that it is ready. */
function node(name: string): Promise<ChildProcess> {
  const p = spawn('openvpn', ['--config', join(dir, `${name}.conf`)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`${name} did not start: ${out.slice(-500)}`)), 10_000);
    p.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Initialization Sequence Completed')) {
        clearTimeout(t);
        resolve(p);
      }
    });
  });
}
async function stop(p: ChildProcess): Promise<void> {
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await gone;
}

const nodes = { n1: await node('node-1'), n2: await node('node-2') };
const ov = (name: string, port: number): string => `    - { name: ${name}, kind: openvpn, host: 127.0.0.1, port: ${port} }`;
const app = await startInProcess(
  testConfigYaml({
    httpPort: await freePort(),
    dbPath: join(dir, 'lifeline.db'),
    extra: `${aliceEmailYaml({ smtpPort: smtp.port, caFile: cert.certFile, phone: null })}escalation:
  policies:
    - { name: email-now, steps: [{ after: 0s, notify: [email] }] }
probes:
  interval: 1s
  timeout: 1s
  targets:
    - { name: vpn-portal, kind: http, url: "http://127.0.0.1:${(portal.address() as AddressInfo).port}/", body_regex: "Download" }
${ov('vpn1-openvpn', 1194)}
${ov('vpn2-openvpn', 1195)}
  redundancy:
    - name: vpn
      portal: vpn-portal
      quorum: 1
      nodes:
        - { name: node-1, probes: [vpn1-openvpn] }
        - { name: node-2, probes: [vpn2-openvpn] }
`,
  }),
);

interface Incident {
  id: number;
  fingerprint: string;
  title: string;
  severity: string;
  state: string;
  summary: string;
}
const incidents = (): Incident[] => app.db.prepare("SELECT id, fingerprint, title, severity, state, json_extract(labels, '$.summary') AS summary FROM incidents ORDER BY id").all() as Incident[];
const mails = (): Array<{ subject: string; text: string }> => smtp.received.map((m) => ({ subject: m.mail.subject ?? '', text: m.mail.text ?? '' }));
const steps: Record<string, { incidents: Incident[]; mails: Array<{ subject: string; text: string }>; summaries: Record<string, string> }> = {};
const record = (step: string): void => {
  steps[step] = { incidents: incidents(), mails: mails(), summaries: Object.fromEntries(app.probes.status().map((p) => [p.name, p.last?.summary ?? ''])) };
};

try {
  await waitFor('every member up', () => app.probes.status().every((p) => p.status === 'up'), 15_000, 100);
  record('up');

  await stop(nodes.n2);
  await waitFor('a mail about the group', () => smtp.received.length >= 1, 20_000, 100);
  await new Promise((r) => setTimeout(r, 1500)); // anything else that would come, comes now
  record('node2_down');

  await stop(nodes.n1);
  await waitFor('the group critical and paged again', () => incidents()[0]?.severity === 'critical' && smtp.received.length >= 2, 20_000, 100);
  await new Promise((r) => setTimeout(r, 1500));
  record('both_down');

  nodes.n1 = await node('node-1');
  nodes.n2 = await node('node-2');
  // Four mails by then: the warning, the critical page, "no longer critical" when the first node is back, "resolved".
  await waitFor('the incident resolved and the notice sent', () => incidents()[0]?.state === 'resolved' && smtp.received.length >= 4, 20_000, 100);
  await new Promise((r) => setTimeout(r, 1500));
  record('recovered');

  await new Promise<void>((r) => portal.close(() => r()));
  portal.closeAllConnections();
  // Its page waits for alice's bundle window (2 min by default: she was paged seconds ago).
  await waitFor('a new incident for the portal', () => incidents().length >= 2, 20_000, 100);
  record('portal_down');
  process.stdout.write(`${JSON.stringify({ ok: true, steps })}\n`);
} catch (err) {
  record('failed');
  process.stdout.write(`${JSON.stringify({ ok: false, error: String(err), steps })}\n`);
} finally {
  await app.stop();
  await smtp.stop();
  for (const p of Object.values(nodes)) if (p.exitCode === null) await stop(p);
}
process.exit(0);
