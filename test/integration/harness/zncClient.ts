import net from 'node:net';
import { waitFor } from './procs.js';

/**
 * The IRCv3 capabilities Lifeline's IRC client (irc-framework with `enable_echomessage`) asks
 * for. ZNC 1.8 grants those it offers; `znc.in/self-message` is not among them.
 */
export const LIFELINE_CAPS = [
  'cap-notify',
  'batch',
  'multi-prefix',
  'message-tags',
  'away-notify',
  'invite-notify',
  'account-notify',
  'account-tag',
  'server-time',
  'userhost-in-names',
  'extended-join',
  'znc.in/server-time-iso',
  'znc.in/server-time',
  'echo-message',
];

/** A line as a bouncer client reads it: the IRCv3 tags split off, the prefix nick parsed. */
export interface ClientLine {
  raw: string;
  tags: string;
  from: string;
  command: string;
  target: string;
  text: string;
}

/**
 * A raw client of a ZNC user (PASS "user/network:password"), negotiating capabilities the way
 * Lifeline does, and recording every line it reads, so tests assert what each client of a shared
 * bouncer user sees.
 */
export class ZncClient {
  readonly lines: ClientLine[] = [];
  granted: string[] = [];
  private buf = '';
  private constructor(
    private readonly sock: net.Socket,
    private readonly caps: string[],
  ) {}

  /** Connects, negotiates `caps` (those the bouncer offers), and waits until ZNC has replayed the channel JOIN. */
  static async connect(port: number, login: string, caps: string[] = LIFELINE_CAPS, channel = '#alerts'): Promise<ZncClient> {
    const sock = net.connect(port, '127.0.0.1');
    const c = new ZncClient(sock, caps);
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => c.onData(d));
    sock.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    c.send('CAP LS 302');
    c.send(`PASS ${login}`);
    c.send('NICK client');
    c.send('USER client 0 * :bouncer client');
    await waitFor('bouncer client registered and in the channel', () => c.lines.some((l) => l.command === 'JOIN' && l.target.toLowerCase() === channel), 15_000);
    return c;
  }

  send(line: string): void {
    this.sock.write(`${line}\r\n`);
  }

  /** PRIVMSG/NOTICE lines read since index `since` whose text is `text`. */
  said(text: string, since = 0): ClientLine[] {
    return this.lines.slice(since).filter((l) => (l.command === 'PRIVMSG' || l.command === 'NOTICE') && l.text === text);
  }

  close(): void {
    this.sock.destroy();
  }

  /** Sends QUIT and resolves when ZNC has closed the connection: from then on ZNC counts this client gone. */
  async quit(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.sock.once('close', () => resolve()));
    this.send('QUIT :bye');
    await Promise.race([closed, new Promise<void>((resolve) => setTimeout(resolve, 10_000))]);
    this.sock.destroy();
  }

  private onData(d: string): void {
    this.buf += d;
    let i: number;
    while ((i = this.buf.indexOf('\r\n')) >= 0) {
      const raw = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      this.onLine(raw);
    }
  }

  private onLine(raw: string): void {
    const m = /^(?:@(\S+) )?(?::([^! ]+)\S* )?(\S+)(?: ([^ :]\S*))?(?:.*? :(.*))?$/.exec(raw);
    const line: ClientLine = { raw, tags: m?.[1] ?? '', from: m?.[2] ?? '', command: m?.[3] ?? '', target: m?.[4] ?? m?.[5] ?? '', text: m?.[5] ?? '' };
    this.lines.push(line);
    if (line.command === 'PING') this.send(`PONG :${line.text}`);
    // CAP negotiation (IRCv3): "CAP * LS :a b c" -> REQ what we want and the server offers.
    const ls = / CAP \S+ LS :(.*)$/.exec(raw);
    if (ls) {
      const offered = (ls[1] as string).split(' ');
      const want = this.caps.filter((x) => offered.includes(x));
      this.send(want.length > 0 ? `CAP REQ :${want.join(' ')}` : 'CAP END');
    }
    const ack = / CAP \S+ (ACK|NAK) :(.*)$/.exec(raw);
    if (ack) {
      if (ack[1] === 'ACK') this.granted = (ack[2] as string).trim().split(' ');
      this.send('CAP END');
    }
  }
}
