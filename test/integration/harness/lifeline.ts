import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startApp, type App } from '../../../src/app.js';
import { parseConfig } from '../../../src/config/load.js';
import { pino, type Logger } from 'pino';
import { silentLogger, createLogger } from '../../../src/observability/logger.js';
import { systemClock } from '../../../src/util/clock.js';
import { freePort, startServer, waitFor, waitForPort, type ServerProcess } from './procs.js';

/** Options for a test config. */
export interface TestConfigOptions {
  httpPort: number;
  dbPath: string;
  irc?: { port: number; password?: string; bouncer?: 'znc' | 'none'; nick?: string; extra?: string };
  auth?: string;
  extra?: string;
}

/** A Lifeline config for tests: loopback only, short timers. */
export function testConfigYaml(o: TestConfigOptions): string {
  const irc = o.irc
    ? `irc:
  host: 127.0.0.1
  port: ${o.irc.port}
  tls: false
  nick: ${o.irc.nick ?? 'lifeline'}
  bouncer: ${o.irc.bouncer ?? 'znc'}
${o.irc.password ? `  password: "${o.irc.password}"\n` : ''}  channels:
    - name: "#alerts"
  reconnect:
    initial_delay: 200ms
    max_delay: 2s
${o.irc.extra ?? ''}
`
    : '';
  return `log:
  level: ${process.env['LIFELINE_TEST_LOG'] ?? 'warn'}
http:
  host: 127.0.0.1
  port: ${o.httpPort}
${o.auth ?? ''}
store:
  path: ${o.dbPath}
${irc}routes:
  - name: default
${o.irc ? '    irc_channels: ["#alerts"]' : '    console: true'}
${o.extra ?? ''}
`;
}

/** A logger that keeps every record (info and up) for assertions. */
export function recordingLogger(): { log: Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void records.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, records };
}

/** Starts Lifeline in this process with the real clock and real irc-framework. */
export async function startInProcess(yaml: string, env: Record<string, string> = {}, logger?: Logger): Promise<App> {
  const config = parseConfig(yaml, 'test-config.yaml', env);
  const log = logger ?? (process.env['LIFELINE_TEST_LOG'] ? createLogger(process.env['LIFELINE_TEST_LOG']) : silentLogger());
  return startApp({ config, clock: systemClock(), log });
}

/** Waits until Lifeline is registered, in #alerts, and its bouncer is on the network. */
export async function waitIrcHealthy(app: App, timeoutMs = 20_000): Promise<void> {
  await waitFor('Lifeline healthy on IRC', () => app.irc?.state.link === 'registered' && app.irc.state.joined.includes('#alerts') && app.irc.state.upstream === 'up', timeoutMs);
}

/** Lifeline as its own process (the built CLI), for kill tests. */
export async function startProcess(dir: string, yaml: string, httpPort: number): Promise<ServerProcess> {
  const file = join(dir, 'lifeline.yaml');
  writeFileSync(file, yaml);
  const main = resolve(process.cwd(), 'dist/src/main.js');
  const p = startServer('lifeline', process.execPath, [main, 'run', '--config', file], {}, false);
  await waitForPort(httpPort, 15_000, p);
  return p;
}

export { freePort };

/**
 * Runs the built CLI (`lifeline <command> --config FILE ...`) with `yaml` written to a file in `dir`.
 * Asynchronous: servers the test runs in this process must keep answering meanwhile.
 */
export function runCli(dir: string, command: string, yaml: string, ...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  return new Promise((done) => {
    execFile(process.execPath, [resolve(process.cwd(), 'dist/src/main.js'), command, '--config', file, ...args], { encoding: 'utf8', timeout: 60_000 }, (err, out, errOut) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, out, err: errOut });
    });
  });
}
