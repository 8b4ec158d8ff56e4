// What the SSH analyzer reports for one connection: the unit of an ssh.log row.
// Banners and the algorithm negotiation travel in the clear; everything after
// the first NEWKEYS does not.

export interface SshInfo {
  /** When the first banner was seen, ns since the epoch. */
  tsNs: bigint;
  /** Protocol major version from the banners: 2 (also for "1.99"), or 1. */
  version?: number;
  /** Banner lines without CR LF, e.g. "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13". */
  client?: string;
  server?: string;
  /** Negotiated algorithms (client's first choice the server also offers), client-to-server direction. */
  kexAlg?: string;
  hostKeyAlg?: string;
  cipherAlg?: string;
  macAlg?: string;
  compressionAlg?: string;
  /** MD5 of the server's host key blob, colon-separated hex, as Zeek's ssh.log shows it. */
  hostKey?: string;
  /** HASSH fingerprints (MD5 of "kex;ciphers;macs;compression" of each side's KEXINIT) and their inputs. */
  hassh?: string;
  hasshServer?: string;
  hasshAlgorithms?: string;
  hasshServerAlgorithms?: string;
}
