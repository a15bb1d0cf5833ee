import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, giveToServerUser, startServer, tempDir, waitFor, waitForPort, type ServerProcess } from './procs.js';

/**
 * Debian's prometheus on loopback, scraping the given targets every `scrapeInterval`; and Debian's
 * prometheus-node-exporter (collectors that need dbus off, as in the research notes).
 */
export class Prometheus {
  proc: ServerProcess | undefined;
  private constructor(
    readonly port: number,
    private readonly args: string[],
    private readonly removeDir: () => void,
  ) {}

  /**
   * `rules`: a rule file's YAML; `alertmanagerPort`: where alerts go. The resend delay is 1 s (the
   * 1 min default holds the first alert back ~62 s: research notes).
   */
  static async start(targets: string[], scrapeInterval = '1s', o: { rules?: string; alertmanagerPort?: number } = {}): Promise<Prometheus> {
    const port = await freePort();
    const { dir, remove } = tempDir('prometheus');
    const conf = join(dir, 'prometheus.yml');
    let extra = '';
    if (o.rules !== undefined) {
      const rules = join(dir, 'rules.yml');
      writeFileSync(rules, o.rules);
      giveToServerUser(rules);
      extra += `rule_files: ["${rules}"]\n`;
    }
    if (o.alertmanagerPort !== undefined) extra += `alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ["127.0.0.1:${o.alertmanagerPort}"]\n`;
    writeFileSync(conf, `global:\n  scrape_interval: ${scrapeInterval}\n  scrape_timeout: ${scrapeInterval}\n  evaluation_interval: ${scrapeInterval}\n${extra}scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: [${targets.map((t) => `"${t}"`).join(', ')}]\n`);
    giveToServerUser(conf);
    giveToServerUser(dir);
    const args = [`--config.file=${conf}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--rules.alert.resend-delay=1s', '--log.level=warn'];
    const p = new Prometheus(port, args, remove);
    await p.restart();
    return p;
  }

  async restart(): Promise<void> {
    this.proc = startServer('prometheus', '/usr/bin/prometheus', this.args);
    await waitForPort(this.port, 30_000, this.proc);
    await waitFor('prometheus ready', async () => (await fetch(`http://127.0.0.1:${this.port}/-/ready`)).ok, 30_000, 100);
  }

  async destroy(): Promise<void> {
    await this.proc?.stop();
    this.removeDir();
  }
}

/** Debian's prometheus-node-exporter on a free loopback port. */
export class NodeExporter {
  proc: ServerProcess | undefined;
  private constructor(readonly port: number) {}

  static async start(): Promise<NodeExporter> {
    const port = await freePort();
    const n = new NodeExporter(port);
    n.proc = startServer('node_exporter', '/usr/bin/prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${port}`, '--no-collector.systemd', '--log.level=warn']);
    await waitForPort(port, 20_000, n.proc);
    return n;
  }

  async destroy(): Promise<void> {
    await this.proc?.stop();
  }
}
