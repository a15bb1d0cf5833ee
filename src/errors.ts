/**
 * The error catalogue. Every error Lifeline raises on purpose carries a stable code and a message
 * that tells the operator what to do, so that `main` can print it without a stack trace.
 */
export const ErrorCodes = {
  CONFIG: 'LIFELINE_E_CONFIG',
  CONFIG_READ: 'LIFELINE_E_CONFIG_READ',
  STORE_OPEN: 'LIFELINE_E_STORE_OPEN',
  LISTEN: 'LIFELINE_E_LISTEN',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** An error with a catalogue code and a message written for the operator. */
export class LifelineError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LifelineError';
    this.code = code;
  }
}

/**
 * A failed delivery. `retryable` is data, not control flow: the one retry stage (the outbox
 * dispatcher) decides what to do with it, as in Alertmanager's notify pipeline.
 */
export class NotifyError extends Error {
  readonly retryable: boolean;
  /** Earliest time the sender may try again (e.g. from Retry-After), in ms since the epoch. */
  readonly retryAfterMs: number | undefined;
  /** The config keys to fix when the failure is Lifeline's configuration (bad credentials), not the recipient or the network. */
  readonly misconfigured: string | undefined;
  constructor(message: string, opts: { retryable: boolean; retryAfterMs?: number; misconfigured?: string; cause?: unknown }) {
    super(message, { cause: opts.cause });
    this.name = 'NotifyError';
    this.retryable = opts.retryable;
    this.retryAfterMs = opts.retryAfterMs;
    this.misconfigured = opts.misconfigured;
  }
}

/** A short description of anything thrown, for logs. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
