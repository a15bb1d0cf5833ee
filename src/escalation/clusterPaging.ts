import type { Logger } from '../observability/logger.js';
import type { GateVerdict, PageGate } from './context.js';

/**
 * What the paging gate needs of the cluster layer (cluster/node.ts ClusterNode has it): stated
 * here so that escalation never loads src/cluster, which only a `cluster` section loads.
 */
export interface ClusterPort {
  sendDelayMs(): number;
  tryClaim(incident: string, step: string): { ok: true; leaseUntilMs: number } | { ok: false; blocker: { kind: 'sent'; by: string } | { kind: 'claimed'; by: string; leaseUntilMs: number } };
  markSent(incident: string, step: string, channel?: string, code?: string): void;
  /** Records an ack for the peers; returns the message's hybrid logical clock timestamp as text. */
  recordAck(episode: string, by: string): string;
  /** Records an unack for the peers; returns its timestamp as recordAck does. */
  recordUnack(episode: string, by: string): string;
}

/** After a peer's claim lapses, look again this much later (the peer's sent may be on its way). */
const AFTER_LEASE_MS = 250;

/**
 * One page per event across instances (issue 23), over the cluster's claims: a page of a shared
 * episode waits this instance's position × peer_timeout, then goes only if no instance sent it
 * and no other holds a live claim on it; claimed before it is queued (in the bundler's
 * transaction), marked sent once its notifier accepted it. A claim that lapses without a sent
 * (its instance died mid-send) is taken over: never both silent.
 */
export class ClusterPaging implements PageGate {
  /** A third of the lease: two renewals can be lost before the claim lapses. */
  readonly renewEveryMs: number;

  constructor(
    readonly self: string,
    private readonly node: ClusterPort,
    private readonly log: Logger,
    claimLeaseMs: number,
  ) {
    this.renewEveryMs = Math.max(1_000, Math.floor(claimLeaseMs / 3));
  }

  renew(episode: string, key: string): boolean {
    // A peer's live claim (it took over while this one was cut off) does not stop this copy: a
    // duplicate at worst, never a loss. Only a peer's sent does.
    const r = this.node.tryClaim(episode, key);
    return r.ok || r.blocker.kind !== 'sent';
  }

  delayMs(): number {
    return this.node.sendDelayMs();
  }

  claim(episode: string, key: string): GateVerdict {
    const r = this.node.tryClaim(episode, key);
    if (r.ok) return { kind: 'send' };
    if (r.blocker.kind === 'sent') return { kind: 'peer', by: r.blocker.by };
    return { kind: 'wait', untilMs: r.blocker.leaseUntilMs + AFTER_LEASE_MS };
  }

  sent(episode: string, key: string, channel: string, code: string): void {
    try {
      this.node.markSent(episode, key, channel, code);
    } catch (err) {
      // The page went; only the peers' knowledge of it failed: at worst one of them sends it again after the lease.
      this.log.error({ event: 'cluster_mark_sent_failed', episode, page: key, err: String(err) }, `could not record page ${key} of ${episode} as sent for the peers (${String(err)}); a peer may send it again after claim_lease`);
    }
  }

  acked(episode: string, by: string): { instance: string; hlc: string } {
    return { instance: this.self, hlc: this.node.recordAck(episode, by) };
  }

  unacked(episode: string, by: string): { instance: string; hlc: string } {
    return { instance: this.self, hlc: this.node.recordUnack(episode, by) };
  }
}
