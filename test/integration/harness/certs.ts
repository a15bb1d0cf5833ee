import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A throwaway self-signed certificate for 127.0.0.1/localhost (and `moreIps`, e.g. a host-side
 * veth address a server in a test namespace is reached at), made with openssl.
 */
export function selfSignedCert(dir: string, moreIps: readonly string[] = []): { keyPem: string; certPem: string; certFile: string } {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=localhost', '-addext', `subjectAltName=${['IP:127.0.0.1', ...moreIps.map((ip) => `IP:${ip}`), 'DNS:localhost'].join(',')}`], { stdio: 'ignore' });
  return { keyPem: readFileSync(keyFile, 'utf8'), certPem: readFileSync(certFile, 'utf8'), certFile };
}
