import { createRequire } from 'node:module';
import net from 'node:net';
import tls from 'node:tls';

/*
 * irc-framework's TCP/TLS transport calls tls.connect with only rejectUnauthorized, key and cert:
 * no `ca`, so a bouncer with a private CA could only be reached by turning verification off. This
 * subclass (irc-framework's documented `transport` option) makes the TLS socket itself with the
 * full options, then hands it to the parent exactly as the parent's own connect() does.
 */

/** TLS settings the stock transport cannot pass. */
export interface TlsSettings {
  ca?: Buffer;
  key?: string;
  cert?: string;
  rejectUnauthorized: boolean;
}

interface ParentTransport {
  options: { host: string; port?: number; tls?: boolean; encoding?: string };
  socket: net.Socket | null;
  state: number;
  requested_disconnect: boolean;
  incoming_buffer: Buffer;
  connect(): void;
  disposeSocket(): void;
  setEncoding(encoding: string): boolean;
  debugOut(text: string): void;
  _onSocketCreate(options: unknown, socket: net.Socket): void;
}

type TransportClass = new (options: unknown) => ParentTransport;

const require = createRequire(import.meta.url);
const NetTransport = require('irc-framework/src/transports/net.js') as TransportClass;

/** Value of the parent's SOCK_CONNECTING state. */
const SOCK_CONNECTING = 1;

/** Makes a transport class for irc-framework that connects TLS with `settings`. */
export function tlsTransport(settings: TlsSettings): TransportClass {
  return class LifelineTlsTransport extends NetTransport {
    override connect(): void {
      if (!this.options.tls) {
        super.connect();
        return;
      }
      const host = this.options.host;
      this.disposeSocket();
      this.requested_disconnect = false;
      this.incoming_buffer = Buffer.alloc(0);
      if (!this.options.encoding || !this.setEncoding(this.options.encoding)) this.setEncoding('utf8');
      this.state = SOCK_CONNECTING;
      const socket = tls.connect({
        host,
        port: this.options.port ?? 6697,
        // SNI only for names; the certificate is still checked against an IP address in its SAN.
        servername: net.isIP(host) ? undefined : host,
        ca: settings.ca,
        key: settings.key,
        cert: settings.cert,
        rejectUnauthorized: settings.rejectUnauthorized,
        minVersion: 'TLSv1.2',
      });
      this.socket = socket;
      this._onSocketCreate(this.options, socket);
    }
  };
}
