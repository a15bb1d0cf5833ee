import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, giveToServerUser, startServer, tempDir, waitFor, waitForPort, type ServerProcess } from './procs.js';

/**
 * Debian's prometheus-alertmanager on loopback, clustering off, with one webhook receiver pointing
 * at Lifeline. group_wait is short so a test sees the notification within a second or two.
 */
export class Alertmanager {
  proc: ServerProcess | undefined;
  private constructor(
    readonly port: number,
    private readonly removeDir: () => void,
  ) {}

  /** `repeatInterval`: how often an unchanged group is sent again (short for a Watchdog heartbeat). */
  static async start(webhookUrl: string, bearerToken?: string, repeatInterval = '1h'): Promise<Alertmanager> {
    const { dir, remove } = tempDir('alertmanager');
    const auth = bearerToken ? `    http_config:\n      authorization:\n        type: Bearer\n        credentials: ${bearerToken}\n` : '';
    const conf = join(dir, 'alertmanager.yml');
    writeFileSync(
      conf,
      `route:
  receiver: lifeline
  group_by: ['alertname']
  group_wait: 200ms
  group_interval: 1s
  repeat_interval: ${repeatInterval}
receivers:
  - name: lifeline
    webhook_configs:
      - url: ${webhookUrl}
        send_resolved: true
${auth}`,
    );
    giveToServerUser(conf);
    return Alertmanager.run(conf, dir, remove);
  }

  /** Starts Alertmanager with a config file the caller wrote (readable by the server user). */
  static async startWithConfig(conf: string): Promise<Alertmanager> {
    const { dir, remove } = tempDir('alertmanager');
    return Alertmanager.run(conf, dir, remove);
  }

  private static async run(conf: string, dir: string, remove: () => void): Promise<Alertmanager> {
    const port = await freePort();
    const am = new Alertmanager(port, remove);
    am.proc = startServer('alertmanager', '/usr/bin/prometheus-alertmanager', [
      `--config.file=${conf}`,
      `--storage.path=${dir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ]);
    await waitForPort(port, 20_000, am.proc);
    await waitFor('alertmanager ready', async () => (await fetch(`http://127.0.0.1:${port}/-/ready`)).ok, 20_000, 100);
    return am;
  }

  /** Fires (or, with endsAt in the past, resolves) alerts through Alertmanager's v2 API. */
  async post(alerts: Array<{ labels: Record<string, string>; annotations?: Record<string, string>; endsAt?: string }>): Promise<void> {
    const res = await fetch(`http://127.0.0.1:${this.port}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts.map((a) => ({ labels: a.labels, annotations: a.annotations ?? {}, ...(a.endsAt ? { endsAt: a.endsAt } : {}) }))),
    });
    if (!res.ok) throw new Error(`alertmanager answered ${res.status}: ${await res.text()}`);
  }

  async destroy(): Promise<void> {
    await this.proc?.stop();
    this.removeDir();
  }
}
