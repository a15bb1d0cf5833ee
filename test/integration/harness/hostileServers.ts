import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';

/*
 * Hostile probe targets on loopback (issue 19), shared by test/integration/hostileProbes.test.ts
 * and the bench's `hostile` part: answers that are too big, too deep or malformed, from servers
 * that stop by themselves (every loop bounded in bytes and time).
 */

const GiB = 1024 ** 3;

/** node_exporter's memory lines, with the values given (as node_exporter 1.5 prints them). */
function memoryLines(avail: number, total: number): string {
  return [
    '# HELP node_memory_MemAvailable_bytes Memory information field MemAvailable_bytes.',
    '# TYPE node_memory_MemAvailable_bytes gauge',
    `node_memory_MemAvailable_bytes ${avail.toExponential()}`,
    '# HELP node_memory_MemTotal_bytes Memory information field MemTotal_bytes.',
    '# TYPE node_memory_MemTotal_bytes gauge',
    `node_memory_MemTotal_bytes ${total.toExponential()}`,
    '',
  ].join('\n');
}

/**
 * A node_exporter answer of about `bytes` (issue 19: 7.5 MiB, 205,000 series): families of 1,000
 * labelled series each, the memory lines last, so the whole answer must be read to find them.
 */
export function bigExporterText(bytes: number): { text: string; series: number } {
  const parts: string[] = [];
  let size = 0;
  let series = 0;
  for (let f = 0; size < bytes; f++) {
    const head = `# HELP node_hostile_family_${f}_total A family of many series.\n# TYPE node_hostile_family_${f}_total counter\n`;
    parts.push(head);
    size += head.length;
    for (let i = 0; i < 1000 && size < bytes; i++, series++) {
      const line = `node_hostile_family_${f}_total{cpu="${i}",mode="idle"} ${i}.5\n`;
      parts.push(line);
      size += line.length;
    }
  }
  parts.push(memoryLines(2 * GiB, 4 * GiB));
  return { text: parts.join(''), series };
}

/** JSON `{prefix` + an array nested `depth` deep + `suffix}`: Prometheus' or Alertmanager's answer, as deep as given. */
function deepJson(prefix: string, depth: number, suffix: string): Buffer {
  return Buffer.concat([Buffer.from(prefix), Buffer.alloc(depth, '['), Buffer.alloc(depth, ']'), Buffer.from(suffix)]);
}

/** 1 GiB of zeros, gzipped (about 1 MiB): made once per process, on the zlib thread pool (~3 s). */
let bomb: Promise<Buffer> | undefined;
export function gzipBomb(): Promise<Buffer> {
  bomb ??= (async () => {
    const gz = zlib.createGzip({ level: 9 });
    const parts: Buffer[] = [];
    gz.on('data', (d: Buffer) => parts.push(d));
    const zeros = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < 1024; i++) if (!gz.write(zeros)) await new Promise((r) => gz.once('drain', r));
    const ended = new Promise((r) => gz.once('end', r));
    gz.end();
    await ended;
    return Buffer.concat(parts);
  })();
  return bomb;
}

/** The hostile HTTP server: its port, the bytes it wrote for the last request of each path, close(). */
export interface HostileHttp {
  port: number;
  url(path: string): string;
  sentBytes(path: string): number;
  close(): Promise<void>;
}

/**
 * Routes (any prefix before `/-/healthy`, `/-/ready` answers 200, so a prefix is a Prometheus or
 * an Alertmanager):
 *   /ok                             "ok" (the well-behaved control)
 *   /gigabyte                       1 GiB body with its Content-Length, written as the client reads
 *   /gzip-bomb                      1 MiB of gzip that inflates to 1 GiB (Content-Encoding: gzip)
 *   /metrics/big                    node_exporter text of 7.5 MiB, 205,000 series
 *   /metrics/dup                    MemAvailable printed twice (a duplicated family)
 *   /metrics/over                   MemAvailable above MemTotal
 *   /metrics/9mib                   a node_exporter answer over the 8 MiB a probe reads
 *   /prom-deep/api/v1/targets       Prometheus' target list nested 3 million deep
 *   /prom-wide/api/v1/targets       a healthy target list of 7.5 MiB, 6,000 targets with labels of their own
 *   /prom-null/api/v1/targets       a target that is null
 *   /prom-number/api/v1/targets     a target whose scrapeInterval is a number
 *   /am-deep/api/v2/status          Alertmanager's status nested 1 million deep
 */
export async function hostileHttpServer(): Promise<HostileHttp> {
  const bombBody = await gzipBomb();
  const big = Buffer.from(bigExporterText(7.5 * 1024 * 1024).text);
  const nine = Buffer.from(bigExporterText(9 * 1024 * 1024).text);
  const dup = `${memoryLines(1 * GiB, 4 * GiB)}node_memory_MemAvailable_bytes 0\n`;
  const over = memoryLines(9 * GiB, 4 * GiB);
  const promDeep = deepJson('{"status":"success","data":{"activeTargets":', 3_000_000, ',"droppedTargets":[]}}');
  const amDeep = deepJson('{"cluster":{"status":"ready","peers":', 1_000_000, '},"versionInfo":{"version":"0.25.0"}}');
  const target = (o: Record<string, unknown>): string => JSON.stringify({ status: 'success', data: { activeTargets: [o], droppedTargets: [] } });
  // A wide target list of 7.5 MiB: every target's discovered labels have names of their own (as
  // Kubernetes service discovery writes pod labels), which JSON.parse pays for key by key. Scraped
  // hourly, so it stays on time for the length of a bench run.
  const wide = JSON.stringify({
    status: 'success',
    data: {
      activeTargets: Array.from({ length: 6_000 }, (_, i) => ({ discoveredLabels: Object.fromEntries(Array.from({ length: 24 }, (_, j) => [`__meta_kubernetes_pod_label_app_${i}_${j}`, 'x'])), labels: { instance: `pod-${i}:9100`, job: 'k8s' }, scrapePool: 'k8s', scrapeUrl: `http://pod-${i}:9100/metrics`, lastError: '', lastScrape: new Date().toISOString(), health: 'up', scrapeInterval: '1h' })),
      droppedTargets: [],
    },
  });
  const fixed: Record<string, string | Buffer> = {
    '/ok': 'ok',
    '/prom-wide/api/v1/targets': Buffer.from(wide),
    '/metrics/big': big,
    '/metrics/dup': dup,
    '/metrics/over': over,
    '/metrics/9mib': nine,
    '/prom-deep/api/v1/targets': promDeep,
    '/prom-null/api/v1/targets': '{"status":"success","data":{"activeTargets":[null],"droppedTargets":[]}}',
    '/prom-number/api/v1/targets': target({ scrapePool: 'node', labels: { instance: 'a:9100' }, health: 'up', lastScrape: new Date().toISOString(), scrapeInterval: 15 }),
    '/am-deep/api/v2/status': amDeep,
  };
  const sent = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (/\/-\/(healthy|ready)$/.test(path)) return void res.writeHead(200).end('ok');
    const body = fixed[path];
    if (body !== undefined) return void res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
    if (path === '/gzip-bomb') return void res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': bombBody.length }).end(bombBody);
    if (path === '/gigabyte') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': GiB });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let written = 0;
      sent.set(path, 0);
      const more = (): void => {
        while (written < GiB && !res.destroyed) {
          written += chunk.length;
          sent.set(path, written);
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        if (!res.destroyed) res.end();
      };
      res.on('close', () => res.removeAllListeners('drain'));
      return more();
    }
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    sentBytes: (path) => sent.get(path) ?? 0,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * An "OpenVPN over TCP" server that answers every connection with empty 2-byte frames, as fast as
 * the client reads, for at most `maxMs` or 2 GiB per connection. `sentBytes()`: written in all.
 */
export async function emptyFrameServer(maxMs = 10_000): Promise<{ port: number; sentBytes(): number; close(): Promise<void> }> {
  let total = 0;
  const sockets = new Set<net.Socket>();
  const zeros = Buffer.alloc(64 * 1024);
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined).on('close', () => sockets.delete(s));
    s.on('data', () => undefined);
    const until = Date.now() + maxMs;
    let written = 0;
    const more = (): void => {
      while (!s.destroyed && Date.now() < until && written < 2 * GiB) {
        written += zeros.length;
        total += zeros.length;
        if (!s.write(zeros)) return void s.once('drain', more);
      }
      if (!s.destroyed) s.end();
    };
    more();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    sentBytes: () => total,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * Watches this process while `run` goes on: the longest gap between two 5 ms ticks (how long the
 * event loop was held) and the highest RSS sampled (MB).
 */
export async function watchProcess<T>(run: () => Promise<T>): Promise<{ value: T; maxStallMs: number; peakRssMb: number }> {
  let last = performance.now();
  let maxStallMs = 0;
  let peak = process.memoryUsage.rss();
  const tick = setInterval(() => {
    const now = performance.now();
    maxStallMs = Math.max(maxStallMs, now - last);
    last = now;
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  try {
    const value = await run();
    maxStallMs = Math.max(maxStallMs, performance.now() - last);
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, maxStallMs, peakRssMb: peak / 1048576 };
  } finally {
    clearInterval(tick);
  }
}
