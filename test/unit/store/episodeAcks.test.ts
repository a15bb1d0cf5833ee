import assert from 'node:assert/strict';
import { formatHlc } from '../../../src/cluster/hlc.js';
import { openDb } from '../../../src/store/db.js';
import { EpisodeAckStore, type EpisodeAction } from '../../../src/store/episodeAcks.js';

/** Every order of a list (small lists only). */
function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

const at = (wall: number, node: string, counter = 0): string => formatHlc({ wall, counter, node });
const act = (kind: EpisodeAction['kind'], by: string, instance: string, hlc: string): EpisodeAction => ({ kind, episode: 'am:x@t', by, instance, hlc });

describe('acks and unacks of an episode, merged (issue 23; store/episodeAcks.ts)', () => {
  const cases: Array<{ name: string; actions: EpisodeAction[]; holds: string | undefined }> = [
    { name: 'ack then a later unack: not acknowledged', actions: [act('ack', 'alice', 'a', at(1_000, 'a')), act('unack', 'bob', 'b', at(2_000, 'b'))], holds: undefined },
    { name: 'an unack older than the ack: the ack holds', actions: [act('unack', 'bob', 'b', at(1_000, 'b')), act('ack', 'alice', 'a', at(2_000, 'a'))], holds: 'alice' },
    {
      name: 'two acks after the latest unack: the earlier of them is named',
      actions: [act('ack', 'alice', 'a', at(1_000, 'a')), act('unack', 'bob', 'b', at(2_000, 'b')), act('ack', 'carol', 'b', at(3_000, 'b')), act('ack', 'dave', 'a', at(4_000, 'a'))],
      holds: 'carol',
    },
    {
      name: 'the same wall ms: the counter, then the instance name orders them',
      actions: [act('ack', 'alice', 'a', at(1_000, 'a', 1)), act('unack', 'bob', 'b', at(1_000, 'b', 1)), act('ack', 'carol', 'a', at(1_000, 'a', 0))],
      holds: undefined,
    },
    {
      name: 'an ack after an unack made while its wall clock was behind (HLC counter): the ack holds',
      actions: [act('unack', 'bob', 'b', at(5_000, 'b', 0)), act('ack', 'alice', 'a', at(5_000, 'a', 1))],
      holds: 'alice',
    },
  ];
  for (const c of cases) {
    it(`${c.name}, in every order of arrival`, () => {
      for (const order of permutations(c.actions)) {
        const store = new EpisodeAckStore(openDb(':memory:'));
        let last: string | undefined;
        for (const a of order) last = store.put(a, 0)?.by;
        // A repeat (JetStream delivers at least once) changes nothing.
        for (const a of order) last = store.put(a, 0)?.by;
        assert.equal(last, c.holds, `order ${order.map((a) => `${a.kind}:${a.by}`).join(', ')}`);
        assert.equal(store.get('am:x@t')?.by, c.holds);
      }
    });
  }
});
