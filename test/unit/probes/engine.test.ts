import assert from 'node:assert/strict';
import type { AlertBatch } from '../../../src/alerts/alert.js';
import { parseConfig } from '../../../src/config/load.js';
import type { ProbeConfig } from '../../../src/config/probeSchema.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { ProbeEngine } from '../../../src/probes/engine.js';
import type { Probe, ProbeResult, ProbeRunContext } from '../../../src/probes/probe.js';
import { openDb, type Db } from '../../../src/store/db.js';
import { ProbeStateStore } from '../../../src/store/probeState.js';
import { FakeClock } from '../fakeClock.js';

/** A probe whose outcome the test sets; `hang` makes it ignore its deadline. */
class Scripted implements Probe {
  readonly kind = 'tcp' as const;
  up = true;
  hang = false;
  /** A warning for up results (a function: its text may change from run to run). */
  warning: (() => string) | undefined;
  /** The endpoint a failure reports (after DNS), with the phases reached before it hung. */
  endpoint: string | undefined;
  runs = 0;
  constructor(readonly target: string) {}
  run(ctx: ProbeRunContext): Promise<ProbeResult> {
    this.runs++;
    if (this.hang) return new Promise(() => undefined);
    if (this.up) return Promise.resolve({ up: true, summary: 'TCP connected in 2 ms', phases: { connect: 0.002, total: 0.002 }, values: {}, ...(this.warning ? { warning: this.warning() } : {}) });
    if (this.endpoint !== undefined) {
      const endpoint = this.endpoint;
      return new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve({ up: false, summary: `TCP connected in 1 ms; request sent; no HTTP response within ${ctx.timeoutMs} ms`, phases: { dns: 0.001, connect: 0.001, request: 0.001, total: ctx.timeoutMs / 1000 }, values: {}, endpoint })));
    }
    return new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve({ up: false, summary: `no TCP connection within ${ctx.timeoutMs} ms`, phases: { total: ctx.timeoutMs / 1000 }, values: {} })));
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

function rig(targets: string, db: Db = openDb(':memory:'), extra = '', clock = new FakeClock()) {
  const config = parseConfig(`probes:\n  interval: 10s\n  timeout: 2s\n${extra}  targets:\n${targets}`, 't.yaml', {});
  const probes = new Map<string, Scripted>();
  const emitted: Array<{ fp: string; status: string; summary: string; news: boolean }> = [];
  const engine = new ProbeEngine({
    config: config.probes,
    clock,
    log: silentLogger(),
    store: new ProbeStateStore(db),
    create: (cfg: ProbeConfig) => {
      const p = new Scripted(cfg.name);
      probes.set(cfg.name, p);
      return p;
    },
    emit: (b: AlertBatch, news: boolean) => {
      for (const a of b.alerts) emitted.push({ fp: a.fingerprint, status: a.status, summary: a.annotations['summary'] ?? '', news });
    },
    random: () => 0.5,
  });
  return { engine, probes, emitted, clock, db };
}

/** Advances the fake clock second by second, letting probe promises settle in between. */
async function run(clock: FakeClock, seconds: number): Promise<void> {
  for (let i = 0; i < seconds; i++) {
    clock.advance(1_000);
    await settle();
  }
}

describe('probe engine (fake clock)', () => {
  it('opens after 3 failures in a row and resolves after 2 successes; a single blip opens nothing', async () => {
    const r = rig('    - { name: web, kind: tcp, host: 127.0.0.1, port: 1 }\n');
    r.engine.start();
    await run(r.clock, 15);
    const web = r.probes.get('web')!;
    web.up = false;
    await run(r.clock, 10); // one failure
    web.up = true;
    await run(r.clock, 10);
    assert.equal(r.emitted.length, 0, 'a blip is not an outage');
    web.up = false;
    await run(r.clock, 35);
    assert.deepEqual(r.emitted.map((e) => `${e.fp} ${e.status}`), ['probe:web firing']);
    assert.match(r.emitted[0]!.summary, /^web \(web\) is down: no TCP connection within 2000 ms$/);
    web.up = true;
    await run(r.clock, 25);
    assert.deepEqual(r.emitted.map((e) => `${e.fp} ${e.status}`), ['probe:web firing', 'probe:web resolved']);
    await r.engine.stop();
  });

  it('runs on a fixed cadence, so a hanging target is found within 3 × interval + timeout even when the timeout is longer than the interval', async () => {
    const config = parseConfig('probes:\n  interval: 5s\n  timeout: 10s\n  targets:\n    - { name: web, kind: tcp, host: 127.0.0.1, port: 1 }\n', 't.yaml', {});
    const clock = new FakeClock();
    const emitted: number[] = [];
    const probe = new Scripted('web');
    const engine = new ProbeEngine({ config: config.probes, clock, log: silentLogger(), store: new ProbeStateStore(openDb(':memory:')), create: () => probe, emit: () => void emitted.push(clock.now()), random: () => 0.5 });
    engine.start();
    await run(clock, 12);
    const stopped = clock.now();
    probe.up = false;
    await run(clock, 40);
    assert.equal(emitted.length, 1);
    assert.ok(emitted[0]! - stopped <= 3 * 5_000 + 10_000, `opened ${emitted[0]! - stopped} ms after the target stopped answering`);
    await engine.stop();
  });

  it('keeps a "down" across a restart: no second page, and it still resolves', async () => {
    const db = openDb(':memory:');
    const a = rig('    - { name: web, kind: tcp, host: 127.0.0.1, port: 1 }\n', db);
    a.engine.start();
    await run(a.clock, 1);
    a.probes.get('web')!.up = false;
    await run(a.clock, 40);
    assert.equal(a.emitted.length, 1);
    await a.engine.stop();
    const b = rig('    - { name: web, kind: tcp, host: 127.0.0.1, port: 1 }\n', db);
    assert.equal(b.engine.status()[0]!.status, 'down');
    b.engine.start();
    b.probes.get('web')!.up = false;
    await run(b.clock, 40);
    assert.equal(b.emitted.length, 0, 'no second page after the restart');
    b.probes.get('web')!.up = true;
    await run(b.clock, 30);
    assert.deepEqual(b.emitted.map((e) => e.status), ['resolved']);
    await b.engine.stop();
  });

  it('a restart in the middle of a flap keeps the count: two failures before, one after, opens', async () => {
    const db = openDb(':memory:');
    const a = rig('    - { name: web, kind: tcp, host: 127.0.0.1, port: 1 }\n', db);
    a.engine.start();
    await run(a.clock, 1);
    a.probes.get('web')!.up = false;
    await run(a.clock, 20); // two failed runs (10 s interval, 2 s timeout)
    assert.equal(a.engine.status()[0]!.failures, 2);
    await a.engine.stop();
    const b = rig('    - { name: web, kind: tcp, host: 127.0.0.1, port: 1 }\n', db);
    assert.equal(b.engine.status()[0]!.failures, 2, 'the count survived');
    b.engine.start();
    b.probes.get('web')!.up = false;
    await run(b.clock, 8); // the first run after the restart (spread over one interval) fails
    assert.deepEqual(b.emitted.map((e) => e.status), ['firing']);
    await b.engine.stop();
  });

  it('writes the state when a run changes what decides an alert, not every run; a crash (no stop) keeps the flap count and the "down"', async () => {
    const db = openDb(':memory:');
    const a = rig('    - { name: web, kind: tcp, host: 127.0.0.1, port: 1 }\n', db);
    let writes = 0;
    const store = (a.engine as unknown as { d: { store: ProbeStateStore } }).d.store;
    const save = store.save.bind(store);
    store.save = (s) => {
      writes++;
      save(s);
    };
    a.engine.start();
    await run(a.clock, 125); // about 12 runs, all up
    assert.ok(writes >= 1 && writes <= 3, `steady up: ${writes} writes for about 12 runs`);
    a.probes.get('web')!.up = false;
    await run(a.clock, 23); // two failures: each changes the count, each is written
    assert.equal(a.engine.status()[0]!.failures, 2);
    const b = rig('    - { name: web, kind: tcp, host: 127.0.0.1, port: 1 }\n', db); // no stop(): a crash
    assert.equal(b.engine.status()[0]!.failures, 2, 'the flap count survived the crash');
    await run(a.clock, 10);
    assert.deepEqual(a.emitted.map((e) => e.status), ['firing']);
    const c = rig('    - { name: web, kind: tcp, host: 127.0.0.1, port: 1 }\n', db);
    assert.equal(c.engine.status()[0]!.status, 'down', 'the "down" survived the crash');
    await a.engine.stop();
  });

  it('refreshes the stored last result every 5 minutes and on stop', async () => {
    const db = openDb(':memory:');
    const a = rig('    - { name: web, kind: tcp, host: 127.0.0.1, port: 1 }\n', db);
    a.engine.start();
    await run(a.clock, 30);
    const first = new ProbeStateStore(db).load().get('web')!.lastMs!;
    await run(a.clock, 60);
    assert.equal(new ProbeStateStore(db).load().get('web')!.lastMs, first, 'no write for a run that changes nothing');
    await run(a.clock, 260);
    assert.ok(new ProbeStateStore(db).load().get('web')!.lastMs! - first >= 300_000, 'refreshed after 5 minutes');
    await run(a.clock, 20);
    await a.engine.stop();
    assert.equal(new ProbeStateStore(db).load().get('web')!.lastMs, a.engine.status()[0]!.last!.atMs, 'stop writes the last result');
  });

  it('services behind a failed proxy make one alert, naming them', async () => {
    const r = rig('    - { name: proxy, kind: tcp, host: 127.0.0.1, port: 1 }\n    - { name: wiki, kind: tcp, host: 127.0.0.1, port: 1, depends_on: proxy }\n    - { name: feedme, kind: tcp, host: 127.0.0.1, port: 1, depends_on: proxy }\n');
    r.engine.start();
    await run(r.clock, 12);
    for (const p of r.probes.values()) p.up = false;
    await run(r.clock, 60);
    const firing = r.emitted.filter((e) => e.status === 'firing');
    assert.deepEqual([...new Set(firing.map((e) => e.fp))], ['probe:proxy'], 'one incident for one cause');
    assert.match(firing.at(-1)!.summary, /also failing behind it: (wiki, feedme|feedme, wiki)$/);
    const st = r.engine.status();
    assert.deepEqual(st.map((s) => `${s.name}:${s.status}:${s.behind ?? ''}`), ['proxy:down:', 'wiki:down:proxy', 'feedme:down:proxy']);
    await r.engine.stop();
  });

  it('a probe still down after the cause it depends on recovered opens its own alert at once; one that answers resolves quietly (issue 21 §1)', async () => {
    const r = rig('    - { name: front, kind: tcp, host: 127.0.0.1, port: 1 }\n    - { name: svc, kind: tcp, host: 127.0.0.1, port: 1, depends_on: front }\n    - { name: api, kind: tcp, host: 127.0.0.1, port: 1, depends_on: front }\n');
    r.engine.start();
    await run(r.clock, 12);
    for (const p of r.probes.values()) p.up = false;
    await run(r.clock, 60);
    assert.deepEqual([...new Set(r.emitted.filter((e) => e.status === 'firing').map((e) => e.fp))], ['probe:front']);
    r.probes.get('front')!.up = true;
    r.probes.get('api')!.up = true;
    await run(r.clock, 25);
    const resolved = r.emitted.find((e) => e.fp === 'probe:front' && e.status === 'resolved');
    assert.ok(resolved, 'front resolves');
    assert.match(resolved.summary, /still down behind it, checked again now: (svc, api|api, svc)$/);
    const svc = r.emitted.filter((e) => e.fp === 'probe:svc');
    assert.deepEqual(svc.map((e) => e.status), ['firing'], 'svc opens on its own');
    assert.match(svc[0]!.summary, /^svc \(svc\) is down: .*\(still down after front, which it depends on, recovered\)$/);
    const resolvedAt = r.emitted.indexOf(resolved);
    assert.ok(r.emitted.indexOf(svc[0]!) > resolvedAt, 'after the cause resolved');
    assert.deepEqual(r.emitted.filter((e) => e.fp === 'probe:api'), [], 'api answered: no alert of its own, opened or resolved');
    assert.deepEqual(r.engine.status().map((s) => `${s.name}:${s.status}:${s.behind ?? ''}`), ['front:up:', 'svc:down:', 'api:up:']);
    r.probes.get('svc')!.up = true;
    await run(r.clock, 25);
    assert.deepEqual(r.emitted.filter((e) => e.fp === 'probe:svc').map((e) => e.status), ['firing', 'resolved'], 'and resolves when it is back');
    await r.engine.stop();
  });

  it('depends_on takes a list: either dependency down explains the dependent; when one recovers and the other is down, the other takes it over (issue 21 §2)', async () => {
    const r = rig('    - { name: prom, kind: tcp, host: 127.0.0.1, port: 1 }\n    - { name: am, kind: tcp, host: 127.0.0.1, port: 1 }\n    - { name: watchdog, kind: tcp, host: 127.0.0.1, port: 1, depends_on: [prom, am] }\n');
    r.engine.start();
    await run(r.clock, 12);
    r.probes.get('am')!.up = false;
    r.probes.get('watchdog')!.up = false;
    await run(r.clock, 60);
    assert.deepEqual([...new Set(r.emitted.filter((e) => e.status === 'firing').map((e) => e.fp))], ['probe:am'], 'one incident: Alertmanager');
    assert.match(r.emitted.filter((e) => e.fp === 'probe:am').at(-1)!.summary, /also failing behind it: watchdog$/);
    r.probes.get('prom')!.up = false;
    await run(r.clock, 60);
    r.probes.get('am')!.up = true;
    await run(r.clock, 30);
    assert.deepEqual(r.emitted.filter((e) => e.fp === 'probe:watchdog'), [], 'still explained: by Prometheus now');
    assert.deepEqual(r.engine.status().map((s) => `${s.name}:${s.status}:${s.behind ?? ''}`), ['prom:down:', 'am:up:', 'watchdog:down:prom']);
    assert.match(r.emitted.filter((e) => e.fp === 'probe:prom').at(-1)!.summary, /also failing behind it: watchdog$/);
    await r.engine.stop();
  });

  describe('inferred causes: probes failing the same way at one endpoint (issue 21 §2)', () => {
    /** Starts the engine, lets every probe pass once, then makes all fail at one endpoint for 60 s. */
    const failAllAt = async (r: ReturnType<typeof rig>, endpoint: string): Promise<void> => {
      r.engine.start();
      await run(r.clock, 12);
      for (const p of r.probes.values()) {
        p.endpoint = endpoint;
        p.up = false;
      }
      await run(r.clock, 60);
    };
    const THREE = '    - { name: wiki, kind: tcp, host: 127.0.0.1, port: 1 }\n    - { name: api, kind: tcp, host: 127.0.0.1, port: 1 }\n    - { name: feed, kind: tcp, host: 127.0.0.1, port: 1 }\n';
    it('three services behind one hanging proxy make one alert naming the endpoint, the phase and the services; it resolves when they answer', async () => {
      const r = rig(THREE);
      await failAllAt(r, '203.0.113.7:443');
      const firing = r.emitted.filter((e) => e.status === 'firing');
      assert.deepEqual([...new Set(firing.map((e) => e.fp))], ['probe:~203.0.113.7:443'], 'one alert for the shared endpoint, none per service');
      assert.match(firing.at(-1)!.summary, /^3 probes behind 203\.0\.113\.7:443 fail the same way \(api, feed, wiki\): TCP connected in 1 ms; request sent; no HTTP response within 2000 ms$/);
      assert.deepEqual(r.engine.status().map((s) => s.behind), ['203.0.113.7:443 (shared endpoint)', '203.0.113.7:443 (shared endpoint)', '203.0.113.7:443 (shared endpoint)']);
      for (const p of r.probes.values()) p.up = true;
      await run(r.clock, 30);
      assert.deepEqual(r.emitted.filter((e) => e.fp === 'probe:~203.0.113.7:443').at(-1)?.status, 'resolved');
      assert.deepEqual(r.emitted.filter((e) => !e.fp.startsWith('probe:~')), [], 'no alert of their own, opened or resolved');
      await r.engine.stop();
    });
    it('infer_cause: false keeps a probe on its own; other endpoints and a single failure are not grouped', async () => {
      const r = rig('    - { name: wiki, kind: tcp, host: 127.0.0.1, port: 1 }\n    - { name: api, kind: tcp, host: 127.0.0.1, port: 1, infer_cause: false }\n    - { name: feed, kind: tcp, host: 127.0.0.1, port: 1 }\n    - { name: other, kind: tcp, host: 127.0.0.1, port: 1 }\n');
      r.engine.start();
      await run(r.clock, 12);
      for (const n of ['wiki', 'api', 'feed']) r.probes.get(n)!.endpoint = '203.0.113.7:443';
      r.probes.get('other')!.endpoint = '203.0.113.8:443';
      for (const p of r.probes.values()) p.up = false;
      await run(r.clock, 60);
      assert.deepEqual([...new Set(r.emitted.filter((e) => e.status === 'firing').map((e) => e.fp))].sort(), ['probe:api', 'probe:other', 'probe:~203.0.113.7:443']);
      assert.match(r.emitted.find((e) => e.fp === 'probe:~203.0.113.7:443')!.summary, /^2 probes behind 203\.0\.113\.7:443 fail the same way \(feed, wiki\)/);
      await r.engine.stop();
    });
    it('a member that later fails somewhere else leaves the group with an alert of its own; the group alert says who is left', async () => {
      const r = rig(THREE);
      await failAllAt(r, '203.0.113.7:443');
      r.probes.get('feed')!.endpoint = '198.51.100.9:443';
      await run(r.clock, 15);
      const own = r.emitted.filter((e) => e.fp === 'probe:feed');
      assert.deepEqual(own.map((e) => e.status), ['firing']);
      assert.match(own[0]!.summary, /\(no longer failing at 203\.0\.113\.7:443 with the others\)$/);
      assert.match(r.emitted.filter((e) => e.fp === 'probe:~203.0.113.7:443').at(-1)!.summary, /^2 probes behind 203\.0\.113\.7:443 fail the same way \(api, wiki\)/);
      await r.engine.stop();
    });
  });

  it('says when the probes are not running (for the outbound heartbeat): before start, after stop, and when no run finished for 3 × (interval + timeout)', async () => {
    const r = rig('    - { name: web, kind: tcp, host: 127.0.0.1, port: 1 }\n');
    assert.equal(r.engine.stalled(), 'the probes are not running');
    r.engine.start();
    await run(r.clock, 60);
    assert.equal(r.engine.stalled(), undefined);
    // The clock jumps 40 s with no run allowed to finish (a blocked event loop): 3 × (10 s + 2 s + 1 s grace) = 39 s.
    r.clock.advance(40_000);
    assert.match(r.engine.stalled() ?? '', /^no probe has finished a run for 4\d s \(expected one every 13 s at most\)$/);
    await settle();
    assert.equal(r.engine.stalled(), undefined, 'runs finished again');
    await r.engine.stop();
    assert.equal(r.engine.stalled(), 'the probes are not running');
    const none = parseConfig('probes:\n  targets: []\n', 't.yaml', {});
    const idle = new ProbeEngine({ config: none.probes, clock: new FakeClock(), log: silentLogger(), store: new ProbeStateStore(openDb(':memory:')), create: () => new Scripted('x'), emit: () => undefined });
    assert.equal(idle.stalled(), undefined, 'no probes configured: nothing to run');
  });

  it('a redundancy group has one alert, updated as members change: redundancy lost, quorum lost, back; members have none of their own', async () => {
    const r = rig(
      '    - { name: n1, kind: tcp, host: 127.0.0.1, port: 1 }\n    - { name: n2, kind: tcp, host: 127.0.0.1, port: 1 }\n',
      openDb(':memory:'),
      '  redundancy:\n    - { name: vpn, nodes: [{ name: node-1, probes: [n1] }, { name: node-2, probes: [n2] }] }\n',
    );
    r.engine.start();
    await run(r.clock, 15);
    r.probes.get('n2')!.up = false;
    await run(r.clock, 40);
    assert.deepEqual(r.emitted.map((e) => `${e.fp} ${e.status}`), ['redundancy:vpn firing']);
    assert.match(r.emitted[0]!.summary, /^VPN vpn: redundancy lost: node-2 of 2 down, VPN still served by node-1; node-2 \(n2: no TCP connection within 2000 ms\)$/);
    r.probes.get('n1')!.up = false;
    await run(r.clock, 40);
    assert.deepEqual(r.emitted.map((e) => `${e.fp} ${e.status}`), ['redundancy:vpn firing', 'redundancy:vpn firing'], 'the same alert, updated');
    assert.match(r.emitted[1]!.summary, /^VPN vpn down: quorum lost, 0 of 2 nodes up \(quorum 1\)/);
    r.probes.get('n1')!.up = true;
    r.probes.get('n2')!.up = true;
    await run(r.clock, 30);
    assert.deepEqual(r.emitted.map((e) => `${e.fp} ${e.status}`), ['redundancy:vpn firing', 'redundancy:vpn firing', 'redundancy:vpn firing', 'redundancy:vpn resolved'], 'degraded again on the way back, then resolved');
    assert.ok(!r.emitted.some((e) => e.fp.startsWith('probe:')), 'no member alert');
    await r.engine.stop();
  });

  it('a hanging probe holds only its own slot and is abandoned after its timeout', async () => {
    const r = rig('    - { name: stuck, kind: tcp, host: 127.0.0.1, port: 1 }\n    - { name: fine, kind: tcp, host: 127.0.0.1, port: 1 }\n', openDb(':memory:'), '  concurrency: 1\n');
    r.probes.get('stuck')!.hang = true;
    r.engine.start();
    await run(r.clock, 60);
    assert.ok(r.probes.get('fine')!.runs >= 5, `fine ran ${r.probes.get('fine')!.runs} times`);
    const stuck = r.engine.status().find((s) => s.name === 'stuck')!;
    assert.equal(stuck.last?.summary, 'no result within 2.0 s (the probe did not finish)');
    assert.equal(stuck.status, 'down');
    await r.engine.stop();
  });

  it('when Lifeline itself is cut off it says so once, and opens no target alert', async () => {
    const config = parseConfig('probes:\n  interval: 10s\n  timeout: 2s\n  reference_endpoints: ["192.0.2.1:443"]\n  targets:\n    - { name: a, kind: tcp, host: 127.0.0.1, port: 1 }\n    - { name: b, kind: tcp, host: 127.0.0.1, port: 1 }\n', 't.yaml', {});
    const clock = new FakeClock();
    const emitted: string[] = [];
    const cuts: boolean[] = [];
    let networkOk = false;
    const engine = new ProbeEngine({
      config: config.probes,
      clock,
      log: silentLogger(),
      store: new ProbeStateStore(openDb(':memory:')),
      create: (cfg) => Object.assign(new Scripted(cfg.name), { up: false }),
      emit: (b) => void emitted.push(...b.alerts.map((a) => a.fingerprint)),
      networkOk: async () => networkOk,
      cutOff: (cut) => void cuts.push(cut),
      random: () => 0.5,
    });
    engine.start();
    await run(clock, 60);
    assert.deepEqual(emitted, []);
    assert.deepEqual(cuts, [true], 'reported once');
    networkOk = true;
    await run(clock, 20);
    assert.deepEqual(cuts, [true, false]);
    assert.deepEqual(emitted.sort(), ['probe:a', 'probe:b'], 'with the network back, real failures are reported');
    await engine.stop();
  });

  it('a warning opening and resolving is news; only its text changing (a memory warning\'s numbers) is not, so the repeat filter decides', async () => {
    const r = rig('    - { name: mem, kind: tcp, host: 127.0.0.1, port: 1 }\n');
    r.engine.start();
    await run(r.clock, 6);
    const mem = r.probes.get('mem')!;
    let n = 0;
    mem.warning = () => `MemAvailable ${9 - n++} %`;
    await run(r.clock, 30);
    mem.warning = undefined;
    await run(r.clock, 10);
    const warnings = r.emitted.filter((e) => e.fp === 'probe:mem:warning');
    assert.ok(warnings.length >= 4, JSON.stringify(warnings));
    assert.deepEqual(warnings.map((w) => `${w.status} ${w.news}`), ['firing true', ...warnings.slice(1, -1).map(() => 'firing false'), 'resolved true']);
    assert.match(warnings[1]!.summary, /MemAvailable 8 %/);
  });
});
