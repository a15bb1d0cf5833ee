import { promises as dnsPromises } from 'node:dns';
import type { ProbeConfig } from '../../config/probeSchema.js';
import { ms, type Probe, type ProbeResult, type ProbeRunContext } from '../probe.js';

type DnsConfig = Extract<ProbeConfig, { kind: 'dns' }>;
type RecordType = DnsConfig['record'];

/** One record of the answer: how it reads, the forms an expected value may take, its TTL if known. */
interface Answer {
  shown: string;
  forms: string[];
  ttl?: number;
}

/**
 * DNS with node:dns's Resolver (c-ares), not a DNS library of our own. Measured with Node 20.20 /
 * c-ares 1.34.6 against dnsmasq 2.90 (test/integration/dns.test.ts, docs/benchmarks.md):
 *  - the rcode comes back as the error code: NXDOMAIN is ENOTFOUND, NOERROR with an empty answer
 *    ENODATA, SERVFAIL ESERVFAIL, REFUSED EREFUSED; no answer ETIMEOUT; an ICMP port unreachable
 *    (nothing listening) ECONNREFUSED;
 *  - Node runs c-ares without its query cache: a server stopped between two runs gives
 *    ECONNREFUSED, never the previous answer;
 *  - TTLs come only for A and AAAA ({ ttl: true }); CNAME, MX, TXT and SRV answers carry none, so
 *    min_ttl / max_ttl are accepted for A and AAAA only (probeSchema.ts says so);
 *  - c-ares's own timeout overshoots (tries: 1: 800 ms gave ETIMEOUT after 1.6 s, 3 s after 4.0 s), so
 *    the probe's deadline cancels the query (resolver.cancel(): ECANCELLED) and the run ends
 *    within the probe's timeout;
 *  - queries go out as written (no search domains from resolv.conf) over UDP (c-ares asks again
 *    over TCP when an answer comes truncated).
 * A Resolver per run: it reads /etc/resolv.conf, so a changed system resolver is followed;
 * cancel() stops only this run's query; no socket is held between runs. It costs 117 µs of CPU
 * per run against 80 µs with one Resolver kept per probe (bench dnsrun: 6 KB allocated, nothing
 * kept): 4 ms of CPU a second for 1,000 dns probes every 30 s (docs/benchmarks.md).
 */
export function dnsProbe(cfg: DnsConfig): Probe {
  const question = `${cfg.record} ${cfg.query}`;
  return {
    kind: 'dns',
    // The alert reads "portal-dns (A portal.example.org via 192.0.2.53) is down: NXDOMAIN (...)":
    // the question and the resolver in the target, the answer in the summary (as http's URL and status).
    target: `${question} via ${cfg.resolver ?? 'the system resolver'}`,
    async run(ctx: ProbeRunContext): Promise<ProbeResult> {
      const resolver = new dnsPromises.Resolver({ timeout: ctx.timeoutMs, tries: 1 });
      try {
        if (cfg.resolver !== undefined) resolver.setServers([cfg.resolver]);
      } catch (err) {
        return { up: false, summary: `resolver ${cfg.resolver} not usable: ${(err as Error).message}`, phases: {}, values: {} };
      }
      // Which server the system resolver is this run (the first nameserver of /etc/resolv.conf).
      const first = cfg.resolver === undefined ? resolver.getServers()[0] : undefined;
      const system = first === undefined ? undefined : withPort(first);
      if (cfg.resolver === undefined && system === undefined) return { up: false, summary: 'no nameserver in /etc/resolv.conf: set resolver', phases: {}, values: {} };
      const head = system !== undefined ? `${system}: ` : '';
      const values: ProbeResult['values'] = { resolver: cfg.resolver ?? system ?? '' };
      const timedOut = (phases: ProbeResult['phases']): ProbeResult => ({ up: false, summary: `${head}no answer within ${ms(ctx.timeoutMs)} (timeout)`, phases, values: { ...values, rcode: 'timeout' } });
      // A deadline already over: cancel() now would find no query to stop.
      if (ctx.signal.aborted) return timedOut({});
      const started = performance.now();
      const onAbort = (): void => resolver.cancel();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      let answers: Answer[];
      try {
        answers = await ask(resolver, cfg.record, cfg.query);
      } catch (err) {
        const took = performance.now() - started;
        const code = (err as NodeJS.ErrnoException).code ?? '';
        const phases = { total: took / 1000 };
        if (code === 'ETIMEOUT' || code === 'ECANCELLED') return timedOut(phases);
        const known = ERRORS[code];
        return { up: false, summary: `${head}${known ? known.words(cfg.record) : `${code || 'error'}: ${(err as Error).message}`} in ${ms(took)}`, phases, values: { ...values, rcode: known?.rcode ?? code } };
      } finally {
        ctx.signal.removeEventListener('abort', onAbort);
      }
      const took = performance.now() - started;
      const phases = { dns: took / 1000, total: took / 1000 };
      const ttls = answers.flatMap((a) => (a.ttl !== undefined ? [a.ttl] : []));
      Object.assign(values, { rcode: 'NOERROR', answers: answers.length });
      if (ttls.length > 0) values['ttl'] = Math.min(...ttls);
      const problems = [...expectProblems(cfg, answers), ...ttlProblems(cfg, ttls)];
      const summary = `${head}${listed(answers)}${ttlText(ttls)} in ${ms(took)}${problems.length > 0 ? `; ${problems.join('; ')}` : ''}`;
      return { up: problems.length === 0, summary, phases, values };
    },
  };
}

/** What each error code of node:dns means, as the rcode a DNS person knows and in words. */
const ERRORS: Readonly<Record<string, { rcode: string; words: (record: RecordType) => string }>> = {
  ENOTFOUND: { rcode: 'NXDOMAIN', words: () => 'NXDOMAIN (the name does not exist)' },
  ENODATA: { rcode: 'NOERROR', words: (r) => `no ${r} record (NOERROR, empty answer: the name exists without one)` },
  ESERVFAIL: { rcode: 'SERVFAIL', words: () => 'SERVFAIL (the resolver could not get an answer: its upstream or the zone\'s servers failed, or DNSSEC validation failed)' },
  EREFUSED: { rcode: 'REFUSED', words: () => 'REFUSED (the resolver will not answer this query for Lifeline)' },
  EFORMERR: { rcode: 'FORMERR', words: () => 'FORMERR (the resolver could not read the query)' },
  ENOTIMP: { rcode: 'NOTIMP', words: (r) => `NOTIMP (the resolver does not do ${r} queries)` },
  ECONNREFUSED: { rcode: 'unreachable', words: () => 'port unreachable (nothing listening there)' },
  EBADRESP: { rcode: 'bad response', words: () => 'malformed answer' },
};

/** Sends the query for one record type; each answer as a person reads it and as `expect` may name it. */
async function ask(resolver: dnsPromises.Resolver, record: RecordType, name: string): Promise<Answer[]> {
  switch (record) {
    case 'A':
      return (await resolver.resolve4(name, { ttl: true })).map((r) => ({ shown: r.address, forms: [r.address], ttl: r.ttl }));
    case 'AAAA':
      return (await resolver.resolve6(name, { ttl: true })).map((r) => ({ shown: r.address, forms: [canonicalIp6(r.address)], ttl: r.ttl }));
    case 'CNAME':
      return (await resolver.resolveCname(name)).map((t) => ({ shown: t, forms: [hostName(t)] }));
    case 'MX':
      return (await resolver.resolveMx(name)).map((r) => ({ shown: `${r.priority} ${r.exchange}`, forms: [`${r.priority} ${hostName(r.exchange)}`, hostName(r.exchange)] }));
    case 'TXT':
      // A TXT record is one or more strings of up to 255 bytes; they form one value, joined.
      return (await resolver.resolveTxt(name)).map((chunks) => {
        const text = chunks.join('');
        return { shown: JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text), forms: [text] };
      });
    case 'SRV':
      return (await resolver.resolveSrv(name)).map((r) => ({ shown: `${r.priority} ${r.weight} ${r.port} ${r.name}`, forms: [`${r.priority} ${r.weight} ${r.port} ${hostName(r.name)}`, hostName(r.name)] }));
  }
}

/** How an expected value compares with the forms of an answer. */
export function normalizeExpected(record: RecordType, value: string): string {
  if (record === 'AAAA') return canonicalIp6(value);
  if (record === 'TXT' || record === 'A') return value;
  const parts = value.trim().split(/\s+/);
  const last = parts.pop() ?? '';
  return [...parts, hostName(last)].join(' ');
}

/** An IPv6 address in one spelling (WHATWG URL's: compressed, lower case). */
function canonicalIp6(a: string): string {
  try {
    return new URL(`http://[${a}]/`).hostname.slice(1, -1);
  } catch {
    return a.toLowerCase();
  }
}

/** A server as getServers() gives it ("127.0.0.1", "::1", "127.0.0.1:5353"), with its port always. */
function withPort(server: string): string {
  if (server.startsWith('[') || /^[0-9.]+:[0-9]+$/.test(server)) return server;
  return server.includes(':') ? `[${server}]:53` : `${server}:53`;
}

/** A host name compared without case and trailing dot. */
function hostName(n: string): string {
  return n.toLowerCase().replace(/\.$/, '');
}

/** What `expect` finds wrong with the answers, in words ([] when none). */
function expectProblems(cfg: DnsConfig, answers: Answer[]): string[] {
  if (cfg.expect === undefined || cfg.expect.length === 0) return [];
  const present = (e: string): boolean => answers.some((a) => a.forms.includes(normalizeExpected(cfg.record, e)));
  const missing = cfg.expect.filter((e) => !present(e));
  if (cfg.expect_match === 'any') return missing.length === cfg.expect.length ? [`none of the expected ${cfg.expect.join(', ')}`] : [];
  const out = missing.length > 0 ? [`expected ${missing.join(', ')} missing`] : [];
  if (cfg.expect_match === 'exact') {
    const wanted = new Set(cfg.expect.map((e) => normalizeExpected(cfg.record, e)));
    const extra = answers.filter((a) => !a.forms.some((f) => wanted.has(f)));
    if (extra.length > 0) out.push(`unexpected ${extra.map((a) => a.shown).join(', ')}`);
  }
  return out;
}

/** TTLs outside min_ttl / max_ttl, in words. */
function ttlProblems(cfg: DnsConfig, ttls: number[]): string[] {
  if (ttls.length === 0) return [];
  const out: string[] = [];
  const lo = Math.min(...ttls);
  const hi = Math.max(...ttls);
  if (cfg.min_ttl !== undefined && lo < cfg.min_ttl) out.push(`TTL ${lo} s below min_ttl ${cfg.min_ttl} s`);
  if (cfg.max_ttl !== undefined && hi > cfg.max_ttl) out.push(`TTL ${hi} s above max_ttl ${cfg.max_ttl} s`);
  return out;
}

/**
 * The answers, at most 8 named, in a stable order: resolvers rotate round-robin records (dnsmasq
 * does), and the evidence of two runs that saw the same set should read the same.
 */
function listed(answers: Answer[]): string {
  const sorted = answers.map((a) => a.shown).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const shown = sorted.slice(0, 8).join(', ');
  return answers.length > 8 ? `${shown} and ${answers.length - 8} more` : shown;
}

/** " (TTL 300)" or " (TTL 60-300)"; empty without TTLs. */
function ttlText(ttls: number[]): string {
  if (ttls.length === 0) return '';
  const lo = Math.min(...ttls);
  const hi = Math.max(...ttls);
  return lo === hi ? ` (TTL ${lo})` : ` (TTL ${lo}-${hi})`;
}
