import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { ProbeConfig } from '../../config/probeSchema.js';
import { describeError } from '../../errors.js';
import { formatDuration } from '../../config/duration.js';
import { failed, ms, type Probe, type ProbeResult } from '../probe.js';
import { certificateWarning } from './cert.js';
import { clientReset, parseStaticKey, type OvpnWrap, type ResetProbe } from './openvpnPacket.js';
import { tlsOverControl } from './openvpnTls.js';
import { openPacketSocket, resolveHost, socketFailure, type PacketSocket } from './packetSocket.js';

type OpenvpnConfig = Extract<ProbeConfig, { kind: 'openvpn' }>;

/**
 * A key answered within this long before a silence proves the key right: the server, its firewall
 * or the path changed since. Longer ago, the server's key may have been changed meanwhile.
 */
const KEY_PROVEN_MS = 24 * 3_600_000;

/** What silence can mean, with a tls-auth or tls-crypt key: the server cannot tell us which, unless this key was answered recently. */
function silence(cfg: OpenvpnConfig, answered?: { lastMs: number; silentSinceMs: number; nowMs: number }): string {
  const key = cfg.tls_crypt_file ? 'tls-crypt key' : cfg.tls_auth_file ? 'tls-auth key' : undefined;
  if (answered && answered.nowMs - answered.lastMs <= KEY_PROVEN_MS) {
    const ago = formatDuration(answered.nowMs - answered.lastMs);
    const since = new Date(answered.silentSinceMs).toISOString().slice(11, 19);
    return `${key ? `the same ${key} was answered ${ago} ago, so the key is right` : `it answered ${ago} ago`}: the server, its firewall or the path stopped answering (silent since ${since} UTC)`;
  }
  if (cfg.tls_crypt_file) return 'a wrong tls-crypt key looks the same as a server that is down (the server drops what it cannot unwrap, silently): check the key, then the server';
  if (cfg.tls_auth_file) return 'a wrong tls-auth key or key_direction looks the same as a server that is down (the server drops packets whose HMAC fails, silently): check the key and key_direction, then the server';
  return 'the server is down, filtered, or expects tls-auth/tls-crypt (it drops resets without them, silently)';
}

/**
 * The OpenVPN handshake probe: sends P_CONTROL_HARD_RESET_CLIENT_V2 (plain, tls-auth or tls-crypt,
 * over UDP or TCP) and expects the server's P_CONTROL_HARD_RESET_SERVER_V2 that acknowledges our
 * session, its HMAC or tag verified. An answer proves "alive, and the key is right", not "has
 * room": a 2.6 server answers resets statelessly even at max-clients (the capacity probe is for
 * that). One reset per run: the server rate-limits resets (connect-freq-initial).
 *
 * `deep`: the session goes on with TLS over the control channel (openvpnTls.ts) up to the server's
 * certificate, which a full server never sends: "has room", and the certificate's dates.
 */
export function openvpnProbe(cfg: OpenvpnConfig): Probe {
  const target = `${cfg.proto}://${cfg.host}:${cfg.port}`;
  // Key and CA files are read once; a file that cannot be used fails every run, saying which.
  let wrap: OvpnWrap = { kind: 'plain' };
  let problem: string | undefined;
  try {
    if (cfg.tls_crypt_file) wrap = { kind: 'tls-crypt', key: parseStaticKey(readFileSync(cfg.tls_crypt_file, 'utf8')) };
    else if (cfg.tls_auth_file) wrap = { kind: 'tls-auth', key: parseStaticKey(readFileSync(cfg.tls_auth_file, 'utf8')), direction: cfg.key_direction, digest: cfg.auth };
  } catch (err) {
    problem = `cannot use ${cfg.tls_crypt_file ? 'tls_crypt_file' : 'tls_auth_file'}: ${describeError(err)}`;
  }
  let ca: string | undefined;
  if (cfg.ca_file && problem === undefined) {
    try {
      ca = readFileSync(cfg.ca_file, 'utf8');
      if (!ca.includes('-----BEGIN CERTIFICATE-----')) problem = `cannot use ca_file ${cfg.ca_file}: no PEM certificate in it`;
    } catch (err) {
      problem = `cannot use ca_file: ${describeError(err)}`;
    }
  }
  // When a reset was last answered, and since when it has been silent (what silence means, below).
  let lastAnsweredMs: number | undefined;
  let silentSinceMs: number | undefined;
  const silentNow = (nowMs: number): string => {
    silentSinceMs ??= nowMs;
    return silence(cfg, lastAnsweredMs !== undefined ? { lastMs: lastAnsweredMs, silentSinceMs, nowMs } : undefined);
  };
  return {
    kind: 'openvpn',
    target,
    async run(ctx): Promise<ProbeResult> {
      const t0 = performance.now();
      if (problem !== undefined) return failed(problem);
      const phases: ProbeResult['phases'] = {};
      const resolved = await resolveHost(cfg.host, t0);
      if (typeof resolved === 'string') return failed(resolved, { total: (performance.now() - t0) / 1000 });
      if (resolved.dnsSeconds !== undefined) phases.dns = resolved.dnsSeconds;
      const address = resolved.address;
      const reset = clientReset(wrap, ctx.nowMs);
      let t: PacketSocket;
      try {
        t = await openPacketSocket(cfg.proto, address, cfg.port, ctx.signal, ctx.timeoutMs);
      } catch (err) {
        return failed(socketFailure(cfg.proto, `${cfg.host}:${cfg.port}`, err as Error), { ...phases, total: (performance.now() - t0) / 1000 });
      }
      if (cfg.proto === 'tcp') phases.connect = (performance.now() - t0) / 1000 - (phases.dns ?? 0);
      try {
        const sentAt = performance.now();
        t.send(reset.packet);
        const why: string[] = [];
        for (let i = 0; i < 10; i++) {
          const m = await t.next(ctx.signal);
          if (!m) break;
          const r = reset.read(m);
          const took = performance.now() - sentAt;
          const timing = { ...phases, firstByte: took / 1000, total: (performance.now() - t0) / 1000 };
          if (r.ok) {
            lastAnsweredMs = ctx.nowMs;
            silentSinceMs = undefined;
            const answered = `OpenVPN server answered the reset in ${ms(took)} (${wrap.kind}${cfg.proto === 'tcp' ? ', TCP' : ''})`;
            if (!cfg.deep) return { up: true, summary: `${answered}; alive and the key is right, which says nothing of free client slots`, phases: timing, values: {} };
            return await deep(t, reset, r.serverSession, answered, timing, ctx.signal, ctx.timeoutMs, ctx.nowMs);
          }
          why.push(r.why);
          if (i === 9) return failed(`answers that are not the server's reset for this session: ${why.join('; ')}`, timing);
        }
        const total = { ...phases, total: (performance.now() - t0) / 1000 };
        if (t.error) return failed(socketFailure(cfg.proto, `${cfg.host}:${cfg.port}`, t.error), total);
        if (why.length > 0) return failed(`an answer that is not the server's reset for this session: ${why.join('; ')}`, total);
        if (t.closed) return failed(`TCP ${cfg.host}:${cfg.port}: connected, but the server closed the connection without answering the reset (a full server does this at accept; or ${silence(cfg)})`, total);
        return failed(`no answer to the reset within ${ms(ctx.timeoutMs)}: ${silentNow(ctx.nowMs)}`, total);
      } finally {
        t.close();
      }
    },
  };

  /** Deep mode: TLS over the control channel, up to the server's certificate. */
  async function deep(t: PacketSocket, reset: ResetProbe, serverSession: Buffer, answered: string, timing: ProbeResult['phases'], signal: AbortSignal, timeoutMs: number, nowMs: number): Promise<ProbeResult> {
    const t1 = performance.now();
    const o = await tlsOverControl(t, reset.channel, serverSession, signal, ca, nowMs);
    const phases = { ...timing, tls: (performance.now() - t1) / 1000, total: (timing.total ?? 0) + (performance.now() - t1) / 1000 };
    if (!o.ok) {
      if (o.serverSpoke) return failed(`${answered}, then TLS failed: ${o.why}`, phases);
      if (o.why === 'timeout')
        return failed(`${answered}, then no answer to the TLS ClientHello within ${ms(timeoutMs)}: the server is full (at max-clients it drops new sessions silently) or its TLS layer is stuck`, phases);
      return failed(`${answered}, then no TLS answer: ${o.why}`, phases);
    }
    const c = o.cert;
    const values: ProbeResult['values'] = { cert_subject: c.subject, cert_issuer: c.issuer, cert_not_after: new Date(Date.parse(c.validTo)).toISOString(), tls_version: c.protocol };
    const warning = certificateWarning(c.validTo, cfg.cert_expiry_warning_days, nowMs, values);
    const cert = `certificate ${c.subject} from ${c.issuer}, valid until ${new Date(Date.parse(c.validTo)).toISOString().slice(0, 10)}`;
    if (c.verified && !c.verified.ok) return failed(`${answered} and TLS (${c.protocol}) in ${ms((phases.tls ?? 0) * 1000)}, but the ${cert} does not verify against ca_file: ${c.verified.error}`, phases, values);
    const summary = `${answered} and TLS (${c.protocol}) in ${ms((phases.tls ?? 0) * 1000)}: ${cert}${c.verified ? ' (verified against ca_file)' : ''}; the server has room for a client`;
    return { up: true, summary, phases, values, ...(warning ? { warning: `OpenVPN server ${warning}` } : {}) };
  }
}
