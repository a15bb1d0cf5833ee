import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load.js';
import { HeartbeatRoutes } from '../../../src/sources/heartbeats.js';
import { openDb } from '../../../src/store/db.js';
import { HeartbeatStore } from '../../../src/store/heartbeats.js';
import { FakeClock } from '../fakeClock.js';

describe('heartbeat routes', () => {
  const rig = () => {
    const config = parseConfig(
      [
        'probes:',
        '  targets:',
        '    - { name: watchdog, kind: heartbeat, within: 5m, alertname: Watchdog }',
        '    - { name: nightly-backup, kind: heartbeat, within: 25h }',
        '    - { name: web, kind: http, url: "http://127.0.0.1:1/" }',
      ].join('\n'),
      't.yaml',
      {},
    );
    const clock = new FakeClock();
    const store = new HeartbeatStore(openDb(':memory:'));
    return { clock, store, routes: new HeartbeatRoutes(config.probes.targets, store, clock) };
  };

  it('routes an alert by its alertname to the heartbeat it feeds; its name is quiet', () => {
    const { routes } = rig();
    assert.equal(routes.heartbeatOf({ alertname: 'Watchdog', severity: 'none' }), 'watchdog');
    assert.equal(routes.heartbeatOf({ alertname: 'DiskFull' }), undefined);
    assert.equal(routes.heartbeatOf({ instance: 'h1' }), undefined);
    assert.deepEqual(routes.quietNames, ['Watchdog']);
  });

  it('takes pings only for heartbeats without an alertname, at the clock\'s time', () => {
    const { clock, store, routes } = rig();
    assert.equal(routes.ping('nightly-backup', { kind: 'start' }), true);
    assert.equal(store.last('nightly-backup'), undefined, 'a start is not a beat');
    assert.equal(routes.ping('nightly-backup', { kind: 'success' }), true);
    assert.equal(store.last('nightly-backup'), clock.now());
    clock.advance(60_000);
    assert.equal(routes.ping('nightly-backup', { kind: 'fail', reason: 'tar: disk full' }), true);
    assert.deepEqual(store.failure('nightly-backup'), { atMs: clock.now(), reason: 'tar: disk full' });
    assert.equal(routes.ping('watchdog', { kind: 'success' }), false, 'fed by its alert, not by pings');
    assert.equal(routes.ping('web', { kind: 'success' }), false);
    assert.equal(routes.ping('nope', { kind: 'success' }), false);
    assert.equal(store.last('watchdog'), undefined);
  });
});
