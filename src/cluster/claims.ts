import type { ClaimStore } from '../store/cluster.js';
import type { Clock } from '../util/clock.js';
import type { ClusterEnvelope } from './messages.js';

/** What stands in the way of this instance sending a step of an incident. */
export type ClaimBlocker =
  | { readonly kind: 'sent'; readonly by: string; readonly atMs: number }
  | { readonly kind: 'claimed'; readonly by: string; readonly leaseUntilMs: number };

/** The outcome of trying to claim a step. */
export type ClaimResult = { readonly ok: true; readonly leaseUntilMs: number } | { readonly ok: false; readonly blocker: ClaimBlocker };

/**
 * The rule "one page per event" (issue 23) over the claims and sends of every instance: a step may
 * be sent by this instance unless some instance sent it, or another instance holds a claim on it
 * whose lease has not run out. Claim before sending and mark sent after, so an instance that dies
 * mid-send is taken over when its lease lapses: never both silent (at worst, after a lapse, a
 * duplicate: "duplicates over loss", as Alertmanager). Leases are the claimer's wall time: clocks
 * more than a few seconds apart shorten or lengthen them by that much (keep NTP on).
 */
export class ClaimBook {
  constructor(
    private readonly self: string,
    private readonly store: ClaimStore,
    private readonly clock: Clock,
  ) {}

  /** What blocks this instance from sending the step now; undefined when nothing does. */
  blocker(incident: string, step: string): ClaimBlocker | undefined {
    const now = this.clock.now();
    const rows = this.store.claims(incident, step);
    const sent = rows.filter((r) => r.sentMs !== undefined).sort((a, b) => (a.sentMs ?? 0) - (b.sentMs ?? 0))[0];
    if (sent) return { kind: 'sent', by: sent.instance, atMs: sent.sentMs ?? 0 };
    // Among live claims of others the earliest lease end is reported; ties by name, the same everywhere.
    const live = rows.filter((r) => r.instance !== this.self && r.leaseUntilMs > now).sort((a, b) => a.leaseUntilMs - b.leaseUntilMs || (a.instance < b.instance ? -1 : 1))[0];
    if (live) return { kind: 'claimed', by: live.instance, leaseUntilMs: live.leaseUntilMs };
    return undefined;
  }

  /** Records this instance's claim when nothing blocks it (call in a transaction with the message to peers). */
  claim(incident: string, step: string, leaseMs: number): ClaimResult {
    const blocker = this.blocker(incident, step);
    if (blocker) return { ok: false, blocker };
    const leaseUntilMs = this.clock.now() + leaseMs;
    this.store.putClaim(incident, step, this.self, leaseUntilMs);
    return { ok: true, leaseUntilMs };
  }

  /** Whether any instance (this one or a peer) claimed or sent any step of the incident. */
  touched(incident: string): boolean {
    return this.store.any(incident);
  }

  /** Records that this instance sent the step. */
  sent(incident: string, step: string): void {
    this.store.putSent(incident, step, this.self, this.clock.now());
  }

  /** Takes in a peer's claim or sent message (others are not about claims). */
  applyPeer(env: ClusterEnvelope): void {
    const b = env.body;
    if (b.kind === 'claim') this.store.putClaim(b.incident, b.step, env.from, b.leaseUntilMs);
    else if (b.kind === 'sent') this.store.putSent(b.incident, b.step, env.from, env.hlc.wall);
  }
}
