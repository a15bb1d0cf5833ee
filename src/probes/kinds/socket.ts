import net from 'node:net';
import tls from 'node:tls';
import type { ProbeConfig } from '../../config/probeSchema.js';
import { compileRegex } from '../../util/regex.js';
import { endpointOf, ms, type Probe, type ProbeResult, type ProbeRunContext } from '../probe.js';
import { certificateWarning } from './cert.js';

type TcpConfig = Extract<ProbeConfig, { kind: 'tcp' }>;
type TlsConfig = Extract<ProbeConfig, { kind: 'tls' }>;

/** Bytes read while waiting for `expect`, at most; past them the probe fails (a stream that never says it). */
const MAX_READ = 64 * 1024;

/** TCP: connect, then optionally send a line and expect a pattern in what comes back. */
export function tcpProbe(cfg: TcpConfig): Probe {
  return { kind: 'tcp', target: `${cfg.host}:${cfg.port}`, run: (ctx) => socketProbe(cfg, ctx, false) };
}

/** TLS: connect, handshake (certificate verified unless tls_verify is false), expiry, optional send/expect. */
export function tlsProbe(cfg: TlsConfig): Probe {
  return { kind: 'tls', target: `${cfg.host}:${cfg.port}`, run: (ctx) => socketProbe(cfg, ctx, true) };
}

function socketProbe(cfg: TcpConfig | TlsConfig, ctx: ProbeRunContext, useTls: boolean): Promise<ProbeResult> {
  const expect = cfg.expect !== undefined ? compileRegex(`(?s:.*)(?:${cfg.expect})(?s:.*)`) : undefined;
  const started = performance.now();
  const at = (): number => performance.now() - started;
  const phases: ProbeResult['phases'] = {};
  const values: ProbeResult['values'] = {};
  return new Promise((resolve) => {
    let settled = false;
    let connectedAt: number | undefined;
    let tlsAt: number | undefined;
    let warning: string | undefined;
    let buf = '';
    const raw = net.connect({ host: ctx.address ?? cfg.host, port: cfg.port });
    let sock: net.Socket = raw;
    // The address DNS gave (or the host itself, an IP): what probes behind one proxy share.
    let address: string | undefined = ctx.address ?? (net.isIP(cfg.host) ? cfg.host : undefined);
    raw.once('lookup', (err, a) => {
      if (!err) address = a;
    });
    const done = (r: Omit<ProbeResult, 'phases' | 'values'>): void => {
      if (settled) return;
      settled = true;
      phases.total = at() / 1000;
      ctx.signal.removeEventListener('abort', onAbort);
      sock.destroy();
      raw.destroy();
      resolve({ ...r, phases, values, ...(warning && r.up ? { warning } : {}), ...(address !== undefined ? { endpoint: endpointOf(address, cfg.port) } : {}) });
    };
    const steps = (): string => [connectedAt !== undefined ? `TCP connected in ${ms(connectedAt)}` : '', tlsAt !== undefined ? `TLS in ${ms(tlsAt - (connectedAt ?? 0))}` : ''].filter(Boolean).join(', ');
    const prefix = (): string => (steps() ? `${steps()}; ` : '');
    const onAbort = (): void => {
      const within = ms(ctx.timeoutMs);
      if (connectedAt === undefined) done({ up: false, summary: `no TCP connection to ${cfg.host}:${cfg.port} within ${within}` });
      else if (useTls && tlsAt === undefined) done({ up: false, summary: `${prefix()}no TLS handshake within ${within}` });
      else done({ up: false, summary: `${prefix()}${cfg.send !== undefined ? 'sent; ' : ''}expected /${cfg.expect ?? ''}/ not seen within ${within}${buf ? ` (got ${JSON.stringify(buf.slice(0, 80))})` : ''}` });
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const onError = (err: NodeJS.ErrnoException): void => {
      const code = err.code ?? '';
      if (code === 'ECONNREFUSED') done({ up: false, summary: `TCP connection to ${cfg.host}:${cfg.port} refused (nothing listening)` });
      else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') done({ up: false, summary: `DNS: ${cfg.host} does not resolve (${code})` });
      else done({ up: false, summary: `${prefix()}${useTls && connectedAt !== undefined && tlsAt === undefined ? 'TLS handshake failed: ' : ''}${err.message}` });
    };
    const ready = (): void => {
      if (cfg.send !== undefined) sock.write(cfg.send.replace(/\\r/g, '\r').replace(/\\n/g, '\n'));
      if (!expect) {
        done({ up: true, summary: steps() || 'connected' });
        return;
      }
      sock.on('data', (d: Buffer) => {
        buf += d.toString('utf8', 0, Math.min(d.length, MAX_READ - buf.length));
        if (expect.matches(buf)) {
          phases.read = (at() - (tlsAt ?? connectedAt ?? 0)) / 1000;
          done({ up: true, summary: `${prefix()}got /${cfg.expect}/ in ${ms(at() - (tlsAt ?? connectedAt ?? 0))}` });
        } else if (buf.length >= MAX_READ) {
          // Nothing more is read: a server that streams without saying it fails now, not at the deadline.
          done({ up: false, summary: `${prefix()}expected /${cfg.expect}/ not seen in the first ${MAX_READ / 1024} KiB (got ${JSON.stringify(buf.slice(0, 80))})` });
        }
      });
      sock.on('end', () => done({ up: false, summary: `${prefix()}connection closed before /${cfg.expect}/ was seen${buf ? ` (got ${JSON.stringify(buf.slice(0, 80))})` : ''}` }));
    };
    raw.once('error', onError);
    raw.once('connect', () => {
      connectedAt = at();
      phases.connect = connectedAt / 1000;
      if (!useTls) return ready();
      const t = cfg as TlsConfig;
      const s = tls.connect({ socket: raw, servername: t.server_name ?? (net.isIP(t.host) ? undefined : t.host), rejectUnauthorized: t.tls_verify });
      sock = s;
      s.once('error', onError);
      s.once('secureConnect', () => {
        tlsAt = at();
        phases.tls = (tlsAt - (connectedAt ?? 0)) / 1000;
        const cert = s.getPeerCertificate();
        if (cert?.valid_to) warning = certificateWarning(cert.valid_to, t.cert_expiry_warning_days, ctx.nowMs, values);
        if (cert?.subject?.CN) values['cert_subject'] = String(cert.subject.CN);
        ready();
      });
    });
  });
}
