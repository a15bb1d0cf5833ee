import type { Logger } from '../observability/logger.js';
import type { BodyOf, ClusterEnvelope, ClusterKind } from './messages.js';

/** Applies one kind of peer message; runs inside the transaction that records the message as applied. */
export type ClusterHandler<K extends ClusterKind> = (body: BodyOf<K>, msg: ClusterEnvelope) => void;

/**
 * Routes each message a peer published to the part of Lifeline that owns its kind (acks to
 * escalation, verdicts to probes, ...). Each part registers its handlers where it is wired; the
 * cluster layer calls `apply` once per message (de-duplicated by Nats-Msg-Id before it gets here).
 * A kind nobody handles is logged once and skipped: a peer on a newer version must not stop this one.
 * Until the app has registered every handler (`seal`), `apply` refuses each message by throwing:
 * the reader then leaves it unacked and JetStream delivers it again, so a message that arrives while
 * the app is still being wired is never marked applied without having been applied.
 */
export class ClusterDispatch {
  private readonly handlers = new Map<ClusterKind, ClusterHandler<ClusterKind>>();
  private readonly unhandled = new Set<ClusterKind>();
  private sealed = false;

  constructor(private readonly log: Logger) {}

  /** Registers the one handler of a kind; a second registration of the same kind is a wiring bug. */
  on<K extends ClusterKind>(kind: K, handler: ClusterHandler<K>): void {
    if (this.sealed) throw new Error(`cluster message kind ${kind} registered after the dispatch was sealed`);
    if (this.handlers.has(kind)) throw new Error(`cluster message kind ${kind} already has a handler`);
    this.handlers.set(kind, handler as unknown as ClusterHandler<ClusterKind>);
  }

  /** Every handler is registered: messages are applied from now on. */
  seal(): void {
    this.sealed = true;
  }

  /** The cluster layer's apply callback. */
  readonly apply = (msg: ClusterEnvelope): void => {
    if (!this.sealed) throw new Error('Lifeline is still starting: its handlers of peer messages are not all registered yet');
    const handler = this.handlers.get(msg.body.kind);
    if (handler) return handler(msg.body, msg);
    if (this.unhandled.has(msg.body.kind)) return;
    this.unhandled.add(msg.body.kind);
    this.log.info({ event: 'cluster_kind_unhandled', kind: msg.body.kind, from: msg.from }, `peer ${msg.from} sent a ${msg.body.kind} message; this instance does not act on that kind (logged once)`);
  };
}
