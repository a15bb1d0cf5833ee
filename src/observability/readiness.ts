import type { SelfHealth } from './heartbeatOut.js';

/** What Lifeline's readiness is judged from; every read is fresh. */
export interface ReadinessSources {
  /** True while the state database answers a read (store/db.ts storeReadable). */
  storeReadable(): boolean;
  /** Destinations whose delivery worker is failing now (relay/dispatcher.ts faults()). */
  deliveryFaults(): ReadonlyMap<string, { readonly sinceMs: number; readonly error: string }>;
  /** Lifeline's own faults active now (escalation/faults.ts). */
  faults(): ReadonlyArray<{ readonly kind: string; readonly detail: string }>;
  /** The IRC link's state (connecting, registered, ...), undefined when IRC is not configured. */
  ircLink(): string | undefined;
  /** Why the probe scheduler stalled, if it has (probes/engine.ts stalled()). */
  probesStalled(): string | undefined;
  /**
   * With a cluster section: why this instance is not settled yet (not caught up with its peers'
   * decisions; cluster/node.ts unsettledReason), undefined once it is. Not ready meanwhile.
   */
  clusterUnsettled?(): string | undefined;
  /** Names destinations and cleans error text for logs and answers: no phone numbers, no addresses. */
  names: { destination(destination: string): string; text(text: string): string };
}

/** One look at what decides readiness: the store and the delivery workers. */
export interface ReadinessCheck {
  storeOk: boolean;
  /** Each failing delivery worker: `<destination>: <error> (since <ISO time>)`. */
  failing: string[];
  /** Each of Lifeline's own faults: `<kind>: <detail>`. */
  faults: string[];
}

/** The answer of /readyz. */
export interface ReadyAnswer {
  ready: boolean;
  checks: { store: 'ok' | 'unavailable'; delivery: 'ok' | string[]; config: 'loaded'; irc: string; faults: string[]; cluster?: string };
}

/**
 * Lifeline's readiness, judged in one place for both who ask: /readyz (a load balancer, an
 * orchestrator) and the outbound heartbeat (a dead man's switch elsewhere).
 *
 * Only the store, the delivery workers and (in a cluster) settling decide /readyz: an instance that
 * cannot store a webhook or deliver, or has not caught up with its peers' acks and silences (it
 * would page for what a peer has acked; Alertmanager's "ready before gossip settled"), must not
 * take traffic. Lifeline's own faults (a clock step, a channel refused for its
 * configuration, a cut-off network) are listed there but do not decide it, since another instance
 * would have them too. The heartbeat is stricter: any fault, and a stalled probe scheduler, make it
 * report unhealthy, so a person hears of them even when Lifeline cannot page.
 */
export class Readiness {
  constructor(private readonly s: ReadinessSources) {}

  /** The store and the delivery workers now, and Lifeline's own faults. */
  check(): ReadinessCheck {
    const { names } = this.s;
    return {
      storeOk: this.s.storeReadable(),
      failing: [...this.s.deliveryFaults()].map(([d, f]) => `${names.destination(d)}: ${names.text(f.error)} (since ${new Date(f.sinceMs).toISOString()})`),
      faults: this.s.faults().map((f) => `${f.kind}: ${f.detail}`),
    };
  }

  /** What /readyz answers: ready while the store reads, every delivery worker works and (in a cluster) it has settled. */
  readyz(): ReadyAnswer {
    const { storeOk, failing, faults } = this.check();
    const unsettled = this.s.clusterUnsettled?.();
    return {
      ready: storeOk && failing.length === 0 && unsettled === undefined,
      checks: {
        store: storeOk ? 'ok' : 'unavailable',
        delivery: failing.length === 0 ? 'ok' : failing,
        config: 'loaded',
        irc: this.s.ircLink() ?? 'not configured',
        faults,
        ...(this.s.clusterUnsettled ? { cluster: unsettled === undefined ? 'settled' : `not settled: ${unsettled}` } : {}),
      },
    };
  }

  /** What the outbound heartbeat reports: healthy only with no reason at all. */
  health(): SelfHealth {
    const { storeOk, failing, faults } = this.check();
    const stalled = this.s.probesStalled();
    const reasons = [...(storeOk ? [] : ['the store cannot be read']), ...failing.map((f) => `delivery to ${f}`), ...faults, ...(stalled ? [stalled] : [])];
    return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
  }
}
