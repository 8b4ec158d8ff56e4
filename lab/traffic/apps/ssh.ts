import type { Prng } from '../prng.js';

/** The clear-text start of an SSH connection (RFC 4253): version banners and KEXINIT. */

export function sshBanner(software: string): Buffer {
  return Buffer.from(`SSH-2.0-${software}\r\n`, 'latin1');
}

const KEX = 'curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group14-sha256,ext-info-c';
const HOSTKEY = 'ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256';
const CIPHERS = 'chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com';
const MACS = 'umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512';
const COMPRESSION = 'none,zlib@openssh.com';

/** A binary packet carrying SSH_MSG_KEXINIT: length, padding length, payload, random padding. */
export function sshKexInit(rng: Prng): Buffer {
  const nameList = (s: string): Buffer => {
    const b = Buffer.from(s, 'latin1');
    const h = Buffer.alloc(4);
    h.writeUInt32BE(b.length);
    return Buffer.concat([h, b]);
  };
  const payload = Buffer.concat([
    Buffer.from([20 /* SSH_MSG_KEXINIT */]),
    rng.bytes(16),
    nameList(KEX),
    nameList(HOSTKEY),
    nameList(CIPHERS),
    nameList(CIPHERS),
    nameList(MACS),
    nameList(MACS),
    nameList(COMPRESSION),
    nameList(COMPRESSION),
    nameList(''),
    nameList(''),
    Buffer.from([0, 0, 0, 0, 0]),
  ]);
  // Padding brings length fields plus payload to a multiple of 8, with at least 4 bytes.
  let padding = 8 - ((5 + payload.length) % 8);
  if (padding < 4) padding += 8;
  const head = Buffer.alloc(5);
  head.writeUInt32BE(1 + payload.length + padding, 0);
  head[4] = padding;
  return Buffer.concat([head, payload, rng.bytes(padding)]);
}
