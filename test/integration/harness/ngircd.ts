import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, giveToServerUser, startServer, tempDir, waitForPort, type ServerProcess } from './procs.js';

/** Debian's ngircd on loopback: the IRC network behind the bouncer. */
export class Ngircd {
  proc: ServerProcess | undefined;
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly removeDir: () => void,
  ) {}

  /**
   * Starts ngircd with pre-defined channels (optionally with a key) and, when `oper` is given, an
   * IRC operator allowed to change channel modes (to give itself +o and KICK in tests). Writes the
   * config and picks the port; `restart` starts the daemon.
   */
  static async create(channels: Array<string | { name: string; key: string }> = ['#alerts'], oper?: { name: string; password: string }): Promise<Ngircd> {
    const port = await freePort();
    const { dir, remove } = tempDir('ngircd');
    const conf = join(dir, 'ngircd.conf');
    writeFileSync(
      conf,
      [
        '[Global]',
        'Name = irc.lifeline.test',
        'Info = Lifeline test network',
        'Listen = 127.0.0.1',
        `Ports = ${port}`,
        `PidFile = ${join(dir, 'ngircd.pid')}`,
        'MotdPhrase = lifeline test',
        '[Limits]',
        'MaxConnectionsIP = 0',
        'MaxNickLength = 30',
        'PingTimeout = 120',
        'PongTimeout = 20',
        '[Options]',
        'PAM = no',
        'Ident = no',
        'DNS = no',
        'OperCanUseMode = yes',
        ...(oper ? ['[Operator]', `Name = ${oper.name}`, `Password = ${oper.password}`] : []),
        ...channels.flatMap((c) =>
          typeof c === 'string' ? ['[Channel]', `Name = ${c}`, 'Modes = +n'] : ['[Channel]', `Name = ${c.name}`, 'Modes = +nk', `Key = ${c.key}`],
        ),
        '',
      ].join('\n'),
    );
    giveToServerUser(conf);
    return new Ngircd(port, dir, remove);
  }

  /** Like create, then starts the daemon. */
  static async start(channels: Array<string | { name: string; key: string }> = ['#alerts'], oper?: { name: string; password: string }): Promise<Ngircd> {
    const n = await Ngircd.create(channels, oper);
    await n.restart();
    return n;
  }

  /** (Re)starts the daemon on the same port. */
  async restart(): Promise<void> {
    if (this.proc?.running) await this.proc.stop();
    this.proc = startServer('ngircd', '/usr/sbin/ngircd', ['-n', '-f', join(this.dir, 'ngircd.conf')]);
    await waitForPort(this.port, 15_000, this.proc);
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
  }

  async destroy(): Promise<void> {
    await this.stop();
    this.removeDir();
  }
}
