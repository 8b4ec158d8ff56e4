/** SSH fields: the SSH summary of a connection (the unit of an ssh.log row). */
import { FIELDS, str } from './table.js';
import { sshOf } from './target.js';
import type { View } from './view.js';

const K = ['ssh'] as const;
const s = (v: View) => v.ssh!;

FIELDS.add('ssh.version', 'string', { card: 'low', doc: 'protocol major version (2, 1)' }, K, 'ssh.version', (v) => (s(v).version === undefined ? undefined : String(s(v).version)));
FIELDS.add('ssh.client.version_string', 'string', { card: 'medium', doc: "client's banner" }, K, 'ssh.client', (v) => s(v).client, (t, x) => (sshOf(t).client = str(x)));
FIELDS.add('ssh.server.version_string', 'string', { card: 'medium', doc: "server's banner" }, K, 'ssh.server', (v) => s(v).server, (t, x) => (sshOf(t).server = str(x)));
FIELDS.add('ssh.client.hassh', 'string', { card: 'high', doc: 'HASSH of the client' }, K, 'ssh.hassh', (v) => s(v).hassh, (t, x) => (sshOf(t).hassh = str(x)));
FIELDS.add('ssh.server.hassh', 'string', { card: 'high', doc: 'HASSH of the server' }, K, 'ssh.hasshServer', (v) => s(v).hasshServer, (t, x) => (sshOf(t).hasshServer = str(x)));
FIELDS.add('ssh.kex_algorithm', 'string', { card: 'low', doc: 'key exchange chosen' }, K, 'ssh.kexAlg', (v) => s(v).kexAlg);
FIELDS.add('ssh.cipher', 'string', { card: 'low', doc: 'cipher chosen (client to server)' }, K, 'ssh.cipherAlg', (v) => s(v).cipherAlg);
FIELDS.add('ssh.mac', 'string', { card: 'low', doc: 'MAC chosen' }, K, 'ssh.macAlg', (v) => s(v).macAlg);
FIELDS.add('ssh.server.host_key.algorithm', 'string', { card: 'low', doc: 'host key algorithm' }, K, 'ssh.hostKeyAlg', (v) => s(v).hostKeyAlg);
FIELDS.add('ssh.server.host_key.md5', 'string', { card: 'high', doc: 'MD5 of the host key' }, K, 'ssh.hostKey', (v) => s(v).hostKey, (t, x) => (sshOf(t).hostKey = str(x)));
