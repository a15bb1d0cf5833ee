import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { ProbeConfig } from '../../config/probeSchema.js';
import { describeError } from '../../errors.js';
import { failed, ms, type Probe, type ProbeResult } from '../probe.js';
import { initiate, wgPublicKey, type WgAnswer } from './wireguardNoise.js';

type WireguardConfig = Extract<ProbeConfig, { kind: 'wireguard' }>;

/**
 * Handshake timestamps per probe key. WireGuard drops an initiation whose TAI64N timestamp is not
 * newer than the last one it accepted from that key, also across Lifeline's restarts and wall
 * clock steps back: the last one is stored and the next is always later.
 */
export interface WgTimestamps {
  /** A timestamp (ns) later than any used before for `publicKey`, at least `nowNs`; stored. */
  next(publicKey: string, nowNs: bigint): bigint;
}

/** wireguard-go drops initiations from one peer closer together than 20 ms; a retry waits this long. */
const RETRY_GAP_MS = 50;

const SILENCE = 'WireGuard stays silent when the server is down, when this probe\'s public key is not one of its peers, and when server_public_key is wrong: check those three';

/**
 * The WireGuard probe: a real handshake initiation from the probe's own key pair (configure its
 * public key as a peer on the server, with an unused allowed-ips such as 192.0.2.250/32), and the
 * response verified (mac1, and the empty AEAD payload that only opens with the right preshared
 * key). What it tells apart: an answer (up), an answer that does not open (preshared key mismatch),
 * a cookie reply (the server is under load: answered as the protocol says, once), an ICMP port
 * unreachable (nothing listens on that UDP port), and silence (see SILENCE).
 */
export function wireguardProbe(cfg: WireguardConfig, deps: { timestamps: WgTimestamps }): Probe {
  const keys = { privateKey: Buffer.from(cfg.private_key.reveal(), 'base64'), serverPublic: Buffer.from(cfg.server_public_key, 'base64'), psk: cfg.preshared_key ? Buffer.from(cfg.preshared_key.reveal(), 'base64') : Buffer.alloc(32) };
  const probePublic = wgPublicKey(cfg.private_key.reveal());
  const target = `${cfg.host}:${cfg.port}`;
  return {
    kind: 'wireguard',
    target,
    async run(ctx): Promise<ProbeResult> {
      const t0 = performance.now();
      const phases: ProbeResult['phases'] = {};
      let address = cfg.host;
      if (isIP(cfg.host) === 0) {
        try {
          address = (await lookup(cfg.host)).address;
        } catch (err) {
          return failed(`DNS lookup of ${cfg.host} failed: ${describeError(err)}`, { total: (performance.now() - t0) / 1000 });
        }
        phases.dns = (performance.now() - t0) / 1000;
      }
      const sock = dgram.createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
      try {
        const answers: Buffer[] = [];
        let wake: (() => void) | undefined;
        let sockErr: Error | undefined;
        sock.on('message', (m) => {
          answers.push(m);
          wake?.();
        });
        sock.on('error', (e) => {
          sockErr = e;
          wake?.();
        });
        await new Promise<void>((resolve, reject) => {
          sock.once('error', reject);
          sock.connect(cfg.port, address, () => {
            sock.off('error', reject);
            resolve();
          });
        });
        const next = (): Promise<Buffer | undefined> =>
          new Promise((resolve) => {
            const done = (): void => {
              wake = undefined;
              ctx.signal.removeEventListener('abort', done);
              resolve(answers.shift());
            };
            if (answers.length > 0 || sockErr || ctx.signal.aborted) return done();
            wake = done;
            ctx.signal.addEventListener('abort', done, { once: true });
          });
        const send = (m: Buffer): Promise<void> => new Promise((resolve, reject) => sock.send(m, (e) => (e ? reject(e) : resolve())));

        const init = initiate(keys, deps.timestamps.next(probePublic, BigInt(ctx.nowMs) * 1_000_000n));
        const sentAt = performance.now();
        await send(init.message);
        let cookied = false;
        let answer: WgAnswer | undefined;
        /** Packets that were not an answer to this handshake (garbage, another session): reported, not trusted. */
        const ignored: string[] = [];
        for (let i = 0; i < 20 && !answer; i++) {
          const m = await next();
          if (!m) break;
          const a = init.read(m);
          if (a.kind === 'not_ours') {
            ignored.push(a.why);
            continue;
          }
          if (a.kind === 'cookie' && !cookied) {
            // Under load the server wants mac2 made with its cookie: answer once, as the protocol says.
            const again = init.withCookie(m);
            if (!again) return failed('a cookie reply that does not open: not this server (check server_public_key)', { ...phases, total: (performance.now() - t0) / 1000 });
            cookied = true;
            await new Promise((r) => setTimeout(r, RETRY_GAP_MS));
            await send(again);
            continue;
          }
          answer = a;
        }
        const took = performance.now() - sentAt;
        const total = { ...phases, total: (performance.now() - t0) / 1000 };
        if (sockErr) {
          const code = (sockErr as NodeJS.ErrnoException).code;
          return failed(code === 'ECONNREFUSED' ? `UDP ${target}: ICMP port unreachable: nothing listens on that port` : `UDP ${target}: ${describeError(sockErr)}`, total);
        }
        const load = cookied ? ' after a cookie reply (the server is under load)' : '';
        const noise = ignored.length > 0 ? ` (ignored ${ignored.length} packet${ignored.length === 1 ? '' : 's'} that did not answer this handshake: ${[...new Set(ignored)].slice(0, 3).join('; ')})` : '';
        if (!answer) return failed(`no handshake response from ${target} within ${ms(ctx.timeoutMs)}${cookied ? ' after answering its cookie reply' : ''}${noise}: ${SILENCE}`, total);
        const firstByte = { ...total, firstByte: took / 1000 };
        switch (answer.kind) {
          case 'response':
            return { up: true, summary: `WireGuard handshake answered in ${ms(took)}${load}; response verified (mac1 and payload)`, phases: firstByte, values: { cookie: cookied ? 1 : 0 } };
          case 'psk_mismatch':
            return failed(`the server answered in ${ms(took)}, but its response does not open: preshared_key differs from the server's for this peer`, firstByte);
          case 'bad_mac1':
            return failed(`an answer in ${ms(took)} whose mac1 is not for this probe's key: not the configured server`, firstByte);
          default:
            return failed(`the server answered only with cookie replies within ${ms(ctx.timeoutMs)}: it is under load`, firstByte);
        }
      } catch (err) {
        return failed(`UDP ${target}: ${describeError(err)}`, { ...phases, total: (performance.now() - t0) / 1000 });
      } finally {
        sock.close();
      }
    },
  };
}
