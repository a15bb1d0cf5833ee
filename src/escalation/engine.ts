import type { LabelSet } from '../alerts/labels.js';
import type { Incident, IncidentStore } from '../store/incidents.js';
import type { TimerHandle } from '../util/clock.js';
import { Acks, type AckResult } from './acks.js';
import { PageBundler } from './bundler.js';
import { ChannelSet } from './channels/registry.js';
import type { EngineDeps, EscalationContext } from './context.js';
import { IncidentFlow, type AlertChange, type AlertGroupRef } from './incidents.js';
import { PathRule } from './pathRule.js';
import { pageKey } from './episode.js';
import { EpisodeAgreement } from './episodeAgreement.js';
import { effectivePolicies } from './policies.js';
import { Reroute } from './reroute.js';
import { Steps } from './steps.js';

export type { AckResult } from './acks.js';
export type { EngineDeps } from './context.js';
export type { AlertChange, AlertGroupRef } from './incidents.js';
export { humanTime } from './pageText.js';

/** How often a held engine (pagingHeld) looks again. */
const HELD_RECHECK_MS = 250;

/**
 * The escalation engine: opens incidents for paging alerts, runs their policy steps on time,
 * bundles pages per person, keeps channel budgets, and applies the monitoring-path rule. All state
 * is in the database (incidents, pages, outbox), so a restart resumes exactly where it stopped.
 * This class is the timer and the public API; each concern is a part of its own:
 *
 *   incidents.ts  alert changes → incidents      steps.ts    due steps → pages
 *   acks.ts       acks, ack codes, mutes         pathRule.ts the monitoring-path rule
 *   reroute.ts    failover, delivery receipts    bundler.ts  pages → outbox messages
 *   episodeAgreement.ts  the episodes of Lifeline's own incidents, agreed with cluster peers
 */
export class EscalationEngine {
  readonly incidents: IncidentStore;
  private readonly ctx: EscalationContext;
  private readonly flow: IncidentFlow;
  private readonly steps: Steps;
  private readonly acks: Acks;
  private readonly path: PathRule;
  private readonly reroute: Reroute;
  private readonly bundler: PageBundler;
  private timer: TimerHandle | undefined;
  private stopped = false;
  /** When the claims of pages still queued here are renewed next (cluster only). */
  private renewAt = 0;

  constructor(d: EngineDeps) {
    this.incidents = d.incidents;
    const agreement = d.episodes && d.gate ? new EpisodeAgreement(d.episodes, d.incidents, d.log) : undefined;
    this.ctx = { ...d, channels: new ChannelSet(d.config), policies: effectivePolicies(d.config), agreement };
    const kick = (): void => this.kick();
    this.acks = new Acks(this.ctx, kick);
    // An incident moved to a peer's episode at claim time: a peer's ack of that episode holds here at once.
    this.bundler = new PageBundler(this.ctx, (inc) => void this.acks.openedEpisode(inc));
    this.steps = new Steps(this.ctx);
    this.path = new PathRule(this.ctx, this.steps, (now, force) => this.bundler.flush(now, force), kick, (inc) => this.acks.openedEpisode(inc));
    this.flow = new IncidentFlow(this.ctx, this.steps, (inc, now) => {
      // Acknowledged on a peer before it opened here: nothing to page out of band either.
      if (!this.acks.openedEpisode(inc)) this.path.opened(inc, now);
    });
    this.reroute = new Reroute(this.ctx, (now) => this.bundler.flush(now, true), kick);
    d.health.onChange((channel, healthy) => {
      if (!healthy) this.reroute.failOver(channel);
    });
  }

  /** Whether any paging channel is configured. */
  get enabled(): boolean {
    return this.ctx.channels.list.length > 0;
  }

  /** See IncidentFlow.onAlerts: called inside the webhook's transaction. */
  onAlerts(group: AlertGroupRef, changed: readonly AlertChange[], nowMs: number): void {
    if (this.enabled) this.flow.onAlerts(group, changed, nowMs);
  }

  /** For a batch: the ack code of the open incident each alert belongs to (its own, else its group's). */
  ackCodesFor(fingerprints: readonly string[], groupKey: string): (fingerprint: string) => string | undefined {
    return this.enabled ? this.acks.ackCodesFor(fingerprints, groupKey) : () => undefined;
  }

  /** Acknowledges by code; stops escalation (until `ack_timeout`, when set). */
  ack(code: string, by: string): AckResult {
    return this.acks.ack(code, by);
  }

  /** Acknowledges every open incident of the group of the incident with this code. */
  ackGroup(code: string, by: string): { ok: true; incidents: Incident[] } | { ok: false; reason: string } {
    return this.acks.ackGroup(code, by);
  }

  /** A cluster peer acknowledged an episode (see Acks.applyPeerAck); call in the transaction applying the message. */
  applyPeerAck(episode: string, by: string, instance: string, hlc: string): void {
    if (this.enabled) this.acks.applyPeerAck(episode, by, instance, hlc);
  }

  /** A cluster peer took an acknowledgement back (see Acks.applyPeerUnack); call in the transaction applying the message. */
  applyPeerUnack(episode: string, by: string, instance: string, hlc: string): void {
    if (this.enabled) this.acks.applyPeerUnack(episode, by, instance, hlc);
  }

  /**
   * An outbox message was delivered (its notifier accepted it). In a cluster, the pages it carried
   * of episodes shared with peers are marked sent, so that no peer sends them after its claim.
   */
  delivered(outboxId: number): void {
    const gate = this.ctx.gate;
    if (!gate || !this.enabled) return;
    // One transaction (one commit) for every page of a bundle, not one each.
    this.ctx.atomic(() => {
      for (const p of this.incidents.pagesOfMessage(outboxId)) {
        if (p.episode !== undefined) gate.sent(p.episode, pageKey(p), p.channel, this.incidents.get(p.incidentId)?.ackCode ?? '');
      }
    });
  }

  /**
   * A peer sent a page of an episode carrying ack code `code`: when this instance gave the episode
   * another code (a collision on one side), the peer's code becomes an alias here, so a reply to
   * the peer's page that reaches this instance answers this incident (see Acks.ack for ambiguity).
   */
  peerSentCode(episode: string, code: string): void {
    // Also when this instance holds the same event under another agreed episode (after a partition, or before its claim-time move).
    const inc = this.incidents.byEpisode(episode) ?? this.ctx.agreement?.sameEvent(episode);
    if (inc && code !== '' && inc.ackCode !== code) this.incidents.addAlias(code, inc.id);
  }

  /** Renews the claims of shared pages queued here and not yet delivered, every renewEveryMs; returns when next (none: nothing queued). */
  private renewClaims(now: number): number | undefined {
    const gate = this.ctx.gate;
    if (!gate) return undefined;
    if (this.renewAt === 0) {
      // A period starts with the first page queued: a fresh claim needs no renewal yet.
      if (this.incidents.pendingSharedPages().length === 0) return undefined;
      this.renewAt = now + gate.renewEveryMs;
      return this.renewAt;
    }
    if (now < this.renewAt) return this.renewAt;
    const pending = this.incidents.pendingSharedPages();
    const takenOver = new Set<number>();
    for (const p of pending) if (p.episode !== undefined && p.outboxId !== null && !gate.renew(p.episode, pageKey(p))) takenOver.add(p.outboxId);
    if (takenOver.size > 0) {
      // A peer sent a page still queued here (it took it over while this instance was cut off, the
      // claim lapsed): its message comes out of the queue unsent, and its pages are decided again
      // at once, as after a restart (the peer's recorded as sent by it, the others claimed and sent).
      const back = this.bundler.takeBack(takenOver, now);
      if (back > 0) {
        this.ctx.log.info({ event: 'pages_taken_back', pages: back }, `${back} queued page(s) taken out of the queue unsent: a peer sent them meanwhile; each is decided again`);
        queueMicrotask(() => this.kick());
      }
    }
    this.renewAt = pending.length > 0 ? now + gate.renewEveryMs : 0;
    return pending.length > 0 ? this.renewAt : undefined;
  }

  /** Takes an acknowledgement back; escalation resumes at once. */
  unack(code: string, by: string): AckResult {
    return this.acks.unack(code, by);
  }

  /** Holds the incidents `muted` matches now and releases the others (see Acks.applyMutes). */
  applyMutes(muted: (labels: LabelSet) => boolean, nowMs: number): { held: Incident[]; released: Incident[] } {
    return this.enabled ? this.acks.applyMutes(muted, nowMs) : { held: [], released: [] };
  }

  /** A page did not reach its person: the incidents still open move to their next step now. */
  escalateNow(incidentIds: readonly number[], why: string): void {
    this.reroute.escalateNow(incidentIds, why);
  }

  /** An SMS did not reach the phone: its pages go again another way (see Reroute.smsUndelivered). */
  smsUndelivered(outboxId: number, person: string, why: string): void {
    this.reroute.smsUndelivered(outboxId, person, why);
  }

  /** An SMS to `person` was delivered: SMS works for them again. */
  smsDelivered(person: string): void {
    this.reroute.smsDelivered(person);
  }

  /**
   * Starts the timer loop (after a restart, overdue steps run at once) and the monitoring-path
   * rule. In a cluster, first takes back the pages of shared episodes the last run left queued
   * (PageBundler.takeBackShared): call it before the dispatcher starts delivering the outbox.
   */
  start(): void {
    this.stopped = false;
    const back = this.enabled ? this.bundler.takeBackShared(this.ctx.clock.now()) : 0;
    if (back > 0) this.ctx.log.info({ event: 'pages_taken_back', pages: back }, `${back} page(s) of shared incidents queued before the restart go again only if no peer sent them meanwhile (decided once caught up with the peers)`);
    this.kick();
    if (this.enabled) this.path.start();
  }

  /** Stops timers; after this, state changes are ignored (the store is about to close). */
  stop(): void {
    this.stopped = true;
    this.path.stop();
    this.ctx.clock.clearTimeout(this.timer);
  }

  /** Runs due work now and re-arms the timer for the next due time. */
  kick(): void {
    if (this.stopped || !this.enabled) return;
    const { clock, log } = this.ctx;
    clock.clearTimeout(this.timer);
    let next: number | undefined;
    try {
      next = this.tick();
    } catch (err) {
      log.error({ event: 'escalation_error', err: String(err) }, 'escalation tick failed; retrying in 5 s');
      next = clock.now() + 5_000;
    }
    if (next !== undefined) this.timer = clock.setTimeout(() => this.kick(), Math.max(0, next - clock.now()));
  }

  /** One pass: due steps, then bundles, then receipts. Returns when to run again. */
  tick(): number | undefined {
    this.ctx.checkClock?.();
    const now = this.ctx.clock.now();
    // Not settled with the cluster yet: no step runs, no page goes; looked at again shortly.
    if (this.ctx.pagingHeld?.() !== undefined) return now + HELD_RECHECK_MS;
    this.steps.runDue(now);
    const wake = this.bundler.flush(now, this.flow.takeRaised());
    const receipts = this.reroute.checkReceipts(now);
    const due = this.incidents.nextDue();
    const renew = this.renewClaims(now);
    return [wake, due, receipts, renew].filter((t): t is number => t !== undefined).reduce<number | undefined>((a, b) => (a === undefined ? b : Math.min(a, b)), undefined);
  }
}
