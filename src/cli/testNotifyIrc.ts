import { hostname } from 'node:os';
import type { Config } from '../config/schema.js';
import { describeError } from '../errors.js';
import { IrcNotifier } from '../notifiers/irc/notifier.js';
import { plainIrcAnswer } from '../notifiers/irc/plainText.js';
import { IrcSupervisor, type ClientFactory } from '../notifiers/irc/supervisor.js';
import { silentLogger } from '../observability/logger.js';
import { destinationsOf } from '../policy/routing.js';
import { sleep, type Clock } from '../util/clock.js';

/** How long test-notify waits to be registered and in every channel. */
const READY_WITHIN_MS = 30_000;
/** How long it waits for the network to confirm the test line (a canary written after it came back). */
const PROOF_WITHIN_MS = 20_000;

/** With irc.tls on and no registration this long (or a failed handshake), ask the port in plain text. */
const PLAIN_CHECK_AFTER_MS = 2_000;
/** How long the plain-text question waits for its answer. */
const PLAIN_CHECK_WITHIN_MS = 3_000;
/** A TLS handshake that failed without a TLS reason: the peer closed or sent something that is not TLS. */
const TLS_HANDSHAKE_FAILED = /before secure TLS connection|wrong version number|EPROTO|packet length too long|ssl3_get_record/i;

/** Server errors (irc-framework's names) that refuse a JOIN: waiting does not help. */
const JOIN_REFUSED = /bad_channel_key|invite_only_channel|banned_from_channel|channel_is_full|need_reggednick|477/;

/** The outcome for `lifeline test-notify --channel irc`. */
export interface IrcTestResult {
  ok: boolean;
  lines: string[];
}

/**
 * What to change, for the ways an IRC connection fails when it is first set up. Matched on the
 * errors the supervisor records (socket errors, TLS errors, IRC numerics by irc-framework's names).
 */
export function ircHint(error: string): string {
  if (/ECONNREFUSED/.test(error)) return 'nothing listens at irc.host:irc.port (is the bouncer running, is the port its listener?)';
  if (/ENOTFOUND|EAI_AGAIN/.test(error)) return 'irc.host does not resolve';
  if (/EHOSTUNREACH|ENETUNREACH|ETIMEDOUT/.test(error)) return 'irc.host cannot be reached: check the address and the firewall between Lifeline and the bouncer';
  if (/certificate|self[- ]signed|unable to verify|CERT_|altnames/i.test(error)) return "the bouncer's TLS certificate is not trusted for irc.host: set irc.ca_file to its CA (or, only for a test server, irc.tls_verify: false)";
  if (TLS_HANDSHAKE_FAILED.test(error)) return 'TLS and plain text mixed up: irc.tls must match the port (in ZNC, a listener port written with "+" is TLS)';
  if (/password_mismatch|Invalid Password/i.test(error)) return 'the bouncer refused the password: for ZNC, irc.password is "user/network:password"';
  if (/SASL/.test(error)) return 'SASL failed: check irc.sasl (account and password, or the client certificate for EXTERNAL)';
  if (/registration did not complete/.test(error)) return 'connected, but registration never finished: check irc.password (ZNC wants "user/network:password"); a TLS port spoken to in plain text also looks like this';
  if (/bad_channel_key/.test(error)) return 'the channel has a key: set irc.channels[].key';
  if (/invite_only_channel/.test(error)) return 'the channel is invite-only (+i): invite Lifeline\'s nick or add an invite exception';
  if (/banned_from_channel/.test(error)) return 'Lifeline is banned from the channel: remove the ban for its nick/host';
  if (/channel_is_full/.test(error)) return 'the channel is full (+l): raise the limit';
  if (/need|registered nick|\b477\b/i.test(error)) return 'the channel wants an identified nick: configure irc.sasl';
  if (/cannot_send_to_channel/.test(error)) return 'the channel refuses Lifeline\'s messages (+m or +n): voice Lifeline, or let it join';
  if (/banned_from_network/.test(error)) return 'the network has banned this connection (K-line)';
  return '';
}

/**
 * `lifeline test-notify --channel irc`: connects to the configured bouncer as Lifeline does (its
 * own connection, the same nick or the next free one), joins the channels, sends one test line to
 * every IRC channel a route names, and reports how far each got: refused, written, echoed by the
 * bouncer, or confirmed by the network (a canary sent after it came back). Says what to fix.
 */
export async function testIrc(config: Config, clock: Clock, factory?: ClientFactory): Promise<IrcTestResult> {
  const irc = config.irc;
  if (!irc) return { ok: false, lines: ['irc is not configured: add an irc section (host, port, nick, channels)'] };
  const targets = [...new Set(config.routes.flatMap((r) => destinationsOf(r)).filter((d) => d.startsWith('irc:')))];
  if (targets.length === 0) return { ok: false, lines: ['no route sends to IRC: add irc_channels to a route'] };
  const sup = new IrcSupervisor(irc, clock, silentLogger(), factory);
  const notifier = new IrcNotifier(sup, () => clock.now());
  const errors: string[] = [];
  // The state starts with a placeholder error ("not connected yet"); only what happens counts.
  const initial = sup.state.lastError;
  const onState = (): void => {
    const e = sup.state.lastError;
    if (e !== undefined && e !== initial && errors.at(-1) !== e) errors.push(e);
  };
  sup.on('state', onState);
  const where = `${irc.host}:${irc.port}${irc.tls ? ' (TLS)' : ''}`;
  const lines: string[] = [];
  let ok = true;
  // The clock's timers do not hold the process open (a daemon's must not); this command waits on
  // them between reconnects, when no socket is open, so it holds the process itself.
  const keepAlive = setInterval(() => undefined, 1_000);
  sup.start();
  const startedAt = clock.monotonic();
  try {
    const channels = irc.channels.map((c) => c.name.toLowerCase());
    const isReady = (): boolean => sup.state.link === 'registered' && channels.every((c) => sup.state.joined.includes(c));
    // TLS to a plain port hangs or fails without a useful reason: when TLS is slow to register or
    // its handshake failed, ask the port once in plain text (src/notifiers/irc/plainText.ts).
    let plain: { asked: boolean; line?: string } = { asked: false };
    const checkPlain = (): void => {
      if (!irc.tls || plain.asked || sup.state.link === 'registered') return;
      if (clock.monotonic() - startedAt < PLAIN_CHECK_AFTER_MS && !errors.some((e) => TLS_HANDSHAKE_FAILED.test(e))) return;
      plain = { asked: true };
      void plainIrcAnswer(irc.host, irc.port, PLAIN_CHECK_WITHIN_MS).then((line) => {
        if (line !== undefined) plain.line = line;
      });
    };
    // Give up early on what waiting cannot fix: three failed connection attempts, a refused JOIN,
    // or a TLS connection to a port that speaks plain text.
    const hopeless = (): boolean =>
      (sup.state.link !== 'registered' && sup.state.attempts >= 3 && errors.length > 0) || errors.some((e) => JOIN_REFUSED.test(e)) || plain.line !== undefined;
    await until(clock, READY_WITHIN_MS, () => {
      checkPlain();
      return isReady() || hopeless();
    });
    if (!isReady() && plain.line !== undefined) {
      const heard = plain.line.length > 60 ? `${plain.line.slice(0, 60)}…` : plain.line;
      return {
        ok: false,
        lines: [`irc: FAILED: TLS to a plain port: ${irc.host}:${irc.port} speaks IRC in plain text (asked in clear, it answered "${heard}"); set irc.tls: false, or use the bouncer's TLS port (in ZNC, a listener port written with "+")`],
      };
    }
    if (!isReady()) {
      const registered = sup.state.link === 'registered';
      const missing = channels.filter((c) => !sup.state.joined.includes(c));
      const why = errors.length > 0 ? errors.join('; then ') : registered ? 'no error from the server' : 'no answer';
      const hint = errors.map(ircHint).find((h) => h !== '');
      return {
        ok: false,
        lines: [
          registered
            ? `irc: FAILED: registered with ${where} as ${sup.state.nick}, but could not join ${missing.join(', ')}: ${why}${hint ? `; ${hint}` : ''}`
            : `irc: FAILED: could not register with ${where} (${sup.state.attempts} attempt${sup.state.attempts === 1 ? '' : 's'}): ${why}${hint ? `; ${hint}` : ''}`,
        ],
      };
    }
    lines.push(`irc: registered with ${where} as ${sup.state.nick}${sup.state.echo ? ' (echo-message on)' : ''}; in ${channels.join(', ')}`);
    if (sup.state.upstream === 'down') lines.push('irc: warning: the bouncer says it is not connected to its IRC network; lines wait in the bouncer');
    const text = [`Lifeline test message from "lifeline test-notify" on ${hostname()} at ${new Date(clock.now()).toISOString()}. No action needed.`];
    for (const dest of targets) {
      const target = dest.slice('irc:'.length);
      try {
        await notifier.send({ destination: dest, lines: notifier.prepare(dest, text), startAt: 0, onProgress: () => undefined }, AbortSignal.timeout(PROOF_WITHIN_MS));
      } catch (err) {
        ok = false;
        const e = `${describeError(err)}${errors.length ? ` (${errors.at(-1)})` : ''}`;
        const hint = ircHint(e);
        lines.push(`irc to ${target}: FAILED: ${e}${hint ? `; ${hint}` : ''}`);
        continue;
      }
      lines.push(`irc to ${target}: ${await proof(sup, clock)}`);
    }
    // A refusal (404 cannot send to channel) comes back after the line was written.
    await sleep(clock, 1_000);
    const refusal = errors.find((e) => /cannot_send_to_channel/.test(e));
    if (refusal) {
      ok = false;
      lines.push(`irc: FAILED: the server refused a line: ${refusal}; ${ircHint(refusal)}`);
    }
    return { ok, lines };
  } finally {
    clearInterval(keepAlive);
    sup.off('state', onState);
    await sup.stop('lifeline test-notify done');
  }
}

/** How far the test line is proven to have got, in words. */
async function proof(sup: IrcSupervisor, clock: Clock): Promise<string> {
  if (!sup.confirmsByCanary) {
    return sup.state.echo
      ? 'echoed by the IRC server: the network has it'
      : 'written to the connection; nothing can confirm it reached the network (no echo-message, irc.canary.enabled is false)';
  }
  const t0 = clock.monotonic();
  sup.confirmSoon();
  const proven = await until(clock, PROOF_WITHIN_MS, () => sup.linesAwaitingNetwork === 0);
  if (proven) return `delivered: a canary sent after it came back through the network ${Math.round(clock.monotonic() - t0)} ms later`;
  return `${sup.state.echo ? 'echoed by the bouncer' : 'written to the bouncer'}, but the network did not confirm it within ${PROOF_WITHIN_MS / 1000} s: the bouncer may not be connected to its IRC network (ZNC: /msg *status ListNetworks)`;
}

/** Polls `check` every 100 ms until it holds or `withinMs` passes. */
async function until(clock: Clock, withinMs: number, check: () => boolean): Promise<boolean> {
  const end = clock.monotonic() + withinMs;
  for (let i = 0; i < withinMs / 100 + 1; i++) {
    if (check()) return true;
    if (clock.monotonic() >= end) break;
    await sleep(clock, 100);
  }
  return check();
}
