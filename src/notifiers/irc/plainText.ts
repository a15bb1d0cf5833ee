import net from 'node:net';

/**
 * Whether host:port speaks IRC in plain text, for "irc.tls: true against a plain port".
 *
 * Protocol facts: a TLS client's ClientHello is binary and has no line ending, so a plain-text IRC
 * server (ngircd, ZNC without "+" on its listener) waits for a line, then closes or times out; the
 * TLS handshake never completes and the error names nothing useful. Asked in clear, such a port
 * answers at once: `CAP LS 302` is valid before registration (IRCv3), so the server replies
 * `:server CAP * LS :…`, or, without CAP support, a numeric such as 421 or 451. A TLS port given
 * plain text answers with a binary alert record or closes. So one line of IRC back means plain.
 *
 * Resolves to the first line the server sent when it is IRC, else undefined (TLS, silence,
 * refused), within `withinMs`. Sends QUIT before closing, so the server logs a clean exit.
 */
export function plainIrcAnswer(host: string, port: number, withinMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let buf = '';
    const sock = net.connect({ host, port });
    const done = (line: string | undefined): void => {
      clearTimeout(timer);
      if (line !== undefined && !sock.destroyed) sock.end('QUIT :lifeline test-notify: checking for plain text\r\n');
      sock.destroy();
      resolve(line);
    };
    const timer = setTimeout(() => done(undefined), withinMs);
    sock.setEncoding('latin1');
    sock.on('connect', () => sock.write('CAP LS 302\r\n'));
    sock.on('data', (d: string) => {
      buf += d;
      const end = buf.search(/\r?\n/);
      if (end < 0) {
        if (buf.length > 4096) done(undefined);
        return;
      }
      const line = buf.slice(0, end);
      done(/^(:\S+ )?([A-Za-z]+|\d{3})( |$)/.test(line) ? line : undefined);
    });
    sock.on('error', () => done(undefined));
    sock.on('close', () => done(undefined));
  });
}
