import { FLOOD_PROFILES, floodProfile } from '../../../src/notifiers/irc/pacing.js';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { loadConfig, parseConfig } from '../../../src/config/load.js';
import { problems } from './configProblems.js';
import { configJsonSchema } from '../../../src/config/schema.js';
import { LifelineError } from '../../../src/errors.js';


const IRC = `irc:
  host: bouncer.example
  nick: lifeline
  channels:
    - name: "#alerts"
`;

describe('config loading', () => {
  it('gives working defaults for an empty file', () => {
    const c = parseConfig('', 'empty.yaml', {});
    assert.equal(c.http.port, 9095);
    assert.equal(c.http.body_limit, 1024 * 1024);
    assert.equal(c.routes[0]?.console, true);
    assert.equal(c.irc, undefined);
  });

  it('fills IRC defaults: TLS verified, a frozen bouncer found within 30 s, paced by the bouncer profile', () => {
    const c = parseConfig(IRC, 'c.yaml', {});
    assert.equal(c.irc?.tls, true);
    assert.equal(c.irc?.tls_verify, true);
    assert.ok((c.irc?.ping_interval ?? 0) + (c.irc?.ping_timeout ?? 0) <= 30_000);
    assert.equal(c.irc?.flood.burst, undefined, 'unset: the bouncer profile decides');
    assert.deepEqual(floodProfile(c.irc!), FLOOD_PROFILES[c.irc!.bouncer]);
    const z = parseConfig(`${IRC}  bouncer: znc\n`, 'c.yaml', {});
    assert.deepEqual(floodProfile(z.irc!), { burst: 4, linesPerSecond: 0.45 }, '10 % under the 0.5 line/s ZNC forwards');
    const tuned = parseConfig(`${IRC}  bouncer: znc\n  flood: { lines_per_second: 2 }\n`, 'c.yaml', {});
    assert.deepEqual(floodProfile(tuned.irc!), { burst: 4, linesPerSecond: 2 });
  });

  it('returns a deeply frozen object', () => {
    const c = parseConfig(IRC, 'c.yaml', {});
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.irc) && Object.isFrozen(c.irc?.channels));
    assert.throws(() => {
      (c.http as { port: number }).port = 1;
    }, TypeError);
  });

  it('never echoes a secret, whatever its type: an unquoted numeric password names the key only (issue 7.9)', () => {
    const out = problems(`${IRC}  password: 42424819\nemail:\n  host: smtp.example.org\n  from: l@example.org\n  password: true\nsms:\n  account_sid: AC${'0'.repeat(32)}\n  auth_token: 31337\n  from: "+15005550006"\n`);
    assert.ok(out.includes('irc.password: expected string, got a number (value not shown: it is a secret; quote it in YAML)'), out.join('\n'));
    assert.ok(out.some((p) => p.startsWith('email.password: expected string, got a boolean (value not shown')), out.join('\n'));
    assert.ok(out.some((p) => p.startsWith('sms.auth_token: expected string, got a number (value not shown')), out.join('\n'));
    for (const secret of ['42424819', 'true', '31337']) assert.ok(!out.join('\n').includes(secret), `${secret} echoed: ${out.join('\n')}`);
    assert.ok(problems(`${IRC}  port: "x"\n`).some((p) => p.includes('got string "x"')), 'other keys still show what was given');
  });

  it('a memory probe reads node_exporter (url) or Prometheus (prometheus and instance), and says so when given neither, both or half', () => {
    const mem = (keys: string): string[] => problems(`${IRC}probes:\n  targets:\n    - { name: m, kind: memory${keys} }\n`);
    assert.ok(mem('').includes('probes.targets[0] (m).url: a memory probe needs url (node_exporter\'s metrics URL, e.g. http://bouncer-1:9100/metrics) or prometheus and instance'), mem('').join('\n'));
    assert.ok(mem(', url: "http://h:9100/metrics", prometheus: "http://p:9090", instance: "h:9100"').some((p) => p.startsWith('probes.targets[0] (m).url: give either url')));
    assert.ok(mem(', prometheus: "http://p:9090"').some((p) => p.startsWith('probes.targets[0] (m).instance: reading memory via PromQL needs both')));
    const ok = parseConfig(`${IRC}probes:\n  targets:\n    - { name: m, kind: memory, prometheus: "http://p:9090", instance: "h:9100" }\n`, 'c.yaml', {});
    assert.equal(ok.probes.targets[0]!.kind, 'memory');
  });

  it('an http probe with a body needs a method that carries one (got refuses a GET or HEAD with a body on every run)', () => {
    const web = (keys: string): string[] => problems(`${IRC}probes:\n  targets:\n    - { name: w, kind: http, url: "http://h/", body: "{}"${keys} }\n`);
    assert.ok(web('').includes('probes.targets[0] (w).body: a GET or HEAD request carries no body: set method: POST (or PUT), or remove body'), web('').join('\n'));
    assert.ok(web(', method: HEAD').some((p) => p.startsWith('probes.targets[0] (w).body: a GET or HEAD request')));
    assert.equal(parseConfig(`${IRC}probes:\n  targets:\n    - { name: w, kind: http, url: "http://h/", body: "{}", method: POST }\n`, 'c.yaml', {}).probes.targets[0]!.kind, 'http');
  });

  it('a dns probe checks its resolver, expected answers and TTL bounds against the record type, naming the key and the fix', () => {
    const dns = (keys: string): string[] => problems(`${IRC}probes:\n  targets:\n    - { name: d, kind: dns, query: portal.example.org${keys} }\n`);
    const ok = (keys: string) => parseConfig(`${IRC}probes:\n  targets:\n    - { name: d, kind: dns, query: portal.example.org${keys} }\n`, 'c.yaml', {}).probes.targets[0]!;
    assert.ok(dns(', resolver: ns1.example.org').some((p) => p.startsWith('probes.targets[0] (d).resolver: expected the resolver\'s IP address')), dns(', resolver: ns1.example.org').join('\n'));
    for (const r of ['192.0.2.53', '127.0.0.1:5353', '[2001:db8::53]:53', '::1']) assert.equal(ok(`, resolver: "${r}"`).kind, 'dns', r);
    assert.ok(dns(', resolver: "127.0.0.1:70000"').some((p) => p.startsWith('probes.targets[0] (d).resolver:')));
    assert.ok(dns(', expect: [2001:db8::1]').includes('probes.targets[0] (d).expect[0]: expected an IPv4 address for record A, e.g. 192.0.2.10 (got "2001:db8::1")'), dns(', expect: [2001:db8::1]').join('\n'));
    assert.ok(dns(', record: AAAA, expect: [192.0.2.1]').some((p) => p.startsWith('probes.targets[0] (d).expect[0]: expected an IPv6 address for record AAAA')));
    assert.ok(dns(', record: TXT, max_ttl: 60').includes('probes.targets[0] (d).max_ttl: max_ttl is checked on A and AAAA answers only (the resolver Lifeline uses reports no TTL for TXT): probe the A or AAAA record, or remove max_ttl'));
    assert.ok(dns(', min_ttl: 600, max_ttl: 60').includes('probes.targets[0] (d).max_ttl: max_ttl 60 is below min_ttl 600'));
    const badName = problems(`${IRC}probes:\n  targets:\n    - { name: d, kind: dns, query: "bad name!" }\n`);
    assert.ok(badName.some((p) => p.startsWith('probes.targets[0] (d).query: expected a DNS name')), badName.join('\n'));
    const d = ok(', record: CNAME, expect: [proxy.example.org]');
    assert.ok(d.kind === 'dns' && d.record === 'CNAME' && d.expect_match === 'all');
  });

  it('rejects unknown keys, naming the path', () => {
    const p = problems(`${IRC}  chanels: []\nhttp:\n  prot: 80\n`);
    assert.ok(p.some((l) => l.startsWith('irc.chanels: unknown key')), p.join('\n'));
    assert.ok(p.some((l) => l.startsWith('http.prot: unknown key')), p.join('\n'));
  });

  it('reports every problem at once with what is expected', () => {
    const p = problems('http:\n  port: "eighty"\nirc:\n  host: x\n  channels: [{ name: "alerts" }]\n  ping_interval: 10 seconds\n');
    assert.ok(p.some((l) => l.startsWith('http.port: expected number')), p.join('\n'));
    assert.ok(p.some((l) => l.startsWith('irc.nick: is required')), p.join('\n'));
    assert.ok(p.some((l) => l.startsWith('irc.channels[0].name: expected an IRC channel name')), p.join('\n'));
    assert.ok(p.some((l) => l.startsWith('irc.ping_interval: expected a duration')), p.join('\n'));
  });

  it('checks routes against the channels Lifeline joins', () => {
    const p = problems(`${IRC}routes:\n  - name: default\n    irc_channels: ["#other"]\n`);
    assert.ok(p.some((l) => l.includes('routes[0].irc_channels[0]') && l.includes('not in irc.channels')), p.join('\n'));
  });

  it('expands ${VAR} and ${VAR:-default} from the injected environment', () => {
    const c = parseConfig(`${IRC}  password: "u/n:\${ZNC_PASS}"\nhttp:\n  host: \${HOST:-127.0.0.1}\n`, 'c.yaml', { ZNC_PASS: 's3cret' });
    assert.equal(c.irc?.password?.reveal(), 'u/n:s3cret');
    assert.equal(c.http.host, '127.0.0.1');
  });

  it('names a missing environment variable and the key that needs it', () => {
    const p = problems(`${IRC}  password: "\${ZNC_PASS}"\n`);
    assert.deepEqual(p, ['irc.password: environment variable ZNC_PASS is not set; export it or use ${ZNC_PASS:-default}']);
  });

  it('reads secrets from *_file (Docker secrets) and never prints them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-cfg-'));
    writeFileSync(join(dir, 'token'), 'tok-123\n');
    writeFileSync(join(dir, 'c.yaml'), 'http:\n  auth:\n    type: bearer\n    token_file: token\n');
    const c = loadConfig(join(dir, 'c.yaml'), {});
    assert.equal(c.http.auth.type === 'bearer' && c.http.auth.token.reveal(), 'tok-123');
    const shown = `${JSON.stringify(c)} ${inspect(c, { depth: 10 })} ${String(c.http.auth.type === 'bearer' ? c.http.auth.token : '')}`;
    assert.ok(!shown.includes('tok-123'), shown);
  });

  it('refuses both a secret and its _file', () => {
    const p = problems('http:\n  auth:\n    type: bearer\n    token: a\n    token_file: /x\n');
    assert.ok(p.some((l) => l.includes('set either token or token_file, not both')), p.join('\n'));
  });

  it('reports YAML syntax errors with a line number', () => {
    const p = problems('http:\n  port: [1, 2\n');
    assert.match(p[0] as string, /^line \d+: YAML syntax/);
  });

  it('refuses a key given twice, and keeps YAML 1.2 core values (dates and yes/no stay strings)', () => {
    const p = problems('http:\n  port: 1\n  port: 2\n');
    assert.match(p[0] as string, /^line 3: YAML syntax: duplicated mapping key/);
    const c = parseConfig(`${IRC}  nick: yes\n`.replace('  nick: lifeline\n', ''), 'c.yaml', {});
    assert.equal(c.irc?.nick, 'yes');
    const m = problems('maintenance:\n  - { from: 2026-11-23, to: 2026-11-24 }\n');
    assert.ok(!m.some((l) => l.includes('got a mapping') || l.includes('Date')), m.join('\n'));
  });

  it('refuses a file whose aliases expand without end ("billion laughs") at once', () => {
    let yaml = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i <= 9; i++) yaml += `a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]\n`;
    const t0 = performance.now();
    const p = problems(yaml);
    assert.ok(performance.now() - t0 < 1000, `took ${Math.round(performance.now() - t0)} ms`);
    assert.match(p[0] as string, /expands to more than \d+ values through YAML aliases/);
  });

  it('checks 50,000 probe targets in well under 2 s (issue 19.5: the YAML document model took 3.6 s and 400 MB)', () => {
    const kinds = [(i: number) => `{ name: web${i}, kind: http, url: "http://10.0.${(i >> 8) & 255}.${i & 255}:8080/health", group: g${i % 50} }`, (i: number) => `{ name: ssh${i}, kind: tcp, host: 10.1.${(i >> 8) & 255}.${i & 255}, port: 22 }`, (i: number) => `{ name: tls${i}, kind: tls, host: h${i}.example.org, port: 443 }`];
    const targets = Array.from({ length: 50_000 }, (_, i) => `    - ${(kinds[i % 3] as (i: number) => string)(i)}`).join('\n');
    const t0 = performance.now();
    const c = parseConfig(`probes:\n  targets:\n${targets}\n`, 'big.yaml', {});
    const took = performance.now() - t0;
    assert.equal(c.probes.targets.length, 50_000);
    assert.equal(c.probes.targets[49_999]?.name, 'ssh49999');
    assert.ok(took < 2000, `50,000 targets took ${Math.round(took)} ms`);
  });

  it('says which file is missing, without a stack', () => {
    assert.throws(() => loadConfig('/nonexistent/lifeline.yaml', {}), (err: unknown) => err instanceof LifelineError && /cannot read config file \/nonexistent\/lifeline.yaml \(ENOENT\)/.test(err.message));
  });

  it('exports a JSON Schema that forbids unknown keys', () => {
    const s = configJsonSchema() as { properties: Record<string, unknown>; additionalProperties: boolean };
    assert.ok(s.properties['irc'] && s.properties['http']);
    assert.equal(s.additionalProperties, false);
  });

  it('documents every key: each property in the JSON Schema has a description', () => {
    const missing: string[] = [];
    let total = 0;
    const walk = (node: unknown, path: string): void => {
      if (node === null || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      for (const [k, v] of Object.entries((n['properties'] as Record<string, Record<string, unknown>> | undefined) ?? {})) {
        total++;
        const p = path ? `${path}.${k}` : k;
        if (typeof v['description'] !== 'string' || (v['description'] as string).length < 5) missing.push(p);
        walk(v, p);
      }
      for (const key of ['anyOf', 'oneOf', 'allOf']) if (Array.isArray(n[key])) for (const x of n[key] as unknown[]) walk(x, path);
      if (n['items']) walk(n['items'], `${path}[]`);
    };
    walk(configJsonSchema(), '');
    assert.ok(total > 100, `walked ${total} keys`);
    assert.deepEqual([...new Set(missing)], []);
  });
});
