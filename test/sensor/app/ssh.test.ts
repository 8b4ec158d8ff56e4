// SSH banners, KEXINIT negotiation and HASSH. The client vector is the
// "Cyberduck" example of the salesforce/hassh README: its hasshAlgorithms
// string hashes to the published 8a8ae540028bf433cd68356c1b9e8d5b.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Direction } from '../../../sensor/app/analyzer.js';
import { SshAnalyzer } from '../../../sensor/app/ssh/analyzer.js';
import type { SshInfo } from '../../../sensor/app/ssh/types.js';
import { bytes, splits, Weirds } from './helpers.js';
import { CYBERDUCK, hostKeyBlob, OPENSSH53, sshConversation } from './samples.js';

const md5 = (s: string | Uint8Array): string => createHash('md5').update(s).digest('hex');

function run(flights: Array<[Direction, Uint8Array]>, w = new Weirds()): { a: SshAnalyzer; info: SshInfo | undefined; w: Weirds } {
  const a = new SshAnalyzer(w);
  for (const [dir, b] of flights) a.deliver(dir, b, 0, b.length, 5n);
  return { a, info: a.metadata(true)?.ssh, w };
}

describe('SSH', () => {
  it('reads banners, negotiates algorithms, fingerprints both sides and the host key', () => {
    const { a, info, w } = run(sshConversation());
    expect(w.names).toEqual([]);
    expect(a.service).toBe('ssh');
    expect(a.done).toBe(true);
    const serverAlgorithms = [OPENSSH53.kex, OPENSSH53.enc, OPENSSH53.mac, OPENSSH53.comp].join(';');
    expect(info).toEqual({
      tsNs: 5n,
      version: 2,
      client: 'SSH-2.0-Cyberduck/6.7.1.28683 (Mac OS X/10.13.6) (x86_64)',
      server: 'SSH-2.0-OpenSSH_5.3',
      kexAlg: 'diffie-hellman-group-exchange-sha256',
      hostKeyAlg: 'ssh-rsa',
      cipherAlg: 'aes128-cbc',
      macAlg: 'hmac-sha1',
      compressionAlg: 'zlib@openssh.com',
      hostKey: md5(hostKeyBlob).replace(/(..)(?!$)/g, '$1:'),
      hassh: '8a8ae540028bf433cd68356c1b9e8d5b',
      hasshAlgorithms: [CYBERDUCK.kex, CYBERDUCK.enc, CYBERDUCK.mac, CYBERDUCK.comp].join(';'),
      hasshServer: md5(serverAlgorithms),
      hasshServerAlgorithms: serverAlgorithms,
    });
  });

  it('gives the same result however the streams are cut', () => {
    const whole = run(sshConversation()).info;
    const flights = sshConversation();
    for (const which of [1, 6]) {
      for (const parts of splits(flights[which]![1])) {
        const cut = flights.flatMap(([d, b], i): Array<[Direction, Uint8Array]> => (i === which ? parts.map((p): [Direction, Uint8Array] => [d, p]) : [[d, b]]));
        const { info, w } = run(cut);
        expect(w.names).toEqual([]);
        expect(info).toEqual(whole);
      }
    }
  });

  it('stops at SSH 1 after the banners', () => {
    const { a, info } = run([
      [0, bytes('SSH-1.5-OpenSSH_2.9\n')],
      [1, bytes('SSH-1.5-Server\r\n\x00\x00\x01\x04')],
    ]);
    expect(info).toMatchObject({ version: 1, client: 'SSH-1.5-OpenSSH_2.9', server: 'SSH-1.5-Server' });
    expect(a.done).toBe(true);
  });

  it('does not claim a stream that is not SSH, and bounds the banner', () => {
    const { a, info } = run([[0, bytes('HELO example.com\r\n')]]);
    expect(a.service).toBeUndefined();
    expect(info).toBeUndefined();
    const long = run([[0, bytes('SSH-2.0-' + 'x'.repeat(1000) + '\r\n')]]);
    expect(long.info!.client).toHaveLength(255);
  });

  it('never throws on a conversation cut at any byte', () => {
    const all = sshConversation();
    for (const [i, [, data]] of all.entries()) {
      for (let cut = 0; cut <= data.length; cut += 3) {
        const w = new Weirds();
        const a = new SshAnalyzer(w);
        for (const [j, [d, b]] of all.entries()) {
          if (j < i) a.deliver(d, b, 0, b.length, 1n);
          else if (j === i) a.deliver(d, b, 0, cut, 1n);
        }
        a.metadata(true);
        expect(w.names.filter((n) => n.endsWith('_analyzer_error'))).toEqual([]);
      }
    }
  });
});
