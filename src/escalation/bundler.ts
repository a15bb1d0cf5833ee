import type { NoticeTag } from '../alerts/messages.js';
import { isNotice } from '../alerts/pages.js';
import { bySeverity } from '../alerts/severity.js';
import type { Person } from '../people/oncall.js';
import type { Incident, PageRow } from '../store/incidents.js';
import type { PagingChannel } from './channels/channel.js';
import { PAGING_CHANNELS } from './channels/registry.js';
import type { EscalationContext } from './context.js';
import { pageKey } from './episode.js';
import type { PageText } from './pageText.js';

/** What the bundler needs. */
export type BundlerDeps = Pick<EscalationContext, 'config' | 'atomic' | 'outbox' | 'incidents' | 'schedule' | 'log' | 'channels' | 'poke' | 'gate' | 'agreement'>;

/**
 * Turns decided pages into outbox messages, one per (person, channel) at a time, within each
 * channel's budget. The budgets are counted from the outbox itself, so they survive restarts.
 */
export class PageBundler {
  constructor(
    private readonly d: BundlerDeps,
    /** An incident moved to a peer's episode at claim time (episodeAgreement.ts). */
    private readonly moved: (inc: Incident) => void = () => undefined,
  ) {}

  /**
   * Gives unsent pages to the outbox, one message per (person, channel): the first page goes at
   * once, later ones within `bundle_window` wait and go together. Pages past a channel's budget go
   * by the channel it names, with one message saying so. `force` sends everything now (the
   * path-down notice). Returns when bundles are next due.
   *
   * In a cluster, a page of an episode shared with peers goes only after this instance's position
   * wait (PageGate.delayMs: 0 at position 0), and only if sendBundle's claim says so.
   */
  flush(now: number, force: boolean): number | undefined {
    const window = this.d.config.escalation.bundle_window;
    const delay = this.d.gate?.delayMs() ?? 0;
    let wake: number | undefined;
    const groups = new Map<string, PageRow[]>();
    for (const p of this.d.incidents.unsentPages()) {
      const at = p.episode !== undefined ? p.notBeforeMs + delay : p.notBeforeMs;
      if (at > now) {
        wake = Math.min(wake ?? at, at);
        continue;
      }
      const k = `${p.channel}\u0000${p.person}`;
      groups.set(k, [...(groups.get(k) ?? []), p]);
    }
    for (const rows of groups.values()) {
      const { channel: kind, person: name } = rows[0] as PageRow;
      const person = this.d.schedule.person(name);
      // A channel no longer configured (pages from before a config change) still has its object.
      const channel = this.d.channels.get(kind) ?? PAGING_CHANNELS[kind];
      if (!person) continue;
      // Notices (resolved, restored) go at once on their own: they never wait for a bundle window
      // and never open one, so they cannot hold back a page.
      const notices = rows.filter((r) => isNotice(r.reason));
      const pages = rows.filter((r) => !isNotice(r.reason));
      const later = (t: number | undefined): void => void (t !== undefined && (wake = Math.min(wake ?? t, t)));
      if (notices.length > 0) later(this.d.atomic(() => this.sendBundle(channel, person, notices, now)));
      if (pages.length === 0) continue;
      const last = this.d.incidents.lastSentMs(kind, name);
      const urgent = force || pages.some((r) => r.reason.kind === 'path');
      if (!urgent && last !== undefined && now < last + window) {
        wake = Math.min(wake ?? last + window, last + window);
        continue;
      }
      later(this.d.atomic(() => this.sendBundle(channel, person, pages, now)));
    }
    return wake;
  }

  /**
   * After a restart, in a cluster: the messages an earlier run queued with pages of episodes
   * shared with peers, not delivered yet, are taken out of the queue unsent (Outbox.markCovered:
   * never counted or logged as sent here) and their pages become unsent again. flush then decides
   * them like new pages once this instance settled with its peers (the engine is held until then):
   * sent when this instance still holds their claim or can claim them anew, recorded as sent by
   * the peer that took them over while this instance was down, waited for while a peer holds a
   * live claim. Never lost: a page no peer sent goes. A message already handed to its notifier in
   * part stays queued and goes. Returns how many pages were taken back.
   */
  takeBackShared(now: number): number {
    if (!this.d.gate) return 0;
    return this.takeBack(new Set(this.d.incidents.pendingSharedPages().flatMap((p) => p.outboxId ?? [])), now);
  }

  /**
   * Takes these queued messages out of the outbox unsent (those not yet handed to their notifier
   * at all) and makes their pages unsent again, to be decided anew; returns how many pages.
   */
  takeBack(messages: ReadonlySet<number>, now: number): number {
    return this.d.atomic(() => {
      let pages = 0;
      for (const id of messages) if (this.d.outbox.markCovered(id, now)) pages += this.d.incidents.unlinkMessage(id);
      return pages;
    });
  }

  /** The channel pages to `person` go by now: `channel`, or where its budget sends them; none: held. */
  private withinBudget(channel: PagingChannel, person: Person, now: number): PagingChannel | undefined {
    let ch = channel;
    // Each channel at most once: budgets pass pages on (a call to an SMS, an SMS to an email), never in a circle.
    for (let hops = 0; hops < this.d.channels.list.length && ch.overBudget(person, now, this.d.incidents, this.d.config); hops++) {
      const past = ch.pastBudget;
      const text = past?.notice?.(this.d.config);
      if (text !== undefined) this.budgetNotice(ch, person, now, text);
      const alt = past ? this.d.channels.get(past.goesBy) : undefined;
      if (!alt || alt.destination(person) === undefined) {
        this.d.log.warn({ event: `${ch.kind}_budget_reached`, person: person.name }, `${ch.kind} budget reached and nothing to fall back to; pages held`);
        return undefined;
      }
      this.d.log.info({ event: `${ch.kind}_budget_reached`, person: person.name }, `${ch.kind} budget reached; paging by ${alt.kind}`);
      ch = alt;
    }
    return ch;
  }

  /**
   * The one place a page is decided to be sent: pages to one person become one message on the
   * channel their budget allows, queued in the outbox and marked sent in one transaction.
   * In a cluster, each page of a shared episode is claimed first (in the same transaction): one a
   * peer sent is recorded as sent by that peer, one a peer holds a live claim on waits for the
   * claim to lapse (returned: when to look again).
   */
  private sendBundle(channel: PagingChannel, person: Person, all: PageRow[], now: number): number | undefined {
    const ch = this.withinBudget(channel, person, now);
    if (!ch) return undefined;
    const { rows, wake } = this.claimed(all, now);
    if (rows.length === 0) return wake;
    // One entry per incident: its latest step's text (several steps may have come due meanwhile).
    const latest = new Map<number, PageRow>();
    for (const r of rows) latest.set(r.incidentId, r);
    const incidents = new Map([...latest.keys()].flatMap((id) => this.d.incidents.get(id) ?? []).map((i) => [i.id, i]));
    const texts = this.worstFirst([...latest.values()], incidents).map((r) => JSON.parse(r.text) as PageText);
    const msg = ch.bundle(texts, { incidents: [...incidents.values()], nowMs: now });
    const dest = ch.destination(person);
    if (dest === undefined) return wake;
    const id = this.d.outbox.enqueue(dest, { kind: 'page', subject: msg.subject, body: msg.body }, now);
    this.d.incidents.markPagesSent(rows.map((r) => r.id), id);
    this.d.log.info({ event: 'paged', person: person.name, channel: ch.kind, pages: rows.length, outbox: id }, 'page queued');
    this.d.poke(dest);
    return wake;
  }

  /**
   * The pages this instance sends now: all of them alone; in a cluster, local ones and those of a
   * shared episode it claimed. A page a peer sent is recorded as the peer's (the status page says
   * who sent it); one a peer's live claim holds waits (wake: when that claim lapses). An incident
   * whose episode the instances agree on first moves to the episode that wins (a peer's earlier
   * one of the same event): its pages are claimed under that, where a peer's claim or sent is.
   */
  private claimed(rows: PageRow[], now: number): { rows: PageRow[]; wake: number | undefined } {
    const gate = this.d.gate;
    if (!gate) return { rows, wake: undefined };
    const send: PageRow[] = [];
    let wake: number | undefined;
    for (const row of rows) {
      if (row.episode === undefined) {
        send.push(row);
        continue;
      }
      const episode = this.d.agreement?.canonical(row.incidentId, now, this.moved) ?? row.episode;
      // Moved: the page as it is now (its text carries the new ack code; gone when a peer's ack of the episode holds here).
      const r = episode === row.episode ? row : this.d.incidents.unsentPages().find((p) => p.id === row.id);
      if (!r) continue;
      const v = gate.claim(episode, pageKey(r));
      if (v.kind === 'send') send.push(r);
      else if (v.kind === 'wait') wake = Math.min(wake ?? v.untilMs, v.untilMs);
      else {
        this.d.incidents.markPagesByPeer([r.id], v.by);
        this.d.log.info({ event: 'paged_by_peer', incident: r.incidentId, peer: v.by, channel: r.channel, person: r.person }, `page sent by peer ${v.by}; not sent here`);
      }
    }
    return { rows: send, wake };
  }

  /**
   * A bundle leads with its cause and its worst: the path-down page first (it explains why the
   * others come by email and SMS), then by severity (critical before warning), then oldest first.
   * Its subject is the first item's, so the subject names the worst.
   */
  private worstFirst(rows: readonly PageRow[], inc: ReadonlyMap<number, Incident>): PageRow[] {
    const causal = (r: PageRow): number => (r.reason.kind === 'path' ? 0 : 1);
    const severity = (r: PageRow): string => inc.get(r.incidentId)?.severity ?? '';
    const opened = (r: PageRow): number => inc.get(r.incidentId)?.openedMs ?? 0;
    return [...rows].sort((a, b) => causal(a) - causal(b) || bySeverity(severity(a), severity(b)) || opened(a) - opened(b) || a.incidentId - b.incidentId);
  }

  /** One message per hour on the channel telling the person that pages now go another way (a text message: not counted). */
  private budgetNotice(ch: PagingChannel, person: Person, now: number, text: string): void {
    const dest = ch.destination(person);
    const tag: NoticeTag = `${ch.kind}_budget`;
    if (dest === undefined || this.d.outbox.hasNoticeSince(dest, tag, now - 3_600_000)) return;
    const id = this.d.outbox.enqueue(dest, { kind: 'text', tag, text }, now);
    this.d.log.warn({ event: `${ch.kind}_budget_notice`, person: person.name, outbox: id }, `${ch.kind} budget reached; told ${person.name}`);
    this.d.poke(dest);
  }
}
