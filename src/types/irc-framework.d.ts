/**
 * Narrow typings for irc-framework (which ships none): only the parts Lifeline uses. Keep this
 * small; anything not declared here is not used.
 */
declare module 'irc-framework' {
  import { EventEmitter } from 'node:events';

  export interface ConnectOptions {
    host: string;
    port: number;
    nick: string;
    username?: string;
    gecos?: string;
    password?: string;
    tls?: boolean;
    rejectUnauthorized?: boolean;
    /** A transport class; Lifeline passes its own for TLS (see notifiers/irc/transport.ts). */
    transport?: new (options: unknown) => unknown;
    /** An object with account/password enables SASL PLAIN; an empty object disables SASL. */
    account?: { account?: string; password?: string };
    sasl_mechanism?: 'PLAIN' | 'EXTERNAL';
    sasl_disconnect_on_fail?: boolean;
    auto_reconnect?: boolean;
    auto_reconnect_max_retries?: number;
    ping_interval?: number;
    ping_timeout?: number;
    enable_echomessage?: boolean;
    version?: string | null;
  }

  export interface MessageEvent {
    nick: string;
    ident: string;
    hostname: string;
    target: string;
    message: string;
    type?: string;
    tags?: Record<string, string>;
    time?: number;
    account?: string;
  }

  export interface RawEvent {
    line: string;
    from_server: boolean;
  }

  export interface Transport {
    socket?: { remoteAddress?: string; destroy(): void } | null;
  }

  export class Client extends EventEmitter {
    constructor(options?: Partial<ConnectOptions>);
    connect(options?: ConnectOptions): void;
    raw(...args: string[]): void;
    quit(message?: string): void;
    join(channel: string, key?: string): void;
    changeNick(nick: string): void;
    user: { nick: string; username: string; host: string };
    network: {
      name: string;
      options: Record<string, unknown>;
      supports(feature: string): unknown;
      cap: { isEnabled(cap: string): boolean };
    };
    connection: {
      connected: boolean;
      end(data?: string | null, hadError?: boolean): void;
      transport?: Transport | null;
    };
  }

  const IRC: { Client: typeof Client };
  export default IRC;
}
