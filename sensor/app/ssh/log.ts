// ssh.log (Zeek's base/protocols/ssh columns, then the hassh package's) and
// ECS-style ssh.* fields. ECS has no SSH field set: ssh.client / ssh.server
// are Chốt's custom names, shaped like ECS's tls.client / tls.server.

import { compact, ID_FIELDS, idValues, writeIds, type AppLog, type ConnIds, type RowWriter, type ZeekField, type ZeekValue } from '../log-common.js';
import type { SshInfo } from './types.js';

export const SSH_FIELDS: readonly ZeekField[] = [
  ...ID_FIELDS,
  { name: 'version', type: 'count' },
  { name: 'auth_success', type: 'bool' },
  { name: 'auth_attempts', type: 'count' },
  { name: 'direction', type: 'enum' },
  { name: 'client', type: 'string' },
  { name: 'server', type: 'string' },
  { name: 'cipher_alg', type: 'string' },
  { name: 'mac_alg', type: 'string' },
  { name: 'compression_alg', type: 'string' },
  { name: 'kex_alg', type: 'string' },
  { name: 'host_key_alg', type: 'string' },
  { name: 'host_key', type: 'string' },
  { name: 'hassh', type: 'string' },
  { name: 'hasshServer', type: 'string' },
  { name: 'hasshAlgorithms', type: 'string' },
  { name: 'hasshServerAlgorithms', type: 'string' },
];

export function sshRow(conn: ConnIds, s: SshInfo): ZeekValue[] {
  return [
    ...idValues(conn, s.tsNs),
    s.version,
    undefined, // auth_success: Zeek guesses it from encrypted packet sizes; the sensor does not
    undefined,
    undefined, // direction: needs the site's local networks
    s.client,
    s.server,
    s.cipherAlg,
    s.macAlg,
    s.compressionAlg,
    s.kexAlg,
    s.hostKeyAlg,
    s.hostKey,
    s.hassh,
    s.hasshServer,
    s.hasshAlgorithms,
    s.hasshServerAlgorithms,
  ];
}

/** sshRow, written field by field. */
export function writeSshRow(w: RowWriter, conn: ConnIds, s: SshInfo): void {
  writeIds(w, conn, s.tsNs);
  w.count(s.version);
  w.bool(undefined);
  w.count(undefined);
  w.str(undefined);
  w.str(s.client);
  w.str(s.server);
  w.str(s.cipherAlg);
  w.str(s.macAlg);
  w.str(s.compressionAlg);
  w.str(s.kexAlg);
  w.str(s.hostKeyAlg);
  w.str(s.hostKey);
  w.str(s.hassh);
  w.str(s.hasshServer);
  w.str(s.hasshAlgorithms);
  w.str(s.hasshServerAlgorithms);
  w.end();
}

export const sshLog: AppLog<SshInfo> = {
  path: 'ssh',
  fields: SSH_FIELDS,
  rows: (conn, info) => [sshRow(conn, info)],
  write: writeSshRow,
};

export function sshEcs(s: SshInfo): Record<string, unknown> {
  return compact({
    ssh: {
      version: s.version === undefined ? undefined : String(s.version),
      kex_algorithm: s.kexAlg,
      cipher: s.cipherAlg,
      mac: s.macAlg,
      compression: s.compressionAlg,
      client: { version_string: s.client, hassh: s.hassh, hassh_algorithms: s.hasshAlgorithms },
      server: {
        version_string: s.server,
        hassh: s.hasshServer,
        hassh_algorithms: s.hasshServerAlgorithms,
        host_key: { algorithm: s.hostKeyAlg, md5: s.hostKey },
      },
    },
  });
}
