import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Transporter } from 'nodemailer';
import type { Config } from '../config/schema.js';
import { NotifyError } from '../errors.js';
import { AlwaysReadyNotifier } from './alwaysReady.js';
import type { Delivery } from './notifier.js';
import { cleanValue, plainLine } from './text.js';

/** Email section of the config. */
export type EmailConfig = NonNullable<Config['email']>;

const PREFIX = 'email:';

// nodemailer is loaded only when email is configured (~12 MB of resident memory otherwise idle).
const require = createRequire(import.meta.url);

/** Outbox destination for an email address. */
export function emailDestination(address: string): string {
  return `${PREFIX}${address.toLowerCase()}`;
}

/**
 * Pages by email through an SMTP server (nodemailer). The first line is the subject, the rest the
 * plain-text body; an HTML part carries the same text. STARTTLS is required by default (the
 * connection is refused if the server does not offer it), certificates are verified.
 *
 * SMTP facts: 4xx replies are temporary (try again), 5xx permanent; 535 is failed authentication.
 */
export class EmailNotifier extends AlwaysReadyNotifier {
  readonly digestsBacklog = false;
  readonly kind = 'email';
  sentMeans(): string {
    return 'accepted by the SMTP server (not yet proof it reached the mailbox)';
  }
  private readonly transporter: Transporter;
  /** The domain of the From address, for Message-IDs. */
  private readonly domain: string;

  constructor(private readonly cfg: EmailConfig) {
    super(PREFIX);
    this.domain = /@([^>\s]+)>?\s*$/.exec(cfg.from)?.[1] ?? 'lifeline.invalid';
    const nodemailer = require('nodemailer') as typeof import('nodemailer');
    this.transporter = nodemailer.createTransport({
      host: cfg.host,
      port: cfg.port,
      secure: cfg.security === 'tls',
      requireTLS: cfg.security === 'starttls',
      ignoreTLS: cfg.security === 'none',
      auth: cfg.username ? { user: cfg.username, pass: cfg.password?.reveal() ?? '' } : undefined,
      tls: { rejectUnauthorized: cfg.tls_verify, ca: cfg.ca_file ? readFileSync(cfg.ca_file) : undefined, minVersion: 'TLSv1.2' },
      connectionTimeout: cfg.timeout,
      greetingTimeout: cfg.timeout,
      socketTimeout: cfg.timeout,
    });
  }

  override prepare(_destination: string, lines: readonly string[]): string[] {
    return lines.map(plainLine);
  }

  override async send(d: Delivery, _signal?: AbortSignal): Promise<void> {
    const [subject = 'Lifeline', ...body] = d.lines;
    const text = body.join('\n');
    try {
      await this.transporter.sendMail({
        from: this.cfg.from,
        to: d.destination.slice(PREFIX.length),
        subject: cleanValue(subject, 200),
        text: `${text}\n`,
        html: `<!doctype html><html><body><pre style="font-family:monospace;white-space:pre-wrap">${escapeHtml(text)}</pre></body></html>`,
        headers: { 'X-Lifeline': '1', 'Auto-Submitted': 'auto-generated' },
        // A page sent again after a crash in the moment between the server's acceptance and the
        // store's record of it carries the same Message-ID, so mail clients show it once.
        ...(d.key ? { messageId: `<lifeline.${d.key}@${this.domain}>` } : {}),
      });
    } catch (err) {
      throw classifySmtpError(err);
    }
    d.onProgress(d.lines.length);
  }


  /** Closes pooled connections. */
  close(): void {
    this.transporter.close();
  }
}

/** Turns a nodemailer error into a NotifyError that says whether retrying can help. */
export function classifySmtpError(err: unknown): NotifyError {
  const e = err as { code?: string; responseCode?: number; message?: string };
  const msg = `SMTP: ${e.message ?? String(err)}`;
  if (e.code === 'EAUTH' || e.responseCode === 535) {
    return new NotifyError(`${msg} (authentication failed: check email.username and email.password)`, { retryable: false, misconfigured: 'email.username and email.password', cause: err });
  }
  if (typeof e.responseCode === 'number') {
    return new NotifyError(msg, { retryable: e.responseCode >= 400 && e.responseCode < 500, cause: err });
  }
  // Connection refused, timeouts, TLS trouble, dropped sockets: the server may be back soon.
  return new NotifyError(msg, { retryable: true, cause: err });
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
