import assert from 'node:assert/strict';
import type { AlertBatch } from '../../../src/alerts/alert.js';
import { ClusterVerdicts } from '../../../src/cluster/verdicts.js';
import type { ClusterBody } from '../../../src/cluster/messages.js';
import { parseConfig } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { combineVotes } from '../../../src/probes/combiner.js';
import { ProbeEngine } from '../../../src/probes/engine.js';
import type { Probe, ProbeResult, ProbeRunContext } from '../../../src/probes/probe.js';
import { PeerVerdictStore } from '../../../src/store/clusterVerdicts.js';
import { openDb } from '../../../src/store/db.js';
import { ProbeStateStore } from '../../../src/store/probeState.js';
import { FakeClock } from '../fakeClock.js';

describe('verdicts from more than one region: combineVotes', () => {
  const down = (reason: string, sinceMs: number) => ({ up: false, reason, sinceMs });
  const up = { up: true, reason: '', sinceMs: 0 };

  it('down from every region: down, starting at the earliest region\'s down-since', () => {
    const c = combineVotes('wiki.example.org', 'all', [
      { region: 'us-east', reachable: true, verdict: down('no HTTP answer', 2_000) },
      { region: 'eu-west', reachable: true, verdict: down('no HTTP answer', 1_000) },
    ]);
    assert.deepEqual(c, { kind: 'down', text: 'wiki.example.org: no HTTP answer from eu-west, us-east', startsAtMs: 1_000 });
  });

  it('down from one region and up from another: a warning naming both', () => {
    const c = combineVotes('wiki.example.org', 'all', [
      { region: 'eu-west', reachable: true, verdict: down('no HTTP answer', 1_000) },
      { region: 'us-east', reachable: true, verdict: up },
    ]);
    assert.deepEqual(c, { kind: 'warning', text: 'wiki.example.org: no HTTP answer from eu-west; up from us-east' });
  });

  it('confirm any: one region down is down; confirm 2 with one region unreachable: the reachable one decides', () => {
    assert.equal(combineVotes('t', 'any', [{ region: 'a', reachable: true, verdict: down('refused', 5) }, { region: 'b', reachable: true, verdict: up }]).kind, 'down');
    const c = combineVotes('t', 2, [{ region: 'a', reachable: true, verdict: down('refused', 5) }, { region: 'b', reachable: false, verdict: up }]);
    assert.deepEqual(c, { kind: 'down', text: 't: refused from a; not counted: b (unreachable)', startsAtMs: 5 });
  });

  it('no verdict from any region: unknown (nothing changes)', () => {
    assert.equal(combineVotes('t', 'all', [{ region: 'a', reachable: true, verdict: undefined }, { region: 'b', reachable: false, verdict: down('x', 1) }]).kind, 'unknown');
  });
});

/** A probe whose outcome the test sets. */
class Scripted implements Probe {
  readonly kind = 'tcp' as const;
  up = true;
  constructor(readonly target: string) {}
  run(ctx: ProbeRunContext): Promise<ProbeResult> {
    if (this.up) return Promise.resolve({ up: true, summary: 'TCP connected in 2 ms', phases: { total: 0.002 }, values: {} });
    return Promise.resolve({ up: false, summary: `no TCP connection within ${ctx.timeoutMs} ms`, phases: { total: 0.001 }, values: {} });
  }
}

describe('verdicts from more than one region: the probe engine with the cluster combiner (fake clock)', () => {
  async function run(clock: FakeClock, seconds: number): Promise<void> {
    for (let i = 0; i < seconds; i++) {
      clock.advance(1_000);
      for (let j = 0; j < 20; j++) await new Promise((r) => setImmediate(r));
    }
  }

  function rig(withCluster: boolean) {
    const clock = new FakeClock();
    const db = openDb(':memory:');
    const config = parseConfig('probes:\n  interval: 10s\n  timeout: 2s\n  targets:\n    - { name: wiki, kind: tcp, host: wiki.example.org, port: 80 }\n', 't.yaml', {});
    const live = new Map([['us-east', true]]);
    const recorded: ClusterBody[] = [];
    const verdicts = new ClusterVerdicts({ self: 'eu-west', peers: ['us-east'], probes: config.probes, store: new PeerVerdictStore(db), live: (p) => live.get(p) ?? false, record: (b) => void recorded.push(b) });
    const probe = new Scripted('wiki.example.org');
    const emitted: Array<{ fp: string; status: string; summary: string; startsAt: string; news: boolean; agreed: boolean }> = [];
    const engine = new ProbeEngine({
      config: config.probes,
      clock,
      log: silentLogger(),
      store: new ProbeStateStore(db),
      create: () => probe,
      emit: (b: AlertBatch, news: boolean) => {
        for (const a of b.alerts) emitted.push({ fp: a.fingerprint, status: a.status, summary: a.annotations['summary'] ?? '', startsAt: a.startsAt, news, agreed: a.agreedEpisode === true });
      },
      random: () => 0.5,
      ...(withCluster ? { combiner: verdicts } : {}),
    });
    let hlcWall = 0;
    const peerSays = (up: boolean, sinceMs: number): void => verdicts.applyPeer('us-east', { kind: 'verdict', probe: 'wiki', up, reason: up ? undefined : 'no HTTP answer', sinceMs }, { wall: ++hlcWall, counter: 0, node: 'us-east' }, clock.now());
    return { clock, engine, probe, emitted, recorded, verdicts, live, peerSays };
  }
  const seen = (r: ReturnType<typeof rig>): string[] => r.emitted.map((e) => `${e.fp} ${e.status}`);

  it('down here, up from the peer: the regions warning, not the down alert; down from both: the down alert from the earliest since, the warning resolved', async () => {
    const r = rig(true);
    r.engine.start();
    await run(r.clock, 15);
    r.peerSays(true, r.clock.now());
    r.probe.up = false;
    await run(r.clock, 35);
    assert.deepEqual(seen(r), ['probe:wiki:regions firing']);
    assert.equal(r.emitted[0]?.summary, 'wiki.example.org: no TCP connection within 2000 ms from eu-west; up from us-east');
    const mine = r.recorded.filter((b) => b.kind === 'verdict').at(-1);
    assert.ok(mine?.kind === 'verdict' && mine.up === false && mine.reason === 'no TCP connection within 2000 ms' && typeof mine.sinceMs === 'number', JSON.stringify(r.recorded));
    // The peer saw it down earlier than this region (its since is before ours).
    const peerSince = (mine.sinceMs ?? 0) - 7_000;
    r.peerSays(false, peerSince);
    await run(r.clock, 1);
    assert.deepEqual(seen(r), ['probe:wiki:regions firing', 'probe:wiki:regions resolved', 'probe:wiki firing']);
    assert.equal(r.emitted[2]?.startsAt, new Date(peerSince).toISOString(), 'every instance derives the same start');
    assert.match(r.emitted[2]?.summary ?? '', /^wiki \(wiki\.example\.org\) is down: wiki\.example\.org: no TCP connection within 2000 ms from eu-west; no HTTP answer from us-east$/);
    // The peer unreachable: this region alone still says down; the alert stays as it is.
    r.live.set('us-east', false);
    r.verdicts.changed();
    await run(r.clock, 1);
    assert.equal(r.emitted.length, 3);
    // Up here: the peer is not counted, so it is up; resolved.
    r.probe.up = true;
    await run(r.clock, 25);
    assert.deepEqual(seen(r).slice(3), ['probe:wiki resolved']);
    await r.engine.stop();
  });

  it('up here, down from the peer: the warning names the peer; the peer recovers: resolved', async () => {
    const r = rig(true);
    r.engine.start();
    await run(r.clock, 15);
    r.peerSays(false, r.clock.now());
    await run(r.clock, 1);
    assert.deepEqual(seen(r), ['probe:wiki:regions firing']);
    assert.equal(r.emitted[0]?.summary, 'wiki.example.org: no HTTP answer from us-east; up from eu-west');
    assert.equal(r.emitted[0]?.agreed, true, 'every instance raises it at its own moment: an agreed episode, paged once');
    r.peerSays(true, r.clock.now());
    await run(r.clock, 1);
    assert.deepEqual(seen(r), ['probe:wiki:regions firing', 'probe:wiki:regions resolved']);
    await r.engine.stop();
  });

  it('a verdict older (by HLC) than the stored one is ignored', async () => {
    const r = rig(true);
    const store = r.verdicts;
    r.peerSays(false, 1);
    const before = store.combine({ name: 'wiki', kind: 'tcp' } as never, 'x', undefined);
    store.applyPeer('us-east', { kind: 'verdict', probe: 'wiki', up: true }, { wall: 0, counter: 0, node: 'us-east' }, 0);
    assert.deepEqual(store.combine({ name: 'wiki', kind: 'tcp' } as never, 'x', undefined), before);
    assert.equal(before.kind, 'down');
  });

  it('without a combiner (no cluster) the probe alerts on its own verdict alone, as before', async () => {
    const r = rig(false);
    r.engine.start();
    await run(r.clock, 15);
    r.peerSays(true, r.clock.now());
    r.probe.up = false;
    await run(r.clock, 35);
    assert.deepEqual(seen(r), ['probe:wiki firing']);
    assert.equal(r.recorded.length, 0);
    await r.engine.stop();
  });
});
