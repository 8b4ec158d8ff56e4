import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueServiceCertificate } from '../../../certs/ca/issue.js';
import { pemBlocks } from '../../../certs/x509/pem.js';
import { makePki } from '../../certs/fixtures.js';

export interface ConsoleTls {
  certFile: string;
  keyFile: string;
  caFile: string;
  crlFiles: string[];
  /** The sector root the test clients trust. */
  rootPem: string;
}

/**
 * A PKI and the console's server certificate from it, named for localhost and 127.0.0.1
 * so that clients (and the browser) check the host name as they would in production.
 */
export async function consoleTls(dir: string): Promise<ConsoleTls> {
  const { pki, ca } = await makePki(join(dir, 'pki'));
  const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const cert = await issueServiceCertificate(pki, ca, {
    spki: kp.publicKey.export({ type: 'spki', format: 'der' }),
    subjectKey: kp.publicKey,
    dnsNames: ['localhost'],
    ips: ['127.0.0.1'],
    actor: 'test',
    lifetimeDays: 30,
  });
  const files = { certFile: join(dir, 'console.crt'), keyFile: join(dir, 'console.key'), caFile: join(dir, 'root.crt'), crlFile: join(dir, 'crls.pem') };
  writeFileSync(files.certFile, cert.pem + ca.certPem);
  writeFileSync(files.keyFile, kp.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
  writeFileSync(files.caFile, pki.certPem('root'));
  writeFileSync(files.crlFile, pki.allCaNames().flatMap((n) => pemBlocks(pki.crlPem(n)).map((b) => b.text)).join('\n'));
  return { certFile: files.certFile, keyFile: files.keyFile, caFile: files.caFile, crlFiles: [files.crlFile], rootPem: pki.certPem('root') };
}
