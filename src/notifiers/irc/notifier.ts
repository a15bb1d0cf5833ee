import { EventEmitter } from 'node:events';
import { NotifyError } from '../../errors.js';
import type { Availability, Delivery, Notifier } from '../notifier.js';
import { cleanLine } from '../text.js';
import { splitUtf8, textBudget } from './split.js';
import { pathHealthy, type IrcState } from './state.js';
import type { IrcSupervisor } from './supervisor.js';

const PREFIX = 'irc:';

/** Entries tracked until the network confirms them. */
const MAX_IN_DOUBT = 10_000;

/**
 * Delivers to IRC channels through the supervisor's link and the send queue. A destination is
 * ready when the link is registered, the channel is joined and the bouncer is on its network;
 * until then the outbox keeps the messages on disk.
 */
export class IrcNotifier implements Notifier {
  readonly digestsBacklog = true;
  readonly kind = 'irc';
  private readonly events = new EventEmitter();
  /** When the path last stopped being able to carry messages (link, upstream or canary). */
  private unhealthySinceMs: number | undefined;
  private lastOutage: Availability['lastOutage'];
  /**
   * Entries echoed by the bouncer but not yet proven to have reached the network: each with the
   * line mark after its last line. A canary confirming that mark settles them; losing the link or
   * the canary first hands them back to the dispatcher to be sent again (a bouncer that swallows
   * what it echoed must not lose an alert).
   */
  private inDoubt: Array<{ destination: string; entryId: number; mark: number }> = [];

  constructor(
    private readonly supervisor: IrcSupervisor,
    private readonly now: () => number,
  ) {
    // Until the first healthy moment, the path counts as down since start.
    this.unhealthySinceMs = now();
    let last = '';
    supervisor.on('state', (s: IrcState) => {
      const key = `${s.link}|${s.upstream}|${s.canary.failing}|${s.joined.join(',')}`;
      if (key === last) return;
      last = key;
      this.trackOutage(pathHealthy(s));
      this.events.emit('ready');
    });
    supervisor.on('network-confirmed', (mark) => {
      this.inDoubt = this.inDoubt.filter((e) => e.mark > mark);
    });
    supervisor.on('network-lost', (why) => {
      const lost = this.inDoubt.splice(0);
      const byDestination = new Map<string, number[]>();
      for (const e of lost) byDestination.set(e.destination, [...(byDestination.get(e.destination) ?? []), e.entryId]);
      for (const [destination, ids] of byDestination) this.events.emit('unconfirmed', destination, ids, why);
    });
  }

  onUnconfirmed(listener: (destination: string, entryIds: readonly number[], why: string) => void): () => void {
    this.events.on('unconfirmed', listener);
    return () => this.events.off('unconfirmed', listener);
  }

  sentMeans(): string {
    return this.supervisor.state.echo
      ? 'echoed by the bouncer; the network confirms it when the next canary comes back'
      : 'written to the server connection (no echo-message); the network confirms it when the next canary comes back';
  }

  handles(destination: string): boolean {
    return destination.startsWith(PREFIX);
  }

  ready(destination: string): boolean {
    return pathHealthy(this.supervisor.state, destination.slice(PREFIX.length));
  }

  /**
   * The outage a digest reports is the whole time the path could not carry messages (bouncer
   * unreachable, bouncer off its network, canary lost), not only the time the TCP link was down.
   */
  availability(): Availability {
    return { readySinceMs: this.supervisor.state.connectedSinceMs, lastOutage: this.lastOutage };
  }

  private trackOutage(healthy: boolean): void {
    const now = this.now();
    if (!healthy && this.unhealthySinceMs === undefined) this.unhealthySinceMs = this.supervisor.state.disconnectedSinceMs ?? now;
    if (healthy && this.unhealthySinceMs !== undefined) {
      this.lastOutage = { fromMs: this.unhealthySinceMs, toMs: now };
      this.unhealthySinceMs = undefined;
    }
  }

  prepare(destination: string, lines: readonly string[]): string[] {
    const target = destination.slice(PREFIX.length);
    const budget = textBudget(this.supervisor.state.nick, target, this.supervisor.lineLimit());
    return lines.flatMap((l) => splitUtf8(cleanLine(l), budget)).filter((l) => l.length > 0);
  }

  awaitTurn(_destination: string, signal: AbortSignal): Promise<void> {
    return this.supervisor.queue.whenWritable(signal);
  }

  /**
   * Writes the lines through the paced send queue, then waits until the bouncer has proven it took
   * them (its echo; see liveness.ts). Progress is recorded only for proven lines, so lines written
   * into a link that then turns out dead are sent again (or digested) after reconnecting, not lost.
   */
  async send(d: Delivery, signal: AbortSignal): Promise<void> {
    const target = d.destination.slice(PREFIX.length);
    for (let i = d.startAt; i < d.lines.length; i++) {
      if (signal.aborted) throw new NotifyError('delivery aborted', { retryable: true });
      if (!this.ready(d.destination)) throw new NotifyError(`IRC path to ${target} is not ready`, { retryable: true });
      // cleanLine again: lines may come from the store, written by an older version.
      await this.supervisor.queue.push(`PRIVMSG ${target} :${cleanLine(d.lines[i] as string)}`, 'alert');
    }
    await this.supervisor.whenProven();
    if (d.entryId !== undefined && this.supervisor.confirmsByCanary) {
      // Bounded: a canary that never runs to completion must not grow this without end; the
      // oldest then count as delivered, as they did before this tracking existed.
      if (this.inDoubt.length >= MAX_IN_DOUBT) this.inDoubt.shift();
      this.inDoubt.push({ destination: d.destination, entryId: d.entryId, mark: this.supervisor.linesWrittenCount });
      this.supervisor.confirmSoon();
    }
    d.onProgress(d.lines.length);
  }

  /**
   * Replies to a command right away (not through the outbox: an answer is only useful now). Replies
   * wait behind every alert line.
   * Untrusted text is cleaned and split like any other line.
   */
  say(target: string, text: string, notice = false): void {
    const budget = textBudget(this.supervisor.state.nick, target, this.supervisor.lineLimit());
    for (const piece of splitUtf8(cleanLine(text), budget)) {
      if (piece) this.supervisor.queue.push(`${notice ? 'NOTICE' : 'PRIVMSG'} ${target} :${piece}`, 'reply').catch(() => undefined);
    }
  }

  onReadyChange(listener: () => void): () => void {
    this.events.on('ready', listener);
    return () => this.events.off('ready', listener);
  }
}
