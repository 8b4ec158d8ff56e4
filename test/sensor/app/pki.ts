// Throwaway certificates for the TLS tests, made with the openssl CLI: a CA,
// a server certificate for "chot.test" and a client certificate, both issued
// by the CA, plus a few odd ones for the X.509 parser.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pki {
  dir: string;
  caCert: string;
  serverKey: string;
  serverCert: string;
  clientKey: string;
  clientCert: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'chot-app-pki-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/C=VN/O=Chot Test CA/CN=Chot Test Root', '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:1']);
  for (const [name, subj, ext] of [
    ['server', '/C=VN/ST=Ha Noi/O=Chot Test/OU=Sensors/CN=chot.test', 'subjectAltName=DNS:chot.test,DNS:*.chot.test,IP:127.0.0.1'],
    ['client', '/C=VN/O=Chot Test/CN=client-01', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    openssl(dir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj]);
    writeFileSync(join(dir, `${name}.ext`), ext + '\n');
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30', '-out', `${name}.pem`, '-extfile', `${name}.ext`]);
  }
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  return {
    dir,
    caCert: read('ca.pem'),
    serverKey: read('server.key'),
    serverCert: read('server.pem'),
    clientKey: read('client.key'),
    clientCert: read('client.pem'),
  };
}

/** A self-signed certificate made with extra openssl req arguments; returns its PEM. */
export function selfSigned(dir: string, name: string, args: string[]): string {
  openssl(dir, ['req', '-x509', '-nodes', '-days', '1', '-keyout', `${name}.key`, '-out', `${name}.pem`, ...args]);
  return readFileSync(join(dir, `${name}.pem`), 'utf8');
}

export function pemToDer(pem: string): Uint8Array {
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(b64, 'base64'));
}
