import assert from 'node:assert/strict';
import { comparable, IrcStandby, type HeldLine } from '../../../src/cluster/ircStandby.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { FakeClock } from '../fakeClock.js';

describe('IRC with several instances: who posts, held lines, takeover (fake clock)', () => {
  function rig(self: string, live: string[], nicks = true) {
    const clock = new FakeClock();
    const held = new Map<number, HeldLine>();
    const covered: number[] = [];
    const s = new IrcStandby({
      self,
      peers: ['a', 'b', 'c'].filter((p) => p !== self).map((name) => ({ name, ...(nicks ? { irc_nick: `lifeline-${name}` } : {}) })),
      livePeers: () => live,
      takeoverMs: 10_000,
      clock,
      log: silentLogger(),
      held: () => [...held.values()],
      cover: (id) => {
        covered.push(id);
        return held.delete(id);
      },
    });
    let changes = 0;
    s.onChange(() => changes++);
    s.start();
    const hold = (id: number, firstLine: string): void => void held.set(id, { id, createdMs: clock.now(), firstLine });
    return { clock, s, held, covered, hold, live, changes: () => changes };
  }

  it('the first live instance by name posts; the others hold; the poster down makes the next one post', () => {
    const live = ['a', 'c'];
    const r = rig('b', live);
    assert.equal(r.s.poster(), 'a');
    assert.equal(r.s.posting(), false);
    live.splice(0, 1); // a down
    r.s.sweep();
    assert.equal(r.s.posting(), true);
    assert.ok(r.changes() >= 1);
  });

  it('a held line the poster posts is covered (ack codes and formatting differ); lines of peers are never commands', () => {
    const r = rig('b', ['a']);
    r.hold(1, '\x02[FIRING]\x02 ProbeDown wiki: wiki (wiki.example.org) is down: no TCP connection (!ack 12)');
    r.clock.advance(1_000);
    assert.equal(r.s.observe('lifeline-a', '\x02[FIRING]\x02 ProbeDown wiki: wiki (wiki.example.org) is down: no TCP connection (!ack 40)'), true);
    r.s.sweep();
    assert.deepEqual(r.covered, [1]);
    assert.equal(r.s.observe('alice', '!ack 40'), false);
    assert.equal(r.s.posting(), false);
  });

  it('a held line not seen within irc_takeover while the poster says nothing: take over; the poster\'s line again: hand back', () => {
    const r = rig('b', ['a']);
    r.hold(1, 'ProbeDown wiki is down');
    r.clock.advance(9_000);
    assert.equal(r.s.posting(), false, 'not before irc_takeover');
    r.clock.advance(2_000);
    assert.equal(r.s.posting(), true, 'taken over after irc_takeover (swept every second)');
    assert.deepEqual(r.covered, [], 'the held line is still queued: it is posted now');
    r.s.observe('lifeline-a', 'something from a');
    assert.equal(r.s.posting(), false);
  });

  it('a held line not seen while the poster kept posting (a digest): let go after irc_takeover, no takeover; without irc_nick: the same', () => {
    const r = rig('b', ['a']);
    r.hold(1, 'ProbeDown wiki is down');
    r.clock.advance(3_000);
    r.s.observe('lifeline-a', '[digest] 12 alerts while ...');
    r.clock.advance(9_000);
    assert.deepEqual(r.covered, [1]);
    assert.equal(r.s.posting(), false);
    const n = rig('b', ['a'], false);
    n.hold(1, 'x');
    n.clock.advance(11_000);
    assert.deepEqual(n.covered, [1]);
    assert.equal(n.s.posting(), false);
  });

  it('comparable strips formatting, ack codes and runs of spaces', () => {
    assert.equal(comparable('\x0304red\x0f  text (!ack 7) (incidents 1, 2)'), 'red text');
  });
});
