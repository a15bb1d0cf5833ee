import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../harness/procs.js';

/** One event an instance printed. */
export interface InstanceEvent {
  ev: string;
  at: number;
  [k: string]: unknown;
}

const ENTRY = join(dirname(fileURLToPath(import.meta.url)), 'instance.js');

/** The settings a test instance runs with: short timeouts so a test takes seconds, not minutes. */
export interface InstanceSettings {
  name: string;
  peers: readonly string[];
  natsUrl: string;
  peerTimeout?: string;
  heartbeatInterval?: string;
  settleTimeout?: string;
  claimLease?: string;
  /** Write only name, peers and nats_url: the shipped defaults for the rest (the benchmark). */
  shipped?: boolean;
}

/**
 * A cluster-layer process (instance.js) for one region, on one database that outlives restarts.
 * Its events are kept in order; `waitEvent` polls them, bounded in time.
 */
export class TestInstance {
  readonly events: InstanceEvent[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  stderr = '';
  readonly dbFile: string;
  readonly configFile: string;

  constructor(
    readonly settings: InstanceSettings,
    dir: string,
  ) {
    this.dbFile = join(dir, `${settings.name}.db`);
    this.configFile = join(dir, `${settings.name}.yaml`);
    const s = settings;
    writeFileSync(
      this.configFile,
      [
        'cluster:',
        `  name: ${s.name}`,
        `  peers: [${s.peers.map((p) => `{ name: ${p} }`).join(', ')}]`,
        `  nats_url: "${s.natsUrl}"`,
        ...(s.shipped ? [] : [`  peer_timeout: ${s.peerTimeout ?? '3s'}`, `  heartbeat_interval: ${s.heartbeatInterval ?? '500ms'}`, `  settle_timeout: ${s.settleTimeout ?? '20s'}`, `  claim_lease: ${s.claimLease ?? '4s'}`]),
        '',
      ].join('\n'),
    );
  }

  /** Starts the process; resolves when it has connected and set up its streams. */
  async start(timeoutMs = 20_000): Promise<void> {
    const from = this.events.length;
    const child = spawn(process.execPath, [ENTRY, this.configFile, this.dbFile], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.trim()) this.events.push(JSON.parse(line) as InstanceEvent);
      }
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-20_000);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await this.waitEvent('started', (e) => e.ev === 'started', timeoutMs, from);
  }

  /** Whether the process runs. */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends a command line. */
  send(cmd: Record<string, unknown>): void {
    this.child?.stdin?.write(`${JSON.stringify(cmd)}\n`);
  }

  /** Records a decision (an ack by default); the `recorded` event carries its msgId. */
  record(body: Record<string, unknown>, key?: string): void {
    this.send({ cmd: 'record', body, ...(key !== undefined ? { key } : {}) });
  }

  /** Tries to claim a step; resolves with the `claim` event (its `result` is a ClaimResult). */
  async claim(incident: string, step: number): Promise<InstanceEvent> {
    const from = this.events.length;
    this.send({ cmd: 'claim', incident, step });
    return this.waitEvent(`claim ${incident}/${step}`, (e) => e.ev === 'claim' && e['incident'] === incident && e['step'] === step, 5_000, from);
  }

  /** SIGKILL, and wait for the exit. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** Ends the process (stdin closed: it stops its node), SIGKILL after 5 s. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child?.stdin?.end();
    const t = setTimeout(() => this.child?.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
  }

  /** Events matching, from index `from`. */
  find(pred: (e: InstanceEvent) => boolean, from = 0): InstanceEvent[] {
    return this.events.slice(from).filter(pred);
  }

  /** Waits for an event matching, from index `from`; bounded. */
  async waitEvent(what: string, pred: (e: InstanceEvent) => boolean, timeoutMs: number, from = 0): Promise<InstanceEvent> {
    return waitFor(`${this.settings.name}: ${what}`, () => {
      if (!this.running && this.child) throw new Error(`${this.settings.name} exited: ${this.stderr.slice(-2000)}`);
      return this.events.slice(from).find(pred);
    }, timeoutMs, 10);
  }

  /** Waits until `n` events match (from index `from`); bounded. */
  async waitCount(what: string, pred: (e: InstanceEvent) => boolean, n: number, timeoutMs: number, from = 0): Promise<InstanceEvent[]> {
    return waitFor(`${this.settings.name}: ${n} × ${what} (have ${this.find(pred, from).length})`, () => {
      const got = this.find(pred, from);
      return got.length >= n ? got : undefined;
    }, timeoutMs, 20);
  }
}

/** p-th percentile (0..100) of numbers. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}
