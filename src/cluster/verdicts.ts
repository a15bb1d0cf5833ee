import type { ProbeConfig, ProbesConfig } from '../config/probeSchema.js';
import { combineVotes, probeConfirm, type Combined, type RegionVerdict, type RegionVote, type VerdictCombiner } from '../probes/combiner.js';
import type { PeerVerdictStore } from '../store/clusterVerdicts.js';
import { formatHlc, type HlcTimestamp } from './hlc.js';
import type { BodyOf, ClusterBody } from './messages.js';

/** What the cluster's verdict combiner needs. */
export interface ClusterVerdictsDeps {
  /** This instance's (region's) name. */
  readonly self: string;
  /** The peers' names. */
  readonly peers: readonly string[];
  readonly probes: ProbesConfig;
  readonly store: PeerVerdictStore;
  /** Whether a peer is heard now (ClusterNode.peerState). */
  live(peer: string): boolean;
  /** Publishes a decision to the peers (ClusterNode.record). */
  record(body: Exclude<ClusterBody, { kind: 'heartbeat' }>): void;
}

/**
 * The probe engine's combiner with a cluster: this region's verdict changes go to the peers
 * (kind verdict), the peers' latest verdicts are kept in cluster_verdicts (they stand until their
 * region says otherwise, also across restarts), and a probe's verdict is combined from this
 * region's and every heard peer's (probes/combiner.ts). A peer going down or coming back changes
 * which verdicts count, so it is a change too.
 */
export class ClusterVerdicts implements VerdictCombiner {
  private readonly listeners: Array<() => void> = [];

  constructor(private readonly d: ClusterVerdictsDeps) {}

  local(probe: string, v: RegionVerdict): void {
    this.d.record({ kind: 'verdict', probe, up: v.up, reason: v.reason.slice(0, 2000), sinceMs: v.sinceMs });
  }

  combine(cfg: ProbeConfig, target: string, own: RegionVerdict | undefined): Combined {
    const stored = new Map(this.d.store.of(cfg.name).map((v) => [v.region, v]));
    const votes: RegionVote[] = [{ region: this.d.self, reachable: true, verdict: own }];
    for (const peer of this.d.peers) {
      const v = stored.get(peer);
      votes.push({ region: peer, reachable: this.d.live(peer), verdict: v ? { up: v.up, reason: v.reason, sinceMs: v.sinceMs } : undefined });
    }
    return combineVotes(target, probeConfirm(this.d.probes, cfg), votes);
  }

  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  /**
   * A peer's verdict (the dispatch handler of kind verdict; runs in the transaction that marks the
   * message applied). The probes combine again after that transaction.
   */
  applyPeer(from: string, body: BodyOf<'verdict'>, hlc: HlcTimestamp, nowMs: number): void {
    const stored = this.d.store.save({ region: from, probe: body.probe, up: body.up, reason: body.reason ?? (body.up ? '' : 'down'), sinceMs: body.sinceMs ?? nowMs, hlc: formatHlc(hlc) });
    if (stored) this.changed();
  }

  /** Which verdicts count changed (a peer down or back): combine again, after the current transaction. */
  changed(): void {
    queueMicrotask(() => {
      for (const fn of this.listeners) fn();
    });
  }
}
