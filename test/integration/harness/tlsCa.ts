import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { giveToServerUser } from './procs.js';

/** Files of a certificate signed by a throwaway CA (PEM). */
export interface IssuedCert {
  certFile: string;
  keyFile: string;
}

/**
 * A throwaway certificate authority made with openssl in `dir`, for mutual TLS between test
 * servers (e.g. a NATS leaf link). Files are readable by the unprivileged server user.
 */
export class ThrowawayCa {
  readonly certFile: string;
  private readonly keyFile: string;

  constructor(private readonly dir: string) {
    this.certFile = join(dir, 'ca.pem');
    this.keyFile = join(dir, 'ca.key');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', this.keyFile, '-out', this.certFile, '-days', '2', '-subj', '/CN=lifeline test CA'], { stdio: 'ignore' });
    giveToServerUser(this.certFile);
  }

  /** Issues `<name>.pem`/`<name>.key` for `san` (e.g. "IP:127.0.0.1"), usable as server and client. */
  issue(name: string, san: string): IssuedCert {
    const keyFile = join(this.dir, `${name}.key`);
    const csr = join(this.dir, `${name}.csr`);
    const certFile = join(this.dir, `${name}.pem`);
    const ext = join(this.dir, `${name}.ext`);
    execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', `/CN=${name}`], { stdio: 'ignore' });
    writeFileSync(ext, `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\n`);
    execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', this.certFile, '-CAkey', this.keyFile, '-CAcreateserial', '-out', certFile, '-days', '2', '-extfile', ext], { stdio: 'ignore' });
    giveToServerUser(keyFile);
    giveToServerUser(certFile);
    return { certFile, keyFile };
  }
}
