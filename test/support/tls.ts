/** Test certificates made with openssl at run time: a CA with a leaf for 127.0.0.1, and a self-signed leaf. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  /** PEM of a CA that signed `cert`; hand it to a client as NODE_EXTRA_CA_CERTS. */
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** A certificate that signs itself: no client trusts it. */
  readonly selfSignedCert: string;
  readonly selfSignedKey: string;
}

let cached: TestCertificates | undefined;

export function testCertificates(): TestCertificates {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'rollgate-tls-'));
  try {
    const openssl = (...args: string[]): void => {
      execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    };
    const subject = '/CN=127.0.0.1';
    writeFileSync(
      join(dir, 'leaf.ext'),
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n',
    );
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=Rollgate Test CA',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
    );
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      subject,
      '-keyout',
      'leaf.key',
      '-out',
      'leaf.csr',
    );
    openssl(
      'x509',
      '-req',
      '-in',
      'leaf.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'leaf.ext',
      '-out',
      'leaf.pem',
    );
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      subject,
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      'self.key',
      '-out',
      'self.pem',
    );
    const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
    cached = {
      ca: read('ca.pem'),
      cert: read('leaf.pem'),
      key: read('leaf.key'),
      selfSignedCert: read('self.pem'),
      selfSignedKey: read('self.key'),
    };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
