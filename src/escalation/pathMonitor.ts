/**
 * A path that carries alerts to people in band (the IRC channel). The monitoring-path rule
 * watches one: while it cannot carry alerts for longer than `escalation.path_grace`, on-call is
 * paged out of band, never through the path itself.
 */
export interface PathMonitor {
  /** Names the path in pages and logs, e.g. "IRC alert path". */
  readonly name: string;
  /** Whether the path can carry alerts to people now. */
  healthy(): boolean;
  /** Why not, in words for a page ("not connected to the bouncer (ECONNREFUSED)"). */
  reason(): string;
  /** Calls `listener` whenever health or reason may have changed; returns the unsubscribe. */
  onChange(listener: () => void): () => void;
}
