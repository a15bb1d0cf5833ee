import assert from 'node:assert/strict';
import { PeerLiveness, type PeerChange } from '../../../src/cluster/liveness.js';
import { FakeClock } from '../fakeClock.js';

describe('peer liveness (issue 23: a peer not heard for peer_timeout is down)', () => {
  const setup = (self = 'b', peers = ['a', 'c']): { clock: FakeClock; l: PeerLiveness; changes: PeerChange[] } => {
    const clock = new FakeClock();
    const l = new PeerLiveness(self, peers, 15_000, clock);
    const changes: PeerChange[] = [];
    l.onChange((c) => changes.push(c));
    l.start();
    return { clock, l, changes };
  };

  it('a peer heard is up; not heard for peer_timeout it is down; heard again, up', () => {
    const { clock, l, changes } = setup();
    l.heard('a', ['b']);
    assert.equal(l.state('a'), 'up');
    clock.advance(14_999);
    l.heard('a', ['b']);
    clock.advance(14_999);
    assert.equal(l.state('a'), 'up', 'each heartbeat restarts the timeout');
    clock.advance(1);
    assert.equal(l.state('a'), 'down');
    l.heard('a', []);
    assert.equal(l.state('a'), 'up');
    assert.equal(l.hearsUs('a'), false, 'its heartbeat says it does not hear us (one-way link)');
    assert.deepEqual(
      changes.filter((c) => c.peer === 'a').map((c) => c.state),
      ['up', 'down', 'up'],
    );
  });

  it('a down carries when the peer sent its last heartbeat, by its own clock', () => {
    const { clock, l, changes } = setup();
    l.heard('a', ['b'], 1_000);
    l.heard('a', ['b'], 1_500);
    clock.advance(15_000);
    const down = changes.find((c) => c.peer === 'a' && c.state === 'down');
    assert.equal(down?.lastSentMs, 1_500);
  });

  it('a peer never heard is down peer_timeout after start, not before', () => {
    const { clock, l, changes } = setup();
    clock.advance(14_999);
    assert.equal(l.state('c'), 'unknown');
    clock.advance(1);
    assert.deepEqual(changes.map((c) => [c.peer, c.state, c.lastHeardMs]).sort(), [['a', 'down', undefined], ['c', 'down', undefined]]);
  });

  it('position: k among live instances sorted by name; unknown peers count as live (a restarted instance does not jump to 0)', () => {
    const { clock, l } = setup('b', ['a', 'c']);
    assert.equal(l.position(), 1, 'a, b, c all count while not yet known');
    l.heard('c');
    clock.advance(15_000);
    assert.equal(l.state('a'), 'down');
    assert.equal(l.position(), 0, 'a down: b is first');
    assert.deepEqual(l.livePeers(), []);
    l.heard('a');
    l.heard('c');
    assert.equal(l.position(), 1);
    assert.deepEqual(l.livePeers(), ['a', 'c']);
  });

  it('runs on the monotonic clock: a wall clock step does not mark a peer down', () => {
    const { clock, l } = setup();
    l.heard('a');
    clock.stepWall(3_600_000);
    clock.advance(1000);
    assert.equal(l.state('a'), 'up');
  });

  it('stop leaves no timers', () => {
    const { clock, l } = setup();
    l.heard('a');
    l.stop();
    assert.equal(clock.pending, 0);
  });
});
