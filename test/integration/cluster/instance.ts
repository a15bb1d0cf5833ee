/*
 * One Lifeline instance's cluster layer as its own process, for the cluster tests: the test can
 * SIGKILL it and start it again on the same database. It runs on the host and reaches its region's
 * nats-server through the region's host link (argv: config file, database file).
 * stdout: one JSON event a line ({ ev: ... }, times as epoch ms with µs, from performance.now()).
 * stdin: one JSON command a line: { cmd: 'record', body, key? }.
 */
import { createInterface } from 'node:readline';
import { ClusterNode } from '../../../src/cluster/node.js';
import { loadConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/observability/logger.js';
import { openDb } from '../../../src/store/db.js';
import { systemClock } from '../../../src/util/clock.js';

const [configFile, dbFile] = process.argv.slice(2);
if (!configFile || !dbFile) throw new Error('usage: instance.js CONFIG DB');
const nowMs = (): number => performance.timeOrigin + performance.now();
const out = (ev: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify({ ...ev, at: nowMs() })}\n`);

const config = loadConfig(configFile);
const cluster = config.cluster;
if (!cluster) throw new Error('no cluster section');
const log = createLogger(process.env['LOG_LEVEL'] ?? 'warn', { write: (s: string) => void process.stderr.write(s) } as never);
const db = openDb(dbFile);
const node = await ClusterNode.start({
  config: cluster,
  db,
  clock: systemClock(),
  log,
  apply: (env) => out({ ev: 'applied', from: env.from, kind: env.body.kind, body: env.body, hlc: env.hlc }),
});
node.on((e) => out({ ev: e.kind, ...e }));
node.onPublished = (msgId) => out({ ev: 'published', msgId });
out({ ev: 'started', settled: node.settled, pending: node.store.pendingCount() });

for await (const line of createInterface({ input: process.stdin })) {
  const cmd = JSON.parse(line) as { cmd: string; body?: never; key?: string; incident?: string; step?: number };
  if (cmd.cmd === 'record' && cmd.body) out({ ev: 'recorded', msgId: node.record(cmd.body, cmd.key) });
  else if (cmd.cmd === 'claim') out({ ev: 'claim', incident: cmd.incident, step: cmd.step, result: node.tryClaim(cmd.incident ?? '', String(cmd.step ?? 0)) });
  else if (cmd.cmd === 'sent') out({ ev: 'markedSent', incident: cmd.incident, step: cmd.step, ...(node.markSent(cmd.incident ?? '', String(cmd.step ?? 0)), {}) });
  else if (cmd.cmd === 'state') out({ ev: 'state', settled: node.settled, position: node.position(), live: node.livePeers(), pending: node.store.pendingCount() });
}
await node.stop();
