import net from 'node:net';
import type { ProbeConfig } from '../../config/probeSchema.js';
import { formatDuration } from '../../config/duration.js';
import { describeError } from '../../errors.js';
import { slope, type Point } from '../../util/trend.js';
import { failed, ms, type Probe, type ProbeResult } from '../probe.js';

type CapacityConfig = Extract<ProbeConfig, { kind: 'openvpn_capacity' }>;

/**
 * Reads one server's client count through OpenVPN's management interface (TCP host:port, or a
 * unix socket): it may first ask "ENTER PASSWORD:"; then prints a ">INFO:" banner. `load-stats`
 * answers one line "SUCCESS: nclients=N,bytesin=..,bytesout=.."; `status 3` lists CLIENT_LIST
 * lines (tab-separated) up to "END". No command reports max-clients: it comes from the config.
 */
export async function managementClients(server: CapacityConfig['servers'][number], signal: AbortSignal): Promise<{ nclients: number; listed: number }> {
  const sock = server.socket ? net.connect({ path: server.socket }) : net.connect({ host: server.host as string, port: server.port as number });
  let buf = '';
  let wake: (() => void) | undefined;
  let err: Error | undefined;
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => {
    buf += d;
    wake?.();
  });
  sock.on('error', (e) => {
    err = e;
    wake?.();
  });
  sock.on('close', () => {
    err ??= new Error('the management interface closed the connection');
    wake?.();
  });
  const until = async (re: RegExp, what: string): Promise<RegExpExecArray> => {
    for (let i = 0; i < 10_000; i++) {
      const m = re.exec(buf);
      if (m) {
        buf = buf.slice(m.index + m[0].length);
        return m;
      }
      if (err) throw err;
      if (signal.aborted) throw new Error(`no ${what} from the management interface in time`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      wake = undefined;
    }
    throw new Error(`no ${what}`);
  };
  try {
    const first = await until(/ENTER PASSWORD:|>INFO:[^\n]*\n/, 'greeting');
    if (first[0].startsWith('ENTER PASSWORD')) {
      if (!server.password) throw new Error('the management interface asks for a password: set password');
      sock.write(`${server.password.reveal()}\n`);
      // A wrong password is answered by asking again (or, after several, an ERROR and a close).
      const r = await until(/SUCCESS: password is correct\r?\n|ERROR: bad password[^\n]*\n|ENTER PASSWORD:/, 'password answer');
      if (!r[0].startsWith('SUCCESS')) throw new Error('the management interface refused the password');
    }
    sock.write('load-stats\n');
    const stats = await until(/SUCCESS: nclients=(\d+)[^\n]*\n|ERROR:[^\n]*\n/, 'load-stats answer');
    if (stats[1] === undefined) throw new Error(`load-stats: ${stats[0].trim()}`);
    sock.write('status 3\n');
    const status = await until(/([\s\S]*?)\nEND\r?\n/, 'status 3 answer');
    const listed = (status[1] as string).split('\n').filter((l) => l.startsWith('CLIENT_LIST\t')).length;
    sock.write('quit\n');
    return { nclients: Number(stats[1]), listed };
  } finally {
    sock.destroy();
  }
}

/** Where the client count is going: its direction, and the rate when there is one to project from. */
interface Trend {
  dir: 'rising' | 'falling' | 'steady';
  /** Clients per ms, when the window's line agrees with the last change. */
  perMs?: number;
}

/**
 * The trend over the window, but only when the last change goes its way: after a drain from 10
 * clients to 0 the least-squares line over the window still rises (it counts the ramp), and
 * "0 of 10 clients, rising: full in ~4 min" contradicts what was just read. A last change against
 * the line's direction wins: the trend is that change's direction, with no projection.
 */
function trendOf(history: readonly Point[]): Trend | undefined {
  const perMs = slope(history);
  if (perMs === undefined) return undefined;
  const line: Trend = { dir: perMs > 0 ? 'rising' : perMs < 0 ? 'falling' : 'steady', perMs };
  const [prev, last] = history.slice(-2);
  if (prev === undefined || last === undefined) return line;
  const step = last.v - prev.v;
  if (step === 0 || Math.sign(step) === Math.sign(perMs)) return line;
  return { dir: step > 0 ? 'rising' : 'falling' };
}

/**
 * OpenVPN capacity: connected clients against max-clients, per server and added up over a group
 * of servers behind one address. The reset probe cannot see this (a full 2.6 server still answers
 * resets). Warning from warn_percent, down (critical) from critical_percent, with the trend over
 * trend_window and the time until full in the text. A dead UDP client stays counted until its
 * ping-restart, as OpenVPN itself counts it against max-clients.
 */
export function openvpnCapacityProbe(cfg: CapacityConfig): Probe {
  const names = cfg.servers.map((s) => s.socket ?? `${s.host}:${s.port}`);
  let history: Point[] = [];
  return {
    kind: 'openvpn_capacity',
    target: names.join(', '),
    async run(ctx): Promise<ProbeResult> {
      const t0 = performance.now();
      const max = cfg.servers.reduce((n, s) => n + s.max_clients, 0);
      let clients = 0;
      const per: string[] = [];
      for (const [i, s] of cfg.servers.entries()) {
        try {
          const r = await managementClients(s, ctx.signal);
          clients += r.nclients;
          per.push(`${names[i]} ${r.nclients}/${s.max_clients}`);
        } catch (err) {
          return failed(`management interface of ${names[i]}: ${describeError(err)}`, { total: (performance.now() - t0) / 1000 });
        }
      }
      const now = ctx.nowMs;
      history = [...history.filter((p) => now - p.t <= cfg.trend_window && p.t < now), { t: now, v: clients }];
      const pct = max > 0 ? (clients / max) * 100 : 100;
      const trend = trendOf(history);
      const perMs = trend?.dir === 'rising' ? trend.perMs : undefined;
      const full = clients >= max;
      let words = `${clients} of ${max} clients (${pct.toFixed(0)} % of max-clients)`;
      if (cfg.servers.length > 1) words += ` [${per.join(', ')}]`;
      if (full) words += ': full now';
      else if (perMs !== undefined) words += `, rising ${(perMs * 600_000).toFixed(1)} per 10 min: full in ~${formatDuration((max - clients) / perMs)}`;
      else if (trend !== undefined) words += `, ${trend.dir}`;
      const phases = { read: (performance.now() - t0) / 1000, total: (performance.now() - t0) / 1000 };
      const values = { clients, max_clients: max, percent: Math.round(pct * 10) / 10 };
      if (pct >= cfg.critical_percent) return { up: false, summary: `OpenVPN nearly full: ${words}; new clients are refused at max-clients`, phases, values };
      if (pct >= cfg.warn_percent) return { up: true, summary: words, phases, values, warning: `OpenVPN at ${pct.toFixed(0)} % of max-clients (${clients} of ${max})${full ? '; full now' : perMs !== undefined ? `; full in ~${formatDuration((max - clients) / perMs)}` : ''}` };
      return { up: true, summary: `${words}; management answered in ${ms(performance.now() - t0)}`, phases, values };
    },
  };
}
