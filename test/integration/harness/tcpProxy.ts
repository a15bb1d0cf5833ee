import net from 'node:net';

/**
 * A loopback TCP proxy that can turn the connections it carries into black holes: bytes are read
 * and thrown away while the sockets stay open, like a NAT box that lost its mapping or a bouncer
 * whose upstream session froze. New connections are forwarded normally.
 */
interface Pair {
  client: net.Socket;
  server: net.Socket;
  swallowUp: boolean;
  swallowDown: boolean;
}

export class TcpProxy {
  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly pairs: Pair[],
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const pairs: Pair[] = [];
    const server = net.createServer((client) => {
      const upstream = net.connect(targetPort, '127.0.0.1');
      const pair: Pair = { client, server: upstream, swallowUp: false, swallowDown: false };
      pairs.push(pair);
      client.on('data', (d) => void (pair.swallowUp || upstream.write(d)));
      upstream.on('data', (d) => void (pair.swallowDown || client.write(d)));
      const close = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('close', close).on('error', close);
      upstream.on('close', close).on('error', close);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new TcpProxy(server, (server.address() as net.AddressInfo).port, pairs);
  }

  /** Connections open now. */
  get connections(): number {
    return this.pairs.filter((p) => !p.client.destroyed).length;
  }

  /** From now on, open connections drop what the client sends (`up`), what the server sends (`down`), or both. */
  swallow(up: boolean, down: boolean): void {
    for (const p of this.pairs) {
      p.swallowUp = up;
      p.swallowDown = down;
    }
  }

  async stop(): Promise<void> {
    for (const p of this.pairs) {
      p.client.destroy();
      p.server.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
