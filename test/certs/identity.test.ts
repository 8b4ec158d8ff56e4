import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../common/process.js';
import type { CertificateAuthority } from '../../certs/ca/authority.js';
import { randomSerial } from '../../certs/ca/serial.js';
import { identityFromPeerCertificate, IdentityError, type IdentityPolicy } from '../../certs/identity.js';
import { NodeIdError, nodeIdFromUri, parseNodeId } from '../../certs/node-id.js';
import type { Pki } from '../../certs/pki.js';
import { roleOid } from '../../certs/roles.js';
import { OID } from '../../certs/x509/oid.js';
import { basicConstraints, extKeyUsage, subjectAltName } from '../../certs/x509/extensions.js';
import { distinguishedName } from '../../certs/x509/name.js';
import { fromPem } from '../../certs/x509/pem.js';
import { issueNode, makePki, tempDir, type NodeCredentials } from './fixtures.js';

describe('identityFromPeerCertificate', () => {
  const tmp = tempDir('identity');
  let pki: Pki;
  let ca: CertificateAuthority;
  let sensor: NodeCredentials;

  beforeAll(async () => {
    ({ pki, ca } = await makePki(join(tmp.dir, 'pki')));
    sensor = await issueNode(pki, ca, '01/001/00001', 'sensor');
  });
  afterAll(() => tmp.cleanup());

  /** A certificate from our CA with hand-picked extensions, to test what the reader refuses. */
  function custom(extensions: ReturnType<typeof basicConstraints>[]): Buffer {
    const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const now = Date.now();
    return ca.sign({
      serial: randomSerial(),
      subjectName: distinguishedName([{ type: 'CN', value: 'custom' }]),
      spki: kp.publicKey.export({ type: 'spki', format: 'der' }),
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 3_600_000),
      extensions,
    });
  }
  const refusal = (input: Parameters<typeof identityFromPeerCertificate>[0], policy?: IdentityPolicy): string => {
    try {
      identityFromPeerCertificate(input, policy);
    } catch (err) {
      expect(err).toBeInstanceOf(IdentityError);
      return `${(err as IdentityError).code}: ${(err as IdentityError).reason}`;
    }
    throw new Error('accepted');
  };

  it('reads {role, nodeId, serial, notAfter} from DER, X509Certificate and a TLS peer certificate', () => {
    const want = { role: 'sensor', nodeId: '01/001/00001', serial: sensor.serial, notAfter: sensor.notAfter };
    expect(identityFromPeerCertificate(sensor.der)).toEqual(want);
    const x509 = new X509Certificate(sensor.der);
    expect(identityFromPeerCertificate(x509)).toEqual(want);
    expect(x509.serialNumber).toBe(sensor.serial);
    expect(identityFromPeerCertificate({ raw: sensor.der } as never, { roles: ['sensor'], nodeId: '01/001/00001' })).toEqual(want);
    expect(Object.isFrozen(identityFromPeerCertificate(sensor.der))).toBe(true);
  });

  it('refuses what the policy excludes and what is outside its validity', () => {
    expect(refusal(sensor.der, { roles: ['collector'] })).toBe('role: role sensor is not allowed here (allowed: collector)');
    expect(refusal(sensor.der, { nodeId: '01/001/00002' })).toBe('node: certificate is for node 01/001/00001, expected 01/001/00002');
    expect(refusal(sensor.der, { now: new Date(sensor.notAfter.getTime() + 1000) })).toMatch(/^expired: certificate expired/);
    expect(refusal(sensor.der, { now: new Date(sensor.notBefore.getTime() - 1000) })).toMatch(/^not-yet-valid: /);
  });

  it('refuses CA certificates, foreign shapes, several roles and garbage', async () => {
    expect(refusal(fromPem(pki.certPem('issuing-1'), 'CERTIFICATE')[0]!)).toBe('not-a-node: a CA certificate is not a node identity');
    const node = 'chot://node/01';
    expect(refusal(custom([basicConstraints(false), extKeyUsage([OID.clientAuth, roleOid('sensor')])]))).toBe('not-a-node: certificate names no Chốt node (no subjectAltName)');
    expect(refusal(custom([subjectAltName({ uris: [node], dnsNames: ['x.example'] }), extKeyUsage([roleOid('sensor')])]))).toMatch(/exactly one Chốt node and nothing else/);
    expect(refusal(custom([subjectAltName({ uris: [node, 'chot://node/02'] }), extKeyUsage([roleOid('sensor')])]))).toMatch(/exactly one Chốt node/);
    expect(refusal(custom([subjectAltName({ uris: ['https://node/01'] }), extKeyUsage([roleOid('sensor')])]))).toBe('not-a-node: certificate names "https://node/01", not a Chốt node');
    expect(refusal(custom([subjectAltName({ uris: [node] })]))).toBe('not-a-node: certificate carries no role (no extendedKeyUsage)');
    expect(refusal(custom([subjectAltName({ uris: [node] }), extKeyUsage([OID.clientAuth])]))).toBe('not-a-node: certificate carries no Chốt role');
    expect(refusal(custom([subjectAltName({ uris: [node] }), extKeyUsage([roleOid('sensor'), roleOid('operator')])]))).toBe('not-a-node: certificate carries several roles (sensor, operator)');
    expect(refusal(custom([subjectAltName({ uris: [node] }), extKeyUsage([`${OID.chotRoleArc}.99`])]))).toMatch(/^malformed: .*unknown Chốt role OID/);
    expect(refusal(Buffer.from('garbage'))).toMatch(/^malformed: not a readable X\.509 v3 certificate/);

    const key = join(tmp.dir, 'self.key');
    const crt = join(tmp.dir, 'self.crt');
    await runCommand('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', crt, '-days', '1', '-subj', '/CN=01', '-addext', 'subjectAltName=URI:chot://node/01', '-addext', `extendedKeyUsage=clientAuth,${roleOid('sensor')}`, '-addext', 'basicConstraints=CA:FALSE']);
    // Self-made but well-formed: the reader accepts the shape; trust is TLS's job (see tls.test.ts).
    expect(identityFromPeerCertificate(new X509Certificate(readFileSync(crt)))).toMatchObject({ role: 'sensor', nodeId: '01' });
  });

  it('checks node ids: inventory codes only, any depth, URI or path', () => {
    expect(parseNodeId('01/001/00001')).toBe('01/001/00001');
    expect(parseNodeId('chot://node/79/760')).toBe('79/760');
    for (const bad of ['', '01//001', '../etc', '01/00 1', 'chot://node/', '01/ä', 'x'.repeat(33)]) expect(() => parseNodeId(bad), bad).toThrow(NodeIdError);
    expect(nodeIdFromUri('chot://node/01/../02')).toBeUndefined();
  });
});
