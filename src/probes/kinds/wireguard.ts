import { randomInt } from 'node:crypto';
import type { ProbeConfig } from '../../config/probeSchema.js';
import { describeError } from '../../errors.js';
import { failed, ms, type Probe, type ProbeResult } from '../probe.js';
import { openPacketSocket, resolveHost, socketFailure, type PacketSocket } from './packetSocket.js';
import { dataMessage, icmpEcho, openData, readIcmp, UNREACHABLE } from './wireguardData.js';
import { initiate, wgPublicKey, type WgAnswer, type WgSession } from './wireguardNoise.js';
import type { WgTimestamps } from '../../store/wgTimestamps.js';

type WireguardConfig = Extract<ProbeConfig, { kind: 'wireguard' }>;


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
      const resolved = await resolveHost(cfg.host, t0);
      if (typeof resolved === 'string') return failed(resolved, { total: (performance.now() - t0) / 1000 });
      if (resolved.dnsSeconds !== undefined) phases.dns = resolved.dnsSeconds;
      let sock: PacketSocket;
      try {
        sock = await openPacketSocket('udp', resolved.address, cfg.port, ctx.signal, ctx.timeoutMs);
      } catch (err) {
        return failed(`UDP ${target}: ${describeError(err)}`, { ...phases, total: (performance.now() - t0) / 1000 });
      }
      try {
        const init = initiate(keys, deps.timestamps.next(probePublic, BigInt(ctx.nowMs) * 1_000_000n));
        const sentAt = performance.now();
        sock.send(init.message);
        let cookied = false;
        let answer: WgAnswer | undefined;
        /** Packets that were not an answer to this handshake (garbage, another session): reported, not trusted. */
        const ignored: string[] = [];
        for (let i = 0; i < 20 && !answer; i++) {
          const m = await sock.next(ctx.signal);
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
            sock.send(again);
            continue;
          }
          answer = a;
        }
        const took = performance.now() - sentAt;
        const total = { ...phases, total: (performance.now() - t0) / 1000 };
        if (sock.error) return failed(socketFailure('udp', target, sock.error), total);
        const load = cookied ? ' after a cookie reply (the server is under load)' : '';
        const noise = ignored.length > 0 ? ` (ignored ${ignored.length} packet${ignored.length === 1 ? '' : 's'} that did not answer this handshake: ${[...new Set(ignored)].slice(0, 3).join('; ')})` : '';
        if (!answer) return failed(`no handshake response from ${target} within ${ms(ctx.timeoutMs)}${cookied ? ' after answering its cookie reply' : ''}${noise}: ${SILENCE}`, total);
        const firstByte = { ...total, firstByte: took / 1000 };
        switch (answer.kind) {
          case 'response': {
            const handshake = `WireGuard handshake answered in ${ms(took)}${load}; response verified (mac1 and payload)`;
            if (!cfg.ping_address || !cfg.tunnel_address) return { up: true, summary: handshake, phases: firstByte, values: { cookie: cookied ? 1 : 0 } };
            return await pingThrough(sock, answer.session, { tunnel: cfg.tunnel_address, target: cfg.ping_address }, handshake, firstByte, ctx.signal, cookied);
          }
          case 'psk_mismatch':
            return failed(`the server answered in ${ms(took)}, but its response does not open: preshared_key differs from the server's for this peer`, firstByte);
          case 'bad_mac1':
            return failed(`an answer in ${ms(took)} whose mac1 is not for this probe's key: not the configured server`, firstByte);
          default:
            return failed(`the server answered only with cookie replies within ${ms(ctx.timeoutMs)}: it is under load`, firstByte);
        }
      } finally {
        sock.close();
      }
    },
  };
}

/** Echo requests per forwarding check, one a second, while the deadline allows. */
const PINGS = 3;

/**
 * The forwarding check: ICMP echo requests from `tunnel` (the probe's address inside the tunnel,
 * one of its allowed-ips on the server) to `target` (an address behind the server), carried as
 * WireGuard data in this session, in user space. An echo reply proves the server forwards and the
 * route back works; silence after a good handshake is the "handshake fine, no route to host" case.
 */
async function pingThrough(sock: PacketSocket, session: WgSession, addr: { tunnel: string; target: string }, handshake: string, timing: ProbeResult['phases'], signal: AbortSignal, cookied: boolean): Promise<ProbeResult> {
  const t1 = performance.now();
  const id = randomInt(1, 0xffff);
  const payload = Buffer.from('lifeline wireguard forwarding check');
  let counter = 0n;
  let seq = 0;
  const sentAt = new Map<number, number>();
  const echo = (): void => {
    seq++;
    sentAt.set(seq, performance.now());
    sock.send(dataMessage(session, counter++, icmpEcho(addr.tunnel, addr.target, id, seq, payload)));
  };
  const values: ProbeResult['values'] = { cookie: cookied ? 1 : 0 };
  const phases = (): ProbeResult['phases'] => ({ ...timing, read: (performance.now() - t1) / 1000, total: (timing.total ?? 0) + (performance.now() - t1) / 1000 });
  echo();
  for (let i = 0; i < 200; i++) {
    const m = await sock.next(AbortSignal.any([signal, AbortSignal.timeout(1000)]));
    if (!m) {
      if (signal.aborted || sock.error) break;
      if (seq < PINGS) echo();
      continue;
    }
    const inner = openData(session, m);
    if (!inner || inner.length === 0) continue; // not for this session, or a keepalive
    const a = readIcmp(inner, id);
    if (a.kind === 'reply' && a.from === addr.target) {
      const rtt = performance.now() - (sentAt.get(a.seq) ?? t1);
      values['ping_ms'] = Math.round(rtt * 10) / 10;
      return { up: true, summary: `${handshake}; ping ${addr.target} through the tunnel answered in ${ms(rtt)}`, phases: phases(), values };
    }
    if (a.kind === 'unreachable') return failed(`${handshake}, but a ping to ${addr.target} through the tunnel came back "${UNREACHABLE[a.code] ?? `unreachable, code ${a.code}`}" from ${a.from}: the server has no route to it, or a firewall refuses it`, phases(), values);
    if (a.kind === 'time_exceeded') return failed(`${handshake}, but a ping to ${addr.target} through the tunnel came back "time exceeded" from ${a.from}: a routing loop`, phases(), values);
  }
  return failed(
    `${handshake}, but ${addr.target} did not answer ${seq} ping${seq === 1 ? '' : 's'} through the tunnel: the server does not forward (net.ipv4.ip_forward, the firewall's FORWARD chain or NAT), has no route back to ${addr.tunnel}, tunnel_address is not in this probe's allowed-ips on the server, or ${addr.target} does not answer pings`,
    phases(),
    values,
  );
}
