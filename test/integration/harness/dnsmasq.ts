import { freePort, startServer, waitForPort, type ServerProcess } from './procs.js';

/**
 * The root zone's key-signing key (KSK-2017, keytag 20326) as a DS record: dnsmasq's DNSSEC trust
 * anchor (the same line as Debian's /usr/share/dnsmasq-base/trust-anchors.conf).
 */
const ROOT_TRUST_ANCHOR = '.,20326,8,2,E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D';

/** dnsmasq's options common to both processes: loopback only, nothing read from the host. */
function baseArgs(port: number): string[] {
  return ['--keep-in-foreground', '--log-facility=-', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts', '--no-poll', '--conf-file=/dev/null', '--pid-file=', '--user=nobody'];
}

/**
 * Debian's dnsmasq on loopback as the resolver a dns probe asks, with the records a test gives as
 * dnsmasq options (`--host-record=`, `--cname=`, `--txt-record=`, `--address=/nx.test/` ...).
 *
 * SERVFAIL, as a real resolver gives it: with `servfailFor`, the resolver validates DNSSEC (the
 * root's trust anchor) and forwards every name it does not hold itself to a second dnsmasq that
 * answers unsigned. Validation of anything forwarded then fails (bogus: no signed proof that the
 * zone is unsigned) and dnsmasq 2.90 answers SERVFAIL in a few ms; names the resolver holds
 * locally still answer. (A dead upstream does not do it: dnsmasq then sends nothing and the
 * client times out; an upstream that refuses gives REFUSED.)
 */
export class Dnsmasq {
  private constructor(
    readonly port: number,
    private readonly procs: ServerProcess[],
  ) {}

  /** Starts the resolver (and, with servfailFor, its unsigned upstream holding that domain). */
  static async start(records: string[], servfailFor?: string): Promise<Dnsmasq> {
    const procs: ServerProcess[] = [];
    try {
      const upstreamArgs: string[] = [];
      if (servfailFor !== undefined) {
        const up = await freePort();
        const p = startServer('dnsmasq-upstream', '/usr/sbin/dnsmasq', [...baseArgs(up), `--local=/${servfailFor}/`, `--host-record=www.${servfailFor},127.0.0.9`]);
        procs.push(p);
        await waitForPort(up, 15_000, p);
        upstreamArgs.push('--dnssec', `--trust-anchor=${ROOT_TRUST_ANCHOR}`, `--server=127.0.0.1#${up}`);
      }
      const port = await freePort();
      const p = startServer('dnsmasq', '/usr/sbin/dnsmasq', [...baseArgs(port), ...upstreamArgs, ...records]);
      procs.push(p);
      // dnsmasq answers DNS over TCP on the same port as UDP: accepting TCP means it is serving.
      await waitForPort(port, 15_000, p);
      return new Dnsmasq(port, procs);
    } catch (err) {
      for (const p of procs) await p.stop();
      throw err;
    }
  }

  /** The resolver as a dns probe's `resolver` key names it. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Stops both processes. */
  async stop(): Promise<void> {
    for (const p of this.procs) await p.stop();
  }
}
