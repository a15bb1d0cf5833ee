import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A message as the stand-in received it. */
export interface ReceivedSms {
  accountSid: string;
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body: string;
  atMs: number;
}

/** A scripted failure for the next request(s). */
export interface ScriptedReply {
  status: number;
  code: number;
  message: string;
  retryAfter?: string;
}

/**
 * A local HTTP server speaking Twilio's Messages API wire format, for the real twilio library:
 *   POST /2010-04-01/Accounts/{AccountSid}/Messages.json
 *   Basic auth AccountSid:AuthToken, form-encoded To, From or MessagingServiceSid, Body
 *   201 with the message resource; errors as {code, message, more_info, status}.
 * It checks what it receives and records it; `script` queues error replies (429, 500, 400 …).
 */
export class TwilioStandIn {
  readonly received: ReceivedSms[] = [];
  readonly rejected: string[] = [];
  readonly script: ScriptedReply[] = [];
  private server!: Server;

  constructor(
    readonly accountSid: string,
    readonly authToken: string,
  ) {}

  static async start(): Promise<TwilioStandIn> {
    const t = new TwilioStandIn(`AC${randomBytes(16).toString('hex')}`, randomBytes(16).toString('hex'));
    t.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => t.handle(req.method ?? '', req.url ?? '', req.headers, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((r) => t.server.listen(0, '127.0.0.1', r));
    return t;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private handle(method: string, url: string, headers: NodeJS.Dict<string | string[]>, body: string, res: import('node:http').ServerResponse): void {
    const json = (status: number, obj: unknown, extra: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...extra });
      res.end(JSON.stringify(obj));
    };
    const m = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Messages\.json$/.exec(url);
    if (method !== 'POST' || !m) {
      this.rejected.push(`${method} ${url}`);
      return json(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    }
    const expected = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
    if (headers['authorization'] !== expected || m[1] !== this.accountSid) {
      this.rejected.push('bad credentials');
      return json(401, { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
    }
    if (!String(headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      this.rejected.push(`content-type ${String(headers['content-type'])}`);
      return json(400, { code: 20001, message: 'form encoding expected', status: 400 });
    }
    const scripted = this.script.shift();
    if (scripted) {
      return json(scripted.status, { code: scripted.code, message: scripted.message, more_info: `https://www.twilio.com/docs/errors/${scripted.code}`, status: scripted.status }, scripted.retryAfter ? { 'retry-after': scripted.retryAfter } : {});
    }
    const form = new URLSearchParams(body);
    const to = form.get('To') ?? '';
    const from = form.get('From') ?? undefined;
    const mg = form.get('MessagingServiceSid') ?? undefined;
    const text = form.get('Body') ?? '';
    if (!/^\+[1-9]\d{6,14}$/.test(to)) return json(400, { code: 21211, message: `The 'To' number ${to} is not a valid phone number.`, status: 400 });
    if (!from && !mg) return json(400, { code: 21603, message: "A 'From' or 'MessagingServiceSid' parameter is required", status: 400 });
    if (text.length === 0 || text.length > 1600) return json(400, { code: 21617, message: 'The concatenated message body exceeds the 1600 character limit', status: 400 });
    this.received.push({ accountSid: m[1] as string, to, from, messagingServiceSid: mg, body: text, atMs: Date.now() });
    const sid = `SM${randomBytes(16).toString('hex')}`;
    return json(201, { sid, account_sid: this.accountSid, to, from: from ?? null, messaging_service_sid: mg ?? null, body: text, status: 'queued', num_segments: '1', direction: 'outbound-api', api_version: '2010-04-01', uri: `/2010-04-01/Accounts/${this.accountSid}/Messages/${sid}.json` });
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
