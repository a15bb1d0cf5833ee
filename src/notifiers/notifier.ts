/** One delivery of an outbox entry to a notifier: wire-ready lines, resumable. */
export interface Delivery {
  destination: string;
  /** The outbox entry these lines come from, so a notifier can report it when proof is lost. */
  entryId?: number;
  /**
   * Stable for one outbox entry across retries and restarts, unique across entries: a notifier
   * that can, marks a repeat as the same message (email's Message-ID).
   */
  key?: string;
  lines: readonly string[];
  /** Lines already delivered by an earlier attempt (possibly before a restart). */
  startAt: number;
  /** Called after each line is handed to the transport, with the count delivered so far. */
  onProgress(linesSent: number): void;
}

/** When a destination became reachable, and the last period it was not. */
export interface Availability {
  readySinceMs: number | undefined;
  lastOutage: { fromMs: number; toMs: number } | undefined;
}

/**
 * A way to reach people: IRC, console, email, SMS, voice. One small interface; the outbox
 * dispatcher owns retries and backoff, notifiers only say whether a failure is retryable
 * (by throwing NotifyError).
 */
export interface Notifier {
  /** Short name for logs and metrics. */
  readonly kind: string;
  /**
   * What a finished send proves, in words for logs ("accepted by the SMTP server"): never more
   * than happened. Reaching people is proven elsewhere (IRC: the canary; pages: acknowledgements).
   */
  sentMeans(destination: string): string;
  /**
   * Whether a backlog for one destination is folded into a digest (IRC: a channel wants a summary,
   * not a flood). Pages by email and SMS are already bundled per person and are never folded.
   */
  readonly digestsBacklog: boolean;
  /** Whether this notifier delivers to `destination` (e.g. "irc:#alerts"). */
  handles(destination: string): boolean;
  /** Whether a delivery to `destination` can be attempted now. */
  ready(destination: string): boolean;
  /** Reachability history of a destination, for digests after an outage. */
  availability(destination: string): Availability;
  /** Turns rendered message lines into wire lines (sanitised, split to the protocol's limit). */
  prepare(destination: string, lines: readonly string[]): string[];
  /**
   * Optional: resolves when a delivery started now would go out at once (IRC: a flood token is
   * free). The dispatcher waits for it before choosing what to send, so a backlog is folded into
   * a digest at the last moment.
   */
  awaitTurn?(destination: string, signal: AbortSignal): Promise<void>;
  /** Delivers; throws NotifyError on failure. */
  send(delivery: Delivery, signal: AbortSignal): Promise<void>;
  /** Subscribes to "readiness may have changed"; returns the unsubscribe function. */
  onReadyChange(listener: () => void): () => void;
  /**
   * Subscribes to "entries reported sent lost their proof": a notifier whose `sent` is weaker
   * than "people have it" (IRC: the bouncer's echo, before the network's canary) reports the
   * outbox entries it can no longer vouch for, so the dispatcher queues them again.
   */
  onUnconfirmed?(listener: (destination: string, entryIds: readonly number[], why: string) => void): () => void;
}
