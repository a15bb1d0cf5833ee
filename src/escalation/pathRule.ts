import type { Incident } from '../store/incidents.js';
import type { TimerHandle } from '../util/clock.js';
import type { EscalationContext } from './context.js';
import { pathDownText, restoredText } from './pageText.js';
import type { PathMonitor } from './pathMonitor.js';
import type { Steps } from './steps.js';

/**
 * The monitoring-path rule: IRC unable to carry alerts for longer than `path_grace` opens
 * "<path> down", paged by written channels only (never through the path it is about), together
 * with every open paging alert nobody could acknowledge in band; while it lasts, new incidents are
 * paged out of band at once; recovery sends "<path> restored".
 */
export class PathRule {
  private timer: TimerHandle | undefined;
  private downSinceMs: number | undefined;
  private reason = '';
  private unwatch: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly d: EscalationContext,
    private readonly steps: Steps,
    /** Hands new pages to the outbox now; `force`: pages too, not only notices. */
    private readonly flush: (now: number, force: boolean) => void,
    private readonly kick: () => void,
    /** The path incident opened with a peer's episode: acknowledged at once when a peer acknowledged it (Acks.openedEpisode). */
    private readonly openedEpisode: (inc: Incident) => boolean = () => false,
  ) {}

  /** Watches the path (none configured: the rule is off). */
  start(): void {
    this.stopped = false;
    const path = this.d.path;
    if (!path) return;
    this.unwatch = path.onChange(() => this.changed(path));
    this.changed(path);
  }

  /** Stops watching; later changes are ignored. */
  stop(): void {
    this.stopped = true;
    this.unwatch?.();
    this.unwatch = undefined;
    this.d.clock.clearTimeout(this.timer);
  }

  /** An incident opened: while the path is down (and paged about), it is paged out of band at once. */
  opened(inc: Incident, now: number): void {
    if (this.downSinceMs !== undefined && this.d.incidents.live('path', null)) this.pageOutOfBand(inc, now);
  }

  /** Applies a path change; an error is logged, never thrown into the path's event source. */
  private changed(path: PathMonitor): void {
    try {
      this.apply(path.healthy(), path.reason(), path.name);
    } catch (err) {
      this.d.log.error({ event: 'escalation_error', err: String(err) }, `could not apply the ${path.name} state to escalation`);
    }
  }

  private apply(healthy: boolean, reason: string, name: string): void {
    if (this.d.channels.list.length === 0 || this.stopped) return;
    if (healthy) {
      this.d.clock.clearTimeout(this.timer);
      this.timer = undefined;
      const down = this.downSinceMs;
      this.downSinceMs = undefined;
      this.restored(name, down);
      return;
    }
    this.reason = reason;
    if (this.downSinceMs !== undefined) return;
    this.downSinceMs = this.d.clock.now();
    this.timer = this.d.clock.setTimeout(() => this.down(name), this.d.config.escalation.path_grace);
  }

  private restored(name: string, downSinceMs: number | undefined): void {
    const inc = this.d.incidents.live('path', null);
    if (!inc) return;
    const now = this.d.clock.now();
    this.d.atomic(() => {
      this.d.incidents.resolve(inc.id, now);
      this.d.agreement?.resolved(inc);
      const from = downSinceMs ?? inc.openedMs;
      // The channel gets one summary line of the outage only if somebody was paged about it.
      if (this.steps.noticeRecipients(inc.id).length === 0) return;
      const r = this.d.pathOutageEnded({ incident: inc.ackCode, fromMs: from, toMs: now });
      this.steps.notify(inc.id, { kind: 'restored' }, restoredText(name, inc.ackCode, from, now, r), now);
    });
    this.d.log.info({ event: 'irc_path_restored', incident: inc.id }, `${name} restored`);
    // Notices go at once; pages keep their bundle windows.
    this.flush(now, false);
  }

  private down(name: string): void {
    if (this.stopped || this.downSinceMs === undefined || this.d.path?.healthy() !== false) return;
    const now = this.d.clock.now();
    const since = this.downSinceMs;
    // In a cluster, one event for every instance: its episode is agreed with the peers (one page, acks everywhere).
    const identity = { kind: 'path', path: name } as const;
    const episode = this.d.agreement?.choose(identity, since);
    this.d.atomic(() => {
      const inc = this.d.incidents.open({ kind: 'path', fingerprint: null, title: `${name} down`, severity: 'critical', labels: { reason: this.reason }, policy: 'path', nowMs: since, firstDueMs: null, ...(episode !== undefined ? { episode } : {}) });
      if (!inc) return;
      if (episode !== undefined) this.d.agreement?.opened(identity, episode);
      // Acknowledged on a peer before it opened here (the same episode): its own pages are not due.
      const acked = episode !== undefined && this.openedEpisode(inc);
      const person = this.d.schedule.primary(now);
      if (!person) return;
      // Written channels first; a call follows when the SMS is not confirmed delivered (receipts).
      const text = JSON.stringify(pathDownText(name, inc.ackCode, since, now, this.reason));
      for (const ch of acked ? [] : this.d.channels.written()) {
        if (ch.destination(person) === undefined) continue;
        this.d.incidents.addPage({ incidentId: inc.id, reason: { kind: 'path' }, channel: ch.kind, person: person.name, nowMs: now, notBeforeMs: now, text });
      }
      for (const a of this.d.incidents.unresolved().filter((i) => i.kind === 'alert' && i.state === 'open' && i.heldSinceMs === null)) this.pageOutOfBand(a, now);
      this.d.log.error({ event: 'irc_path_down', incident: inc.id, reason: this.reason, since_ms: now - since }, `${name} down: paging out of band`);
    });
    this.flush(now, true);
    this.kick();
  }

  /** Pages an alert incident by the written channels to on-call at once (bundled per person). */
  private pageOutOfBand(inc: Incident, now: number): void {
    const person = this.d.schedule.primary(now);
    if (!person || inc.heldSinceMs !== null) return;
    const text = JSON.stringify(this.steps.alertText(inc));
    for (const channel of this.steps.route(this.d.channels.written().map((c) => c.kind), person)) {
      this.d.incidents.addPage({ incidentId: inc.id, reason: { kind: 'outOfBand' }, channel, person: person.name, nowMs: now, notBeforeMs: this.steps.notBefore(person, inc.severity, now), text });
    }
  }
}
