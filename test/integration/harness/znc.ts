import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, giveToServerUser, startServer, tempDir, waitForPort, type ServerProcess } from './procs.js';

/**
 * Debian's ZNC 1.8 on loopback, as an unprivileged user (as root it waits 30 s before starting).
 * `Version` is required in znc.conf; clients log in with PASS "user/network:password".
 * ConnectDelay/ServerThrottle are lowered so it reconnects upstream within a second or two.
 * Flood control stays at ZNC's defaults (FloodRate 2 s per line, FloodBurst 9, of which a freshly
 * attached client sees about 4: measured) unless
 * a test asks for `ZncFlood` explicitly: what users run is what the tests see.
 */
/** ZNC's per-network flood settings (FloodRate is seconds per line). */
export interface ZncFlood {
  rate: number;
  burst: number;
}

/** The one ZNC network every user has (the IRC server the test started). */
const NETWORK = 'test';

export class Znc {
  proc: ServerProcess | undefined;
  readonly user = 'lifeline';
  readonly network = NETWORK;
  readonly password = randomBytes(8).toString('hex');
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly removeDir: () => void,
  ) {}

  /** PASS value for Lifeline's config. */
  get loginPassword(): string {
    return this.loginFor(this.user);
  }

  /** PASS value for one of the users the bouncer was started with (`user` or one of `extraUsers`). */
  loginFor(user: string): string {
    return `${user}/${this.network}:${this.password}`;
  }

  /**
   * Starts ZNC; with `tls`, its listener speaks TLS with that certificate (PEM key + cert).
   * `extraUsers` adds ZNC users besides `lifeline`, each with its own nick (= its name), its own
   * network connection and the same password.
   */
  static async start(upstreamPort: number, channels: string[] = ['#alerts'], tls?: { keyPem: string; certPem: string }, flood?: ZncFlood, extraUsers: string[] = []): Promise<Znc> {
    return Znc.startOnPort(await freePort(), upstreamPort, channels, tls, flood, extraUsers);
  }

  /** Like start, on a given port. */
  static async startOnPort(port: number, upstreamPort: number, channels: string[] = ['#alerts'], tls?: { keyPem: string; certPem: string }, flood?: ZncFlood, extraUsers: string[] = []): Promise<Znc> {
    const { dir, remove } = tempDir('znc');
    const z = new Znc(port, dir, remove);
    const salt = randomBytes(8).toString('hex');
    const hash = createHash('sha256').update(z.password + salt).digest('hex');
    mkdirSync(join(dir, 'configs'));
    writeFileSync(
      join(dir, 'configs', 'znc.conf'),
      [
        'Version = 1.8.2',
        'ConnectDelay = 1',
        'ServerThrottle = 1',
        '<Listener l>',
        `  Port = ${port}`,
        '  IPv4 = true',
        '  IPv6 = false',
        `  SSL = ${tls ? 'true' : 'false'}`,
        '  Host = 127.0.0.1',
        '</Listener>',
        ...[z.user, ...extraUsers].flatMap((u) => userBlock(u, hash, salt, upstreamPort, channels, flood)),
        '',
      ].join('\n'),
    );
    if (tls) {
      // ZNC reads its listener certificate from <datadir>/znc.pem: key and certificate together.
      writeFileSync(join(dir, 'znc.pem'), `${tls.keyPem}${tls.certPem}`, { mode: 0o600 });
      giveToServerUser(join(dir, 'znc.pem'));
    }
    giveToServerUser(join(dir, 'configs'));
    giveToServerUser(join(dir, 'configs', 'znc.conf'));
    await z.restart();
    return z;
  }

  async restart(): Promise<void> {
    if (this.proc?.running) await this.proc.stop();
    this.proc = startServer('znc', '/usr/bin/znc', ['--foreground', '--datadir', this.dir], { HOME: this.dir });
    await waitForPort(this.port, 20_000, this.proc);
  }

  async kill(): Promise<void> {
    await this.proc?.kill();
  }

  async destroy(): Promise<void> {
    await this.proc?.stop();
    this.removeDir();
  }
}

/** One ZNC user with one network: its nick is its name. */
function userBlock(user: string, hash: string, salt: string, upstreamPort: number, channels: string[], flood: ZncFlood | undefined): string[] {
  return [
    `<User ${user}>`,
    '  <Pass password>',
    '    Method = sha256',
    `    Hash = ${hash}`,
    `    Salt = ${salt}`,
    '  </Pass>',
    `  Nick = ${user}`,
    `  AltNick = ${user}_`,
    `  Ident = ${user}`,
    '  RealName = Lifeline',
    '  MultiClients = true',
    `  <Network ${NETWORK}>`,
    `    Server = 127.0.0.1 ${upstreamPort}`,
    ...(flood ? [`    FloodRate = ${flood.rate.toFixed(2)}`, `    FloodBurst = ${flood.burst}`] : []),
    ...channels.flatMap((c) => [`    <Chan ${c}>`, '    </Chan>']),
    '  </Network>',
    '</User>',
  ];
}
