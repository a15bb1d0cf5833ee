import type { ClusterDispatch } from '../cluster/dispatch.js';
import type { HlcTimestamp } from '../cluster/hlc.js';
import type { ClusterNode } from '../cluster/node.js';
import { sharedSilence, silenceKey } from '../store/silences.js';
import type { Mutes } from './mutes.js';

/**
 * Silences across regions (issue 23): a silence set or ended on any instance holds on all of them.
 *
 * - Out: each silence set or ended here goes to the peers as a cluster message (`silence`,
 *   `unsilence`), recorded in the transaction that writes it (the cluster outbox), so a crash
 *   loses neither. Message ids are stable per silence ("silence:<key>", "unsilence:<key>"). An end
 *   is stored with its message's hybrid logical clock timestamp.
 * - In: a peer's silence is stored once, by its key (silences.cluster_key, store/silenceKey.ts),
 *   and applied as a local one (Mutes.applyShared: open incidents it matches are held, its end is
 *   timed); a peer's unsilence is merged, the end with the earliest hybrid logical clock timestamp
 *   winning (the instance name in it breaks ties; wall clocks that disagree do not matter), and
 *   releases what the silence held exactly as a local `!unsilence` does. Messages arrive in HLC
 *   order per peer; across peers the merge makes the order irrelevant (an unsilence before its
 *   silence stores the silence already ended).
 *
 * `hlcText` is cluster/hlc.ts formatHlc, passed in by app.ts: the pipeline never loads src/cluster.
 */
export function shareMutes(mutes: Mutes, node: Pick<ClusterNode, 'record' | 'hlc'>, dispatch: Pick<ClusterDispatch, 'on'>, hlcText: (t: HlcTimestamp) => string): void {
  mutes.replicateTo({
    silenced: (s) => void node.record({ kind: 'silence', ...sharedSilence(s) }, `silence:${silenceKey(s)}`),
    unsilenced: (s, by, endedMs) => {
      const hlc = node.hlc.now();
      node.record({ kind: 'unsilence', ...sharedSilence(s), by, endedMs }, `unsilence:${silenceKey(s)}`, hlc);
      return hlcText(hlc);
    },
  });
  dispatch.on('silence', ({ kind: _, ...s }, msg) => void mutes.applyShared(s, msg.from));
  dispatch.on('unsilence', ({ kind: _, by, endedMs, ...s }, msg) => void mutes.applySharedEnd(s, by, endedMs, msg.from, hlcText(msg.hlc)));
}
