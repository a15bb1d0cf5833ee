import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { ProbeConfig } from '../../config/probeSchema.js';
import { describeError } from '../../errors.js';
import { failed, ms, type Probe, type ProbeResult } from '../probe.js';
import { clientReset, parseStaticKey, tcpFrame, type OvpnWrap } from './openvpnPacket.js';

type OpenvpnConfig = Extract<ProbeConfig, { kind: 'openvpn' }>;

/** What silence can mean, with a tls-auth or tls-crypt key: the server cannot tell us which. */
function silence(cfg: OpenvpnConfig): string {
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
 */
export function openvpnProbe(cfg: OpenvpnConfig): Probe {
  const target = `${cfg.proto}://${cfg.host}:${cfg.port}`;
  let wrap: OvpnWrap | string;
  try {
    wrap = cfg.tls_crypt_file
      ? { kind: 'tls-crypt', key: parseStaticKey(readFileSync(cfg.tls_crypt_file, 'utf8')) }
      : cfg.tls_auth_file
        ? { kind: 'tls-auth', key: parseStaticKey(readFileSync(cfg.tls_auth_file, 'utf8')), direction: cfg.key_direction, digest: cfg.auth }
        : { kind: 'plain' };
  } catch (err) {
    wrap = `cannot use ${cfg.tls_crypt_file ? 'tls_crypt_file' : 'tls_auth_file'}: ${describeError(err)}`;
  }
  return {
    kind: 'openvpn',
    target,
    async run(ctx): Promise<ProbeResult> {
      const t0 = performance.now();
      if (typeof wrap === 'string') return failed(wrap);
      const phases: ProbeResult['phases'] = {};
      let address = cfg.host;
      if (net.isIP(cfg.host) === 0) {
        try {
          address = (await lookup(cfg.host)).address;
        } catch (err) {
          return failed(`DNS lookup of ${cfg.host} failed: ${describeError(err)}`, { total: (performance.now() - t0) / 1000 });
        }
        phases.dns = (performance.now() - t0) / 1000;
      }
      const reset = clientReset(wrap, ctx.nowMs);
      const packets: Buffer[] = [];
      let wake: (() => void) | undefined;
      let error: Error | undefined;
      let closed = false;
      const push = (p: Buffer): void => {
        packets.push(p);
        wake?.();
      };
      const fail = (e: Error): void => {
        error = e;
        wake?.();
      };
      let cleanup: () => void;
      let sentAt = 0;
      try {
        if (cfg.proto === 'udp') {
          const sock = dgram.createSocket(net.isIP(address) === 6 ? 'udp6' : 'udp4');
          cleanup = () => sock.close();
          sock.on('message', push);
          sock.on('error', fail);
          await new Promise<void>((resolve, reject) => {
            sock.once('error', reject);
            sock.connect(cfg.port, address, () => {
              sock.off('error', reject);
              resolve();
            });
          });
          sentAt = performance.now();
          sock.send(reset.packet);
        } else {
          const sock = net.connect({ host: address, port: cfg.port });
          cleanup = () => sock.destroy();
          let buf = Buffer.alloc(0);
          sock.on('data', (d: Buffer) => {
            buf = Buffer.concat([buf, d]);
            while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
              push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
              buf = buf.subarray(2 + buf.readUInt16BE(0));
            }
          });
          sock.on('error', fail);
          sock.on('close', () => {
            closed = true;
            wake?.();
          });
          await new Promise<void>((resolve, reject) => {
            const abort = (): void => reject(new Error(`no TCP connection within ${ms(ctx.timeoutMs)}`));
            ctx.signal.addEventListener('abort', abort, { once: true });
            sock.once('connect', () => {
              ctx.signal.removeEventListener('abort', abort);
              resolve();
            });
            sock.once('error', reject);
          });
          phases.connect = (performance.now() - t0) / 1000 - (phases.dns ?? 0);
          sentAt = performance.now();
          sock.write(tcpFrame(reset.packet));
        }
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        return failed(code === 'ECONNREFUSED' ? `TCP ${cfg.host}:${cfg.port}: connection refused: nothing listens there` : `${target}: ${describeError(err)}`, { ...phases, total: (performance.now() - t0) / 1000 });
      }
      try {
        const why: string[] = [];
        for (let i = 0; i < 10; i++) {
          const m = await new Promise<Buffer | undefined>((resolve) => {
            const done = (): void => {
              wake = undefined;
              ctx.signal.removeEventListener('abort', done);
              resolve(packets.shift());
            };
            if (packets.length > 0 || error || closed || ctx.signal.aborted) return done();
            wake = done;
            ctx.signal.addEventListener('abort', done, { once: true });
          });
          if (!m) break;
          const r = reset.read(m);
          const took = performance.now() - sentAt;
          const timing = { ...phases, firstByte: took / 1000, total: (performance.now() - t0) / 1000 };
          if (r.ok) return { up: true, summary: `OpenVPN server answered the reset in ${ms(took)} (${wrap.kind}${cfg.proto === 'tcp' ? ', TCP' : ''}); alive and the key is right, which says nothing of free client slots`, phases: timing, values: {} };
          why.push(r.why);
          if (i === 9) return failed(`answers that are not the server's reset for this session: ${why.join('; ')}`, timing);
        }
        const total = { ...phases, total: (performance.now() - t0) / 1000 };
        if (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ECONNREFUSED') return failed(`UDP ${cfg.host}:${cfg.port}: ICMP port unreachable: nothing listens on that port`, total);
          return failed(`${target}: ${describeError(error)}`, total);
        }
        if (why.length > 0) return failed(`an answer that is not the server's reset for this session: ${why.join('; ')}`, total);
        if (closed) return failed(`TCP ${cfg.host}:${cfg.port}: connected, but the server closed the connection without answering the reset (a full server does this at accept; or ${silence(cfg)})`, total);
        return failed(`no answer to the reset within ${ms(ctx.timeoutMs)}: ${silence(cfg)}`, total);
      } finally {
        cleanup();
      }
    },
  };
}
