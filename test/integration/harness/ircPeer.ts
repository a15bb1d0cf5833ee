import net from 'node:net';
import { waitFor } from './procs.js';

/** A PRIVMSG as a second client sees it on the wire. */
export interface SeenMessage {
  from: string;
  target: string;
  text: string;
  raw: string;
  atMs: number;
}

/**
 * A minimal second IRC client speaking raw protocol over TCP: it registers, joins the channel and
 * records every line exactly as the server sends it, so tests assert what a real peer sees.
 */
export class IrcPeer {
  readonly lines: string[] = [];
  readonly messages: SeenMessage[] = [];
  /** JOINs the server relayed (anyone's, our own included), with when they arrived. */
  readonly joins: Array<{ nick: string; channel: string; atMs: number }> = [];
  private buf = '';
  private constructor(
    private readonly sock: net.Socket,
    readonly nick: string,
  ) {}

  static async connect(port: number, nick: string, channels: string[] = ['#alerts']): Promise<IrcPeer> {
    const sock = net.connect(port, '127.0.0.1');
    const peer = new IrcPeer(sock, nick);
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => peer.onData(d));
    sock.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    peer.send(`NICK ${nick}`);
    peer.send(`USER ${nick} 0 * :test peer`);
    await waitFor(`${nick} registered`, () => peer.lines.some((l) => / 001 /.test(l)), 10_000);
    for (const c of channels) peer.send(`JOIN ${c}`);
    await waitFor(`${nick} joined`, () => channels.every((c) => peer.lines.some((l) => l.includes(`JOIN`) && l.toLowerCase().includes(c))), 10_000);
    return peer;
  }

  send(line: string): void {
    this.sock.write(`${line}\r\n`);
  }

  private onData(d: string): void {
    this.buf += d;
    let i: number;
    while ((i = this.buf.indexOf('\r\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      this.lines.push(line);
      if (line.startsWith('PING')) this.send(`PONG ${line.slice(5)}`);
      const m = /^:([^! ]+)![^ ]* PRIVMSG ([^ ]+) :(.*)$/.exec(line);
      if (m) this.messages.push({ from: m[1] as string, target: m[2] as string, text: m[3] as string, raw: line, atMs: Date.now() });
      const j = /^:([^! ]+)![^ ]* JOIN :?([^ ]+)/.exec(line);
      if (j) this.joins.push({ nick: j[1] as string, channel: (j[2] as string).toLowerCase(), atMs: Date.now() });
    }
  }

  /**
   * Messages from `from`, or from its alternates ("lifeline_", "lifeline_1"): after a bouncer is
   * killed, the network may still hold the old connection's nick for a while.
   */
  from(from: string): SeenMessage[] {
    return this.messages.filter((m) => m.from === from || (m.from.startsWith(from) && /^_\d*$/.test(m.from.slice(from.length))));
  }

  close(): void {
    this.sock.destroy();
  }
}

/** Removes mIRC formatting codes, for readable assertions. */
export function plain(text: string): string {
  return text.replace(/\x03\d{0,2}(,\d{1,2})?|[\x02\x0f]/g, '');
}
