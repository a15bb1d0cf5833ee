import { inspect } from 'node:util';

/**
 * A secret value from the config (a password, a token). It cannot leak by accident: printing,
 * logging or JSON-serialising it shows "[redacted]"; only `reveal()` gives the value.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** The secret itself. Call this only where the value goes on the wire. */
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}

/** Config keys whose values are secrets: each may instead be given as `<key>_file` (Docker secrets). */
export const SECRET_KEYS: ReadonlySet<string> = new Set(['password', 'token', 'auth_token', 'key', 'ping_url', 'private_key', 'preshared_key']);
