import { createHmac, randomBytes } from 'node:crypto';
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
  sid: string;
  /** The StatusCallback URL Lifeline asked for (delivery receipts), if any. */
  statusCallback?: string;
}

/** A call as the stand-in received it, with the TwiML it fetched from Lifeline. */
export interface ReceivedCall {
  sid: string;
  to: string;
  from: string;
  url: string;
  statusCallback: string | undefined;
  timeout: number | undefined;
  atMs: number;
  /** The TwiML Lifeline answered at `url` (fetched right after the call was accepted), or sent inline. */
  twiml?: string;
  /** The TwiML came with the request (Twiml parameter), not from a Url. */
  inline?: boolean;
  twimlStatus?: number;
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
 *
 * The Calls API too, as Twilio runs a call:
 *   POST /2010-04-01/Accounts/{AccountSid}/Calls.json  To, From, Url (or Twiml), Method, StatusCallback, Timeout
 *   201 with the call resource; then it POSTs to Url (CallSid, CallStatus=in-progress, …) signed with
 *   X-Twilio-Signature, as Twilio does when the callee answers, and keeps the TwiML. `press` posts
 *   Digits to the <Gather> action found in that TwiML, `end` posts the status callback (completed,
 *   busy, no-answer, failed, canceled); both signed with the account's auth token.
 * SMS delivery receipts: a message sent with StatusCallback gets `receipt(sid, status, ErrorCode)`
 * posted there, signed, as Twilio does when the carrier reports.
 */
export class TwilioStandIn {
  readonly received: ReceivedSms[] = [];
  readonly calls: ReceivedCall[] = [];
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
    const m = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/(Messages|Calls)\.json$/.exec(url);
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
    if (m[2] === 'Calls') return this.call(form, json);
    const to = form.get('To') ?? '';
    const from = form.get('From') ?? undefined;
    const mg = form.get('MessagingServiceSid') ?? undefined;
    const text = form.get('Body') ?? '';
    if (!/^\+[1-9]\d{6,14}$/.test(to)) return json(400, { code: 21211, message: `The 'To' number ${to} is not a valid phone number.`, status: 400 });
    if (!from && !mg) return json(400, { code: 21603, message: "A 'From' or 'MessagingServiceSid' parameter is required", status: 400 });
    if (text.length === 0 || text.length > 1600) return json(400, { code: 21617, message: 'The concatenated message body exceeds the 1600 character limit', status: 400 });
    const sid = `SM${randomBytes(16).toString('hex')}`;
    this.received.push({ accountSid: m[1] as string, to, from, messagingServiceSid: mg, body: text, atMs: Date.now(), sid, statusCallback: form.get('StatusCallback') ?? undefined });
    return json(201, { sid, account_sid: this.accountSid, to, from: from ?? null, messaging_service_sid: mg ?? null, body: text, status: 'queued', num_segments: '1', direction: 'outbound-api', api_version: '2010-04-01', uri: `/2010-04-01/Accounts/${this.accountSid}/Messages/${sid}.json` });
  }

  private call(form: URLSearchParams, json: (status: number, obj: unknown) => void): void {
    const to = form.get('To') ?? '';
    const from = form.get('From') ?? '';
    const url = form.get('Url') ?? '';
    // Twilio takes the call's instructions at Url (fetched when answered) or inline as Twiml.
    const inline = form.get('Twiml') ?? undefined;
    if (!/^\+[1-9]\d{6,14}$/.test(to)) return json(400, { code: 21211, message: `The 'To' number ${to} is not a valid phone number.`, status: 400 });
    if (!/^\+[1-9]\d{6,14}$/.test(from)) return json(400, { code: 21210, message: `The source phone number provided, ${from}, is not yet verified for your account.`, status: 400 });
    if (inline === undefined && !/^https?:\/\//.test(url)) return json(400, { code: 21205, message: 'Url is not a valid URL', status: 400 });
    const timeout = form.get('Timeout');
    const sid = `CA${randomBytes(16).toString('hex')}`;
    const call: ReceivedCall = { sid, to, from, url, statusCallback: form.get('StatusCallback') ?? undefined, timeout: timeout ? Number(timeout) : undefined, atMs: Date.now(), ...(inline !== undefined ? { twiml: inline, inline: true } : {}) };
    this.calls.push(call);
    json(201, { sid, account_sid: this.accountSid, to, from, status: 'queued', direction: 'outbound-api', api_version: '2010-04-01', uri: `/2010-04-01/Accounts/${this.accountSid}/Calls/${sid}.json` });
    if (inline !== undefined) return;
    // The callee answers: Twilio asks Lifeline what to do.
    void this.post(url, this.callParams(call, { CallStatus: 'in-progress' })).then(
      (r) => {
        call.twiml = r.body;
        call.twimlStatus = r.status;
      },
      () => undefined,
    );
  }

  private callParams(call: ReceivedCall, extra: Record<string, string>): Record<string, string> {
    return { AccountSid: this.accountSid, CallSid: call.sid, From: call.from, To: call.to, Direction: 'outbound-api', ApiVersion: '2010-04-01', ...extra };
  }

  /** X-Twilio-Signature for a POST of `params` to `url`: base64 HMAC-SHA1 over the URL and the sorted name+value pairs. */
  sign(url: string, params: Record<string, string>, token = this.authToken): string {
    const data = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
    return createHmac('sha1', token).update(Buffer.from(data, 'utf8')).digest('base64');
  }

  /** POSTs a form to Lifeline as Twilio does (signed unless `signature` is given). */
  async post(url: string, params: Record<string, string>, signature?: string): Promise<{ status: number; body: string }> {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature ?? this.sign(url, params) }, body: new URLSearchParams(params).toString() });
    return { status: res.status, body: await res.text() };
  }

  /** The carrier's verdict on an SMS: Twilio's status callback (MessageStatus, and ErrorCode when it failed). */
  async receipt(sid: string, status: 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed', errorCode?: string): Promise<{ status: number; body: string }> {
    const sms = this.received.find((m) => m.sid === sid);
    if (!sms?.statusCallback) throw new Error(`SMS ${sid} has no StatusCallback`);
    const params: Record<string, string> = { AccountSid: this.accountSid, MessageSid: sid, SmsSid: sid, MessageStatus: status, SmsStatus: status, To: sms.to, From: sms.from ?? '', ApiVersion: '2010-04-01' };
    if (errorCode) params['ErrorCode'] = errorCode;
    return this.post(sms.statusCallback, params);
  }

  /** The callee presses `digits`: posted to the <Gather> action of the call's TwiML. */
  async press(sid: string, digits: string): Promise<{ status: number; body: string }> {
    const call = this.calls.find((c) => c.sid === sid);
    const action = /<Gather [^>]*action="([^"]+)"/.exec(call?.twiml ?? '')?.[1]?.replace(/&amp;/g, '&');
    if (!call || !action) throw new Error(`call ${sid} has no <Gather> action in its TwiML: ${call?.twiml ?? '(none)'}`);
    return this.post(action, this.callParams(call, { CallStatus: 'in-progress', Digits: digits, FinishedOnKey: '' }));
  }

  /** The call ends with `status`: Twilio's status callback. */
  async end(sid: string, status: 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled'): Promise<{ status: number; body: string }> {
    const call = this.calls.find((c) => c.sid === sid);
    if (!call?.statusCallback) throw new Error(`call ${sid} has no StatusCallback`);
    return this.post(call.statusCallback, this.callParams(call, { CallStatus: status, CallDuration: status === 'completed' ? '21' : '0' }));
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
