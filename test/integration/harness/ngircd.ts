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

  static async start(channels: string[] = ['#alerts']): Promise<Ngircd> {
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
        ...channels.flatMap((c) => ['[Channel]', `Name = ${c}`, 'Modes = +n']),
        '',
      ].join('\n'),
    );
    giveToServerUser(conf);
    const n = new Ngircd(port, dir, remove);
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
