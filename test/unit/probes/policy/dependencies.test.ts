import assert from 'node:assert/strict';
import { failedAgainOutcome, openOutcome, recoveredOutcome } from '../../../../src/probes/policy/dependencies.js';
import type { DampedState, ProbeView, ProbeWorld } from '../../../../src/probes/policy/outcome.js';
import type { ProbeResult } from '../../../../src/probes/probe.js';

const NOW = 1_000_000;
const EP = '203.0.113.7:443';

/** A failure at the shared endpoint after the request was sent (same failureKey for all). */
const hung: ProbeResult = { up: false, summary: 'no HTTP response within 5 s', phases: { connect: 0.001, request: 0.001, total: 5 }, values: {}, endpoint: EP };
const refused: ProbeResult = { up: false, summary: 'connection refused', phases: { total: 0.001 }, values: {} };
const ok: ProbeResult = { up: true, summary: 'HTTP 200 in 3 ms', phases: { total: 0.003 }, values: {} };

function view(name: string, state: Partial<DampedState> = {}, extra: Partial<ProbeView> = {}): ProbeView {
  return { name, state: { name, status: 'up', failures: 0, successes: 1, sinceMs: 0, behind: null, warning: null, ...state }, last: null, openAfter: 3, dependsOn: [], infer: true, windowMs: 20_000, ...extra };
}

function world(...views: ProbeView[]): ProbeWorld {
  const m = new Map(views.map((v) => [v.name, v]));
  return { get: (n) => m.get(n), all: () => m.values() };
}

describe('dependencies and shared causes (pure)', () => {
  it('depends_on: a dependency still deciding makes it wait; one down takes it behind, and the dependency\'s alert is sent again to name it', () => {
    const proxy = view('proxy', { failures: 1 }, { last: { ...refused, atMs: NOW } });
    const wiki = view('wiki', { failures: 3 }, { dependsOn: ['proxy'] });
    assert.deepEqual(openOutcome(world(proxy, wiki), wiki, refused, NOW), { patches: [], events: [] });
    const down = { ...proxy, state: { ...proxy.state, status: 'down' as const } };
    assert.deepEqual(openOutcome(world(down, wiki), wiki, refused, NOW), {
      patches: [{ probe: 'wiki', status: 'down', sinceMs: NOW, behind: 'proxy' }],
      events: [{ kind: 'behind', probe: 'wiki', cause: 'proxy' }, { kind: 'alert', probe: 'proxy', status: 'firing', evidence: { ...refused, atMs: NOW } }],
    });
  });

  it('no cause: its own alert opens with its evidence', () => {
    const web = view('web', { failures: 3 });
    assert.deepEqual(openOutcome(world(web), web, refused, NOW), { patches: [{ probe: 'web', status: 'down', sinceMs: NOW, behind: null }], events: [{ kind: 'alert', probe: 'web', status: 'firing', evidence: refused }] });
  });

  it('probes failing the same way at one endpoint: wait while a peer is still counting, then all go behind the endpoint with one alert', () => {
    const last = { ...hung, atMs: NOW - 1_000 };
    const wiki = view('wiki', { failures: 3 }, { last });
    const api = view('api', { failures: 2 }, { last });
    assert.deepEqual(openOutcome(world(wiki, api), wiki, hung, NOW).patches, [], 'api has not reached its threshold: wait for it');
    const api3 = view('api', { failures: 3 }, { last });
    const o = openOutcome(world(wiki, api3), wiki, hung, NOW);
    assert.deepEqual(o.patches, [
      { probe: 'wiki', status: 'down', sinceMs: NOW, behind: `~${EP}`, save: true },
      { probe: 'api', status: 'down', sinceMs: NOW, behind: `~${EP}`, save: true },
    ]);
    assert.deepEqual(o.events.at(-1), { kind: 'shared', endpoint: EP, news: true });
    assert.deepEqual(o.events.filter((e) => e.kind === 'joinedShared').map((e) => e.probe), ['wiki', 'api']);
  });

  it('infer_cause off, a declared dependency between them, or a peer\'s result outside its window: no grouping', () => {
    const last = { ...hung, atMs: NOW - 1_000 };
    const api = view('api', { failures: 3 }, { last });
    for (const [self, peer] of [
      [view('wiki', { failures: 3 }, { last, infer: false }), api],
      [view('wiki', { failures: 3 }, { last, dependsOn: ['api'] }), api],
      [view('wiki', { failures: 3 }, { last }), view('api', { failures: 3 }, { last: { ...hung, atMs: NOW - 30_000 } })],
    ] as const) {
      const o = openOutcome(world(self, peer), self, hung, NOW);
      assert.deepEqual(o.patches.map((p) => p.behind), self.dependsOn.length > 0 ? [] : [null], 'its own alert (or, with a dependency still counting, wait)');
    }
  });

  it('down behind an endpoint: failing there keeps it; failing elsewhere makes its own alert, and the endpoint\'s alert says who is left', () => {
    const wiki = view('wiki', { status: 'down', behind: `~${EP}` });
    assert.deepEqual(failedAgainOutcome(world(wiki), wiki, hung, NOW), { patches: [], events: [] });
    const o = failedAgainOutcome(world(wiki), wiki, refused, NOW);
    assert.deepEqual(o.patches, [{ probe: 'wiki', behind: null, sinceMs: NOW }]);
    assert.deepEqual(o.events, [
      { kind: 'alert', probe: 'wiki', status: 'firing', evidence: { ...refused, summary: `connection refused (no longer failing at ${EP} with the others)` } },
      { kind: 'shared', endpoint: EP, news: false },
    ]);
  });

  it('down behind a dependency that recovered: another dependency down takes it over; none: it opens its own alert, saying so', () => {
    const proxy = view('proxy', { status: 'up' });
    const vpn = view('vpn', { status: 'down' }, { last: { ...refused, atMs: NOW } });
    const svc = view('svc', { status: 'down', behind: 'proxy' }, { dependsOn: ['proxy', 'vpn'] });
    assert.deepEqual(failedAgainOutcome(world(proxy, vpn, svc), svc, refused, NOW), { patches: [{ probe: 'svc', behind: 'vpn' }], events: [{ kind: 'alert', probe: 'vpn', status: 'firing', evidence: { ...refused, atMs: NOW } }] });
    const vpnUp = view('vpn', { status: 'up' });
    const o = failedAgainOutcome(world(proxy, vpnUp, svc), svc, refused, NOW);
    assert.deepEqual(o.patches, [{ probe: 'svc', behind: null, sinceMs: NOW }]);
    assert.deepEqual(o.events, [
      { kind: 'outlived', probe: 'svc', cause: 'proxy' },
      { kind: 'alert', probe: 'svc', status: 'firing', evidence: { ...refused, summary: 'connection refused (still down after proxy, which it depends on, recovered)' } },
    ]);
    const proxyDown = view('proxy', { status: 'down' });
    assert.deepEqual(failedAgainOutcome(world(proxyDown, svc), svc, refused, NOW), { patches: [], events: [] }, 'its cause is still down: still explained');
  });

  it('recovering: its own alert resolves (not when it was behind a cause), an endpoint it was behind is told, the probes behind it run again now', () => {
    const proxy = view('proxy', { status: 'down', sinceMs: 5 });
    const wiki = view('wiki', { status: 'down', behind: 'proxy' });
    const feed = view('feed', { status: 'up', behind: null });
    assert.deepEqual(recoveredOutcome(world(proxy, wiki, feed), proxy, ok, NOW), {
      patches: [{ probe: 'proxy', status: 'up', sinceMs: NOW, behind: null }],
      events: [{ kind: 'alert', probe: 'proxy', status: 'resolved', evidence: ok }, { kind: 'rerun', probe: 'wiki' }],
    });
    const api = view('api', { status: 'down', behind: `~${EP}` });
    assert.deepEqual(recoveredOutcome(world(api), api, ok, NOW).events, [{ kind: 'shared', endpoint: EP, news: true }], 'no alert of its own to resolve');
    const first = view('new', { status: 'unknown' });
    assert.deepEqual(recoveredOutcome(world(first), first, ok, NOW), { patches: [{ probe: 'new', status: 'up', sinceMs: NOW, behind: null }], events: [] }, 'a first up result says nothing');
  });
});
