import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

/** A message as the SMTP server received it, with how the session was secured. */
export interface ReceivedMail {
  mail: ParsedMail;
  envelopeTo: string[];
  secure: boolean;
  user: string | undefined;
  /** When the server accepted the message (end of DATA). */
  atMs: number;
}

/**
 * A real SMTP server (the smtp-server package) on loopback (or on `host`, e.g. a host-side veth
 * address that processes in test namespaces reach): STARTTLS with the given certificate,
 * AUTH PLAIN/LOGIN required, messages parsed with mailparser. `failNext` makes the next
 * transactions answer with an SMTP error code (4xx temporary, 5xx permanent).
 */
export class SmtpSink {
  readonly received: ReceivedMail[] = [];
  failNext: Array<{ code: number; message: string }> = [];
  private server!: SMTPServer;

  static async start(tls: { keyPem: string; certPem: string }, user = 'lifeline', pass = 'smtp-secret', host = '127.0.0.1'): Promise<SmtpSink> {
    const sink = new SmtpSink();
    sink.server = new SMTPServer({
      secure: false,
      key: tls.keyPem,
      cert: tls.certPem,
      authMethods: ['PLAIN', 'LOGIN'],
      allowInsecureAuth: false,
      logger: false,
      onAuth(auth, _session, cb) {
        if (auth.username === user && auth.password === pass) cb(null, { user });
        else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onData(stream, session: SMTPServerSession, cb) {
        const fail = sink.failNext.shift();
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const atMs = Date.now();
          if (fail) return cb(Object.assign(new Error(fail.message), { responseCode: fail.code }));
          simpleParser(Buffer.concat(chunks)).then((mail) => {
            sink.received.push({ mail, envelopeTo: session.envelope.rcptTo.map((r) => r.address), secure: session.secure, user: session.user as string | undefined, atMs });
            cb();
          }, cb);
        });
      },
    });
    await new Promise<void>((r) => sink.server.listen(0, host, r));
    return sink;
  }

  get port(): number {
    return (this.server.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
