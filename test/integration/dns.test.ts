import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from '../../src/app.js';
import type { ProbeResult } from '../../src/probes/probe.js';
import { createProbe } from '../../src/probes/registry.js';
import { Dnsmasq } from './harness/dnsmasq.js';
import { probeConfig, standaloneProbeDeps } from './harness/probeDeps.js';
import { IrcPeer, plain } from './harness/ircPeer.js';
import { startInProcess, testConfigYaml } from './harness/lifeline.js';
import { Ngircd } from './harness/ngircd.js';
import { freePort, tempDir, waitFor } from './harness/procs.js';

/** Runs one dns probe (a YAML flow mapping's keys after `kind: dns`) once; its wall time too. */
async function dnsOnce(keys: string, timeoutMs = 2_000): Promise<ProbeResult & { wallMs: number }> {
  const probe = await createProbe(probeConfig(`{ name: d, kind: dns, ${keys} }`), standaloneProbeDeps());
  const t0 = performance.now();
  const r = await probe.run({ signal: AbortSignal.timeout(timeoutMs), timeoutMs, nowMs: Date.now() });
  return { ...r, wallMs: performance.now() - t0 };
}

/** "in 3 ms" as the evidence says it (any duration). */
const IN = 'in \\d+ ms';

describe('dns probe against dnsmasq on loopback (integration)', function () {
  this.timeout(60_000);
  let dns: Dnsmasq;
  let validating: Dnsmasq;
  let at: string;

  before(async () => {
    dns = await Dnsmasq.start([
      // Names under lifeline.test are answered from here or are NXDOMAIN; any other name is
      // REFUSED (this dnsmasq has no upstream).
      '--local=/lifeline.test/',
      '--local-ttl=300',
      '--host-record=portal.lifeline.test,127.0.0.2,::2',
      '--host-record=portal.lifeline.test,127.0.0.3',
      '--host-record=short.lifeline.test,127.0.0.5,30',
      '--cname=www.lifeline.test,portal.lifeline.test',
      '--txt-record=lifeline.test,v=spf1 -all',
      '--mx-host=lifeline.test,mx.lifeline.test,10',
      '--srv-host=_imaps._tcp.lifeline.test,mx.lifeline.test,993,5,10',
    ]);
    validating = await Dnsmasq.start(['--host-record=ok.lifeline.test,127.0.0.7'], 'fail.test');
    at = `resolver: "${dns.address}"`;
  });
  after(async () => {
    await dns?.stop();
    await validating?.stop();
  });

  it('A with the expected answers: up, with the answers, TTL and time in words', async () => {
    const r = await dnsOnce(`query: portal.lifeline.test, ${at}, expect: [127.0.0.2, 127.0.0.3]`);
    assert.ok(r.up, r.summary);
    assert.match(r.summary, new RegExp(`^127\\.0\\.0\\.2, 127\\.0\\.0\\.3 \\(TTL 300\\) ${IN}$`));
    assert.deepEqual({ rcode: r.values['rcode'], answers: r.values['answers'], ttl: r.values['ttl'] }, { rcode: 'NOERROR', answers: 2, ttl: 300 });
    assert.ok(r.phases.dns !== undefined && r.phases.total !== undefined);
    const probe = await createProbe(probeConfig(`{ name: d, kind: dns, query: portal.lifeline.test, ${at} }`), standaloneProbeDeps());
    assert.equal(probe.target, `A portal.lifeline.test via ${dns.address}`);
  });

  it('without resolver: the first nameserver of /etc/resolv.conf, named in the evidence', function () {
    // In a user, mount and network namespace of its own: a resolv.conf naming 127.0.0.1 bound over
    // /etc/resolv.conf, and dnsmasq on port 53 of the namespace's own loopback (as the namespace's
    // root: `--user= --group=`, as it cannot change to nobody there).
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-dns-'));
    writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\n');
    const script = [
      'set -e',
      'ip link set lo up',
      `mount --bind ${dir}/resolv.conf /etc/resolv.conf`,
      '/usr/sbin/dnsmasq --keep-in-foreground --port=53 --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts --conf-file=/dev/null --pid-file= --user= --group= --host-record=sys.lifeline.test,127.0.0.4 & DM=$!',
      'trap "kill $DM" EXIT',
      'for i in $(seq 1 100); do ss -lun | grep -q "127.0.0.1:53 " && break; sleep 0.05; done',
      `${process.execPath} ${join(process.cwd(), 'dist/test/integration/harness/runProbe.js')} '{ name: d, kind: dns, query: sys.lifeline.test, expect: [127.0.0.4] }' 2000`,
    ].join('\n');
    try {
      const r = spawnSync('unshare', ['-Urmn', 'sh', '-c', script], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      const result = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as ProbeResult;
      assert.ok(result.up, result.summary);
      assert.match(result.summary, new RegExp(`^127\\.0\\.0\\.1:53: 127\\.0\\.0\\.4 \\(TTL 0\\) ${IN}$`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an expected answer missing is down and named; any and exact compare as documented', async () => {
    const missing = await dnsOnce(`query: portal.lifeline.test, ${at}, expect: [127.0.0.2, 127.0.0.4]`);
    assert.equal(missing.up, false);
    assert.match(missing.summary, new RegExp(`^127\\.0\\.0\\.2, 127\\.0\\.0\\.3 \\(TTL 300\\) ${IN}; expected 127\\.0\\.0\\.4 missing$`));
    assert.ok((await dnsOnce(`query: portal.lifeline.test, ${at}, expect: [127.0.0.2, 127.0.0.4], expect_match: any`)).up);
    const none = await dnsOnce(`query: portal.lifeline.test, ${at}, expect: [127.0.0.4, 127.0.0.6], expect_match: any`);
    assert.equal(none.up, false);
    assert.match(none.summary, /; none of the expected 127\.0\.0\.4, 127\.0\.0\.6$/);
    const extra = await dnsOnce(`query: portal.lifeline.test, ${at}, expect: [127.0.0.2], expect_match: exact`);
    assert.equal(extra.up, false);
    assert.match(extra.summary, /; unexpected 127\.0\.0\.3$/);
    assert.ok((await dnsOnce(`query: portal.lifeline.test, ${at}, expect: [127.0.0.3, 127.0.0.2], expect_match: exact`)).up);
  });

  it('NXDOMAIN, REFUSED and an empty answer are each named as such', async () => {
    const nx = await dnsOnce(`query: gone.lifeline.test, ${at}`);
    assert.equal(nx.up, false);
    assert.match(nx.summary, new RegExp(`^NXDOMAIN \\(the name does not exist\\) ${IN}$`));
    assert.equal(nx.values['rcode'], 'NXDOMAIN');
    const refused = await dnsOnce(`query: portal.example.org, ${at}`);
    assert.equal(refused.up, false);
    assert.match(refused.summary, new RegExp(`^REFUSED \\(the resolver will not answer this query for Lifeline\\) ${IN}$`));
    const nodata = await dnsOnce(`query: short.lifeline.test, record: AAAA, ${at}`);
    assert.equal(nodata.up, false);
    assert.match(nodata.summary, new RegExp(`^no AAAA record \\(NOERROR, empty answer: the name exists without one\\) ${IN}$`));
  });

  it('SERVFAIL from a validating resolver whose upstream answers unsigned is named as such; its own names still answer', async () => {
    const r = await dnsOnce(`query: www.fail.test, resolver: "${validating.address}"`);
    assert.equal(r.up, false);
    assert.match(r.summary, new RegExp(`^SERVFAIL \\(the resolver could not get an answer: .*\\) ${IN}$`));
    assert.equal(r.values['rcode'], 'SERVFAIL');
    assert.ok((await dnsOnce(`query: ok.lifeline.test, resolver: "${validating.address}", expect: [127.0.0.7]`)).up);
  });

  it('a resolver that reads the query and never answers: a timeout named as such, within the probe timeout', async () => {
    const sink = dgram.createSocket('udp4');
    let seen = 0;
    sink.on('message', () => seen++);
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
    const silent = `127.0.0.1:${sink.address().port}`;
    try {
      for (const timeoutMs of [800, 2_500]) {
        const r = await dnsOnce(`query: portal.lifeline.test, resolver: "${silent}"`, timeoutMs);
        assert.equal(r.up, false);
        assert.equal(r.summary, `no answer within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${(timeoutMs / 1000).toFixed(1)} s`} (timeout)`);
        assert.equal(r.values['rcode'], 'timeout');
        // c-ares alone overshoots its timeout (3 s took 4 s); the probe's deadline ends the run.
        assert.ok(r.wallMs < timeoutMs + 250, `took ${r.wallMs.toFixed(0)} ms with a ${timeoutMs} ms timeout`);
      }
      assert.ok(seen >= 2, `the silent resolver saw ${seen} queries`);
      // A deadline already over when the run starts (a run dequeued late): at once, not after c-ares's own timeout.
      const probe = await createProbe(probeConfig(`{ name: d, kind: dns, query: portal.lifeline.test, resolver: "${silent}" }`), standaloneProbeDeps());
      const t0 = performance.now();
      const late = await probe.run({ signal: AbortSignal.abort(), timeoutMs: 2_000, nowMs: Date.now() });
      assert.equal(late.summary, 'no answer within 2.0 s (timeout)');
      assert.ok(performance.now() - t0 < 200, `took ${(performance.now() - t0).toFixed(0)} ms`);
    } finally {
      sink.close();
    }
  });

  it('nothing listening at the resolver address: port unreachable; a stopped resolver never gives its last answer again (no cache)', async () => {
    const gone = `127.0.0.1:${await freePort()}`;
    const r = await dnsOnce(`query: portal.lifeline.test, resolver: "${gone}"`);
    assert.equal(r.up, false);
    assert.match(r.summary, new RegExp(`^port unreachable \\(nothing listening there\\) ${IN}$`));
    const once = await Dnsmasq.start(['--host-record=cache.lifeline.test,127.0.0.8']);
    try {
      const probe = await createProbe(probeConfig(`{ name: d, kind: dns, query: cache.lifeline.test, resolver: "${once.address}" }`), standaloneProbeDeps());
      const run = (): Promise<ProbeResult> => probe.run({ signal: AbortSignal.timeout(1_000), timeoutMs: 1_000, nowMs: Date.now() });
      assert.ok((await run()).up);
      await once.stop();
      const after = await run();
      assert.equal(after.up, false, after.summary);
      assert.match(after.summary, /port unreachable \(nothing listening there\)/);
    } finally {
      await once.stop();
    }
  });

  it('CNAME: the target, compared without case or trailing dot; an A query follows it', async () => {
    const r = await dnsOnce(`query: www.lifeline.test, record: CNAME, ${at}, expect: [PORTAL.lifeline.test.]`);
    assert.ok(r.up, r.summary);
    assert.match(r.summary, new RegExp(`^portal\\.lifeline\\.test ${IN}$`));
    const wrong = await dnsOnce(`query: www.lifeline.test, record: CNAME, ${at}, expect: [proxy.lifeline.test]`);
    assert.equal(wrong.up, false);
    assert.match(wrong.summary, /^portal\.lifeline\.test in \d+ ms; expected proxy\.lifeline\.test missing$/);
    assert.ok((await dnsOnce(`query: www.lifeline.test, ${at}, expect: [127.0.0.2, 127.0.0.3]`)).up);
  });

  it('TXT, MX and SRV answers in words, with expect', async () => {
    const txt = await dnsOnce(`query: lifeline.test, record: TXT, ${at}, expect: ["v=spf1 -all"]`);
    assert.ok(txt.up, txt.summary);
    assert.match(txt.summary, new RegExp(`^"v=spf1 -all" ${IN}$`));
    const badTxt = await dnsOnce(`query: lifeline.test, record: TXT, ${at}, expect: ["v=spf1 mx -all"]`);
    assert.equal(badTxt.up, false);
    assert.match(badTxt.summary, /; expected v=spf1 mx -all missing$/);
    const mx = await dnsOnce(`query: lifeline.test, record: MX, ${at}, expect: [mx.lifeline.test]`);
    assert.ok(mx.up, mx.summary);
    assert.match(mx.summary, /^10 mx\.lifeline\.test in \d+ ms$/);
    assert.ok((await dnsOnce(`query: lifeline.test, record: MX, ${at}, expect: ["10 mx.lifeline.test"]`)).up);
    assert.equal((await dnsOnce(`query: lifeline.test, record: MX, ${at}, expect: ["20 mx.lifeline.test"]`)).up, false);
    const srv = await dnsOnce(`query: _imaps._tcp.lifeline.test, record: SRV, ${at}, expect: ["5 10 993 mx.lifeline.test"]`);
    assert.ok(srv.up, srv.summary);
    assert.match(srv.summary, /^5 10 993 mx\.lifeline\.test in \d+ ms$/);
  });

  it('TTL bounds: below min_ttl and above max_ttl are down and named; within them up', async () => {
    const low = await dnsOnce(`query: short.lifeline.test, ${at}, min_ttl: 60`);
    assert.equal(low.up, false);
    assert.match(low.summary, new RegExp(`^127\\.0\\.0\\.5 \\(TTL 30\\) ${IN}; TTL 30 s below min_ttl 60 s$`));
    const high = await dnsOnce(`query: portal.lifeline.test, ${at}, max_ttl: 120`);
    assert.equal(high.up, false);
    assert.match(high.summary, /\(TTL 300\) in \d+ ms; TTL 300 s above max_ttl 120 s$/);
    assert.ok((await dnsOnce(`query: portal.lifeline.test, ${at}, min_ttl: 60, max_ttl: 300`)).up);
  });

  it('AAAA: addresses compared in any spelling, with their TTL', async () => {
    const r = await dnsOnce(`query: portal.lifeline.test, record: AAAA, ${at}, expect: ["0:0::0:2"]`);
    assert.ok(r.up, r.summary);
    assert.match(r.summary, new RegExp(`^::2 \\(TTL 300\\) ${IN}$`));
    const wrong = await dnsOnce(`query: portal.lifeline.test, record: AAAA, ${at}, expect: ["::3"]`);
    assert.equal(wrong.up, false);
    assert.match(wrong.summary, /; expected ::3 missing$/);
  });

  it('end to end: the ProbeDown alert in IRC names the question and the resolver, then the rcode in words (as the README says)', async () => {
    const ircd = await Ngircd.start();
    const tmp = tempDir('dns-e2e');
    const port = await freePort();
    const extra = `probes:\n  interval: 1s\n  timeout: 1s\n  failures_to_open: 2\n  targets:\n    - { name: portal-dns, kind: dns, query: gone.lifeline.test, ${at} }\n`;
    let app: App | undefined;
    const peer = await IrcPeer.connect(ircd.port, 'watcher');
    try {
      app = await startInProcess(testConfigYaml({ httpPort: port, dbPath: `${tmp.dir}/e2e.db`, irc: { port: ircd.port, bouncer: 'none' }, extra }));
      const line = await waitFor('the probe alert in IRC', () => peer.from('lifeline').find((m) => plain(m.text).includes('ProbeDown')), 20_000);
      const esc = dns.address.replace(/\./g, '\\.');
      assert.match(plain(line.text), new RegExp(`^\\[FIRING\\] critical ProbeDown portal-dns: portal-dns \\(A gone\\.lifeline\\.test via ${esc}\\) is down: NXDOMAIN \\(the name does not exist\\) ${IN}`));
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(metrics, /lifeline_probe_success\{probe="portal-dns",kind="dns"\} 0/);
    } finally {
      peer.close();
      await app?.stop();
      await ircd.destroy();
      tmp.remove();
    }
  });
});
