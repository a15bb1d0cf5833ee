import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { ProbeConfig } from '../../config/probeSchema.js';
import { ms, type Probe, type ProbeResult, type ProbeRunContext } from '../probe.js';

type BouncerConfig = Extract<ProbeConfig, { kind: 'bouncer' }>;

/**
 * The bouncer, seen from a second angle: its own connection and login (not the bot's session),
 * expecting the network's real welcome. ZNC facts (1.8, checked): a client logs in with
 * PASS user/network:password; while ZNC is not on its network it greets with
 * `:irc.znc.in 001 nick :Welcome to ZNC`, and once it is, it replays the network's 001 with the
 * real server's name. A client's QUIT only detaches that client: the bot's session is untouched.
 */
export function bouncerProbe(cfg: BouncerConfig): Probe {
  const fake = new Set(cfg.fake_welcome_from.map((s) => s.toLowerCase()));
  return {
    kind: 'bouncer',
    target: `${cfg.host}:${cfg.port}`,
    run: (ctx: ProbeRunContext) =>
      new Promise<ProbeResult>((resolve) => {
        const started = performance.now();
        const at = (): number => performance.now() - started;
        const phases: ProbeResult['phases'] = {};
        const values: ProbeResult['values'] = {};
        let settled = false;
        let connectedAt: number | undefined;
        let tlsAt: number | undefined;
        let buf = '';
        const raw = net.connect({ host: cfg.host, port: cfg.port });
        let sock: net.Socket = raw;
        const prefix = (): string => [connectedAt !== undefined ? `TCP connected in ${ms(connectedAt)}` : '', tlsAt !== undefined ? `TLS in ${ms(tlsAt - (connectedAt ?? 0))}` : ''].filter(Boolean).join(', ');
        const done = (up: boolean, what: string): void => {
          if (settled) return;
          settled = true;
          phases.total = at() / 1000;
          ctx.signal.removeEventListener('abort', onAbort);
          if (!sock.destroyed && connectedAt !== undefined) sock.end('QUIT :Lifeline probe\r\n');
          setTimeout(() => sock.destroy(), 100).unref();
          const p = prefix();
          resolve({ up, summary: p ? `${p}; ${what}` : what, phases, values });
        };
        const onAbort = (): void => {
          const within = ms(ctx.timeoutMs);
          if (connectedAt === undefined) done(false, `no TCP connection to ${cfg.host}:${cfg.port} within ${within}`);
          else if (cfg.tls && tlsAt === undefined) done(false, `no TLS handshake within ${within}`);
          else done(false, `logged in, but no welcome (001) within ${within}`);
        };
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        const onError = (err: NodeJS.ErrnoException): void => {
          if (err.code === 'ECONNREFUSED') done(false, `TCP connection to ${cfg.host}:${cfg.port} refused (nothing listening)`);
          else done(false, `${cfg.tls && connectedAt !== undefined && tlsAt === undefined ? 'TLS handshake failed: ' : ''}${err.message}`);
        };
        const login = (): void => {
          const loginAt = at();
          sock.setEncoding('utf8');
          sock.on('data', (d: string) => {
            buf += d;
            if (buf.length > 64 * 1024) buf = buf.slice(-4096);
            let i: number;
            while ((i = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, i).replace(/\r$/, '');
              buf = buf.slice(i + 1);
              const ping = /^PING (.*)$/.exec(line);
              if (ping) sock.write(`PONG ${ping[1]}\r\n`);
              const m = /^:(\S+) (\d{3}|ERROR|NOTICE) (.*)$/.exec(line) ?? /^(ERROR) :(.*)$/.exec(line);
              if (!m) continue;
              if (m[1] === 'ERROR') return done(false, `the bouncer refused the login: ${m[2]}`);
              const [, server, code] = m as unknown as [string, string, string];
              if (code === '464') return done(false, 'the bouncer refused the password (464): check the probe\'s password');
              if (code === '001') {
                phases.read = (at() - loginAt) / 1000;
                values['welcome_from'] = server;
                if (fake.has(server.toLowerCase())) return done(false, `logged in, but the bouncer is not on its IRC network (welcome from ${server} itself, not from the network)`);
                return done(true, `logged in; welcomed by ${server} in ${ms(at() - loginAt)}`);
              }
            }
          });
          sock.on('end', () => done(false, 'the bouncer closed the connection during login'));
          const pass = cfg.password?.reveal();
          if (pass) sock.write(`PASS :${pass}\r\n`);
          sock.write(`NICK ${cfg.nick}\r\nUSER ${cfg.username ?? cfg.nick} 0 * :Lifeline bouncer probe\r\n`);
        };
        raw.once('error', onError);
        raw.once('connect', () => {
          connectedAt = at();
          phases.connect = connectedAt / 1000;
          if (!cfg.tls) return login();
          let ca: Buffer | undefined;
          try {
            ca = cfg.ca_file !== undefined ? readFileSync(cfg.ca_file) : undefined;
          } catch (err) {
            return done(false, `cannot read ca_file ${cfg.ca_file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
          }
          const s = tls.connect({ socket: raw, servername: net.isIP(cfg.host) ? undefined : cfg.host, rejectUnauthorized: cfg.tls_verify, ca });
          sock = s;
          s.once('error', onError);
          s.once('secureConnect', () => {
            tlsAt = at();
            phases.tls = (tlsAt - connectedAt!) / 1000;
            login();
          });
        });
      }),
  };
}
