import type { Formatter } from '../notifiers/format.js';
import type { Notifier } from '../notifiers/notifier.js';
import type { Logger } from '../observability/logger.js';
import type { OnCallSchedule } from '../people/oncall.js';
import type { Clock } from '../util/clock.js';
import { describeError } from '../errors.js';
import type { PagingChannelKind } from '../alerts/pages.js';
import { PAGING_CHANNELS } from './channels/registry.js';
import { isStoreError } from '../store/sqliteErrors.js';

/** Lifeline's own faults: each is reported as Lifeline's, never as an outage of what it watches. */
export type FaultKind = 'store_write' | 'delivery_worker' | 'network_cut_off' | 'notifier_misconfigured' | 'clock_step';

const WHAT: Readonly<Record<FaultKind, string>> = {
  store_write: 'cannot write its state database',
  delivery_worker: 'cannot move notifications out of its queue',
  network_cut_off: 'is cut off from the network it probes from',
  notifier_misconfigured: 'cannot page through a channel as configured',
  clock_step: 'saw its wall clock step',
};

/** A fault now active. */
export interface ActiveFault {
  kind: FaultKind;
  sinceMs: number;
  detail: string;
}

/**
 * Reports Lifeline's own faults to the person on call, out of band, once per fault (until it
 * clears). The report goes straight to the email and SMS notifiers, not through the outbox: the
 * fault may be that the store cannot be written (disk full), and then the outbox cannot carry it.
 */
export class FaultReporter {
  private readonly active = new Map<FaultKind, ActiveFault>();

  constructor(
    private readonly d: {
      clock: Clock;
      log: Logger;
      schedule: OnCallSchedule;
      formatter: Formatter;
      /** Paging notifiers by channel (only the configured ones). */
      channels: ReadonlyMap<PagingChannelKind, Notifier>;
      /** Lifeline's name in the text ("lifeline@eu-west"). */
      name: string;
      /** Takes phone numbers and addresses out of an error's text before it is logged (observability/contactNames.ts). */
      scrub?(text: string): string;
    },
  ) {}

  /** Faults active now (for /readyz, the status API and metrics). */
  list(): ActiveFault[] {
    return [...this.active.values()];
  }

  /** Records a fault; the first report of it pages whoever is on call. */
  raise(kind: FaultKind, detail: string): void {
    if (this.active.has(kind)) return;
    const now = this.d.clock.now();
    this.active.set(kind, { kind, sinceMs: now, detail });
    this.d.log.error({ event: 'lifeline_fault', fault: kind, detail }, `Lifeline fault: ${WHAT[kind]}: ${detail}`);
    void this.page(kind, detail);
  }

  /** The fault is gone. */
  clear(kind: FaultKind): void {
    const f = this.active.get(kind);
    if (!f) return;
    this.active.delete(kind);
    this.d.log.info({ event: 'lifeline_fault_cleared', fault: kind, lasted_ms: this.d.clock.now() - f.sinceMs }, `Lifeline fault cleared: ${WHAT[kind]}`);
  }

  private async page(kind: FaultKind, detail: string): Promise<void> {
    const person = this.d.schedule.primary(this.d.clock.now());
    if (!person) {
      this.d.log.error({ event: 'lifeline_fault_unreported', fault: kind }, 'nobody is on call to report the Lifeline fault to');
      return;
    }
    const msg = { kind: 'page' as const, subject: `LIFELINE FAULT: ${this.d.name} ${WHAT[kind]}`, body: [detail, 'This is Lifeline itself, not a watched service. Alerts may be delayed until it is fixed.'] };
    for (const [channel, notifier] of this.d.channels) {
      const destination = PAGING_CHANNELS[channel].destination(person);
      if (!destination) continue;
      try {
        const lines = notifier.prepare(destination, this.d.formatter.render(msg));
        await notifier.send({ destination, lines, startAt: 0, onProgress: () => undefined }, AbortSignal.timeout(60_000));
        this.d.log.info({ event: 'lifeline_fault_reported', fault: kind, channel, person: person.name }, `Lifeline fault reported to ${person.name} by ${channel}`);
      } catch (err) {
        const text = describeError(err);
        this.d.log.error({ event: 'lifeline_fault_report_failed', fault: kind, channel, err: this.d.scrub?.(text) ?? text }, `could not report the Lifeline fault by ${channel}`);
      }
    }
  }
}

/**
 * The delivery worker's own trouble as Lifeline's faults: an error from the state database (full
 * disk, read-only file) is `store_write`, anything else `delivery_worker`. `err` undefined means
 * the worker of `destination` recovered; both faults clear once no destination's worker is faulted.
 */
export function reportWorkerFault(
  faults: Pick<FaultReporter, 'raise' | 'clear'>,
  w: { destination: string; err: unknown; faultedWorkers: number; name(destination: string): string; scrub(text: string): string },
): void {
  if (w.err === undefined) {
    if (w.faultedWorkers === 0) for (const k of ['store_write', 'delivery_worker'] as const) faults.clear(k);
    return;
  }
  faults.raise(isStoreError(w.err) ? 'store_write' : 'delivery_worker', `delivering to ${w.name(w.destination)}: ${w.scrub(describeError(w.err))}`);
}
