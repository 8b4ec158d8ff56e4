import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError } from '../../common/errors.js';
import { fsyncDirectory, writeFileAtomic } from '../store/atomic-file.js';
import { fromPem } from '../x509/pem.js';
import type { TlsFiles } from '../tls/material.js';

/**
 * A node's credentials on its own disk:
 *   ca.pem                      the root CA (trust anchor)
 *   crl/<ca>.pem                the CRLs, one file per CA
 *   current -> gen-<serial>/    the key and certificate in use
 *   gen-<serial>/key.pem, cert.pem
 * A renewal writes a new generation and then swaps the `current` link in one rename,
 * so a reader (or a crash) sees the old key and certificate or the new ones, never a
 * new key with an old certificate.
 */
export function nodeCredentialFiles(dir: string): TlsFiles {
  const crlDir = join(dir, 'crl');
  const crlFiles = existsSync(crlDir)
    ? readdirSync(crlDir)
        .filter((f) => f.endsWith('.pem'))
        .sort()
        .map((f) => join(crlDir, f))
    : [];
  return { keyFile: join(dir, 'current', 'key.pem'), certFile: join(dir, 'current', 'cert.pem'), caFile: join(dir, 'ca.pem'), crlFiles };
}

const KEEP_GENERATIONS = 2;

export function installCredentials(dir: string, c: { serial: string; keyPem: string; chainPem: string }): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const gen = `gen-${c.serial}`;
  writeFileAtomic(join(dir, gen, 'key.pem'), c.keyPem, 0o600);
  writeFileAtomic(join(dir, gen, 'cert.pem'), c.chainPem, 0o644);
  const tmp = join(dir, `.current.${process.pid}.tmp`);
  rmSync(tmp, { force: true });
  symlinkSync(gen, tmp);
  renameSync(tmp, join(dir, 'current'));
  fsyncDirectory(dir);
  pruneGenerations(dir, gen);
}

/** Removes old generations, keeping the current one and the one before (for a rollback by hand). */
function pruneGenerations(dir: string, current: string): void {
  const gens = readdirSync(dir)
    .filter((f) => f.startsWith('gen-') && f !== current)
    .map((f) => ({ f, t: lstatSync(join(dir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { f } of gens.slice(KEEP_GENERATIONS - 1)) rmSync(join(dir, f), { recursive: true, force: true });
}

export function writeTrustAnchor(dir: string, caPem: string): void {
  if (fromPem(caPem, 'CERTIFICATE').length === 0) throw new RuntimeError('the CA bundle holds no certificate');
  writeFileAtomic(join(dir, 'ca.pem'), caPem, 0o644);
}

export function writeCrls(dir: string, crls: readonly { ca: string; pem: string }[]): void {
  for (const { ca, pem } of crls) {
    if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(ca)) throw new RuntimeError(`bad CA name from the service: ${JSON.stringify(ca)}`);
    writeFileAtomic(join(dir, 'crl', `${ca}.pem`), pem, 0o644);
  }
}

export interface CurrentCredentials {
  keyPem: string;
  chainPem: string;
  caPem: string;
  /** DER of the node's own certificate (the first in the chain). */
  certDer: Buffer;
}

export function readCurrentCredentials(dir: string): CurrentCredentials {
  const files = nodeCredentialFiles(dir);
  try {
    readlinkSync(join(dir, 'current'));
  } catch {
    throw new RuntimeError(`${dir} holds no enrolled credentials (no "current" link): enroll first with \`chot certs enroll\``);
  }
  const chainPem = readFileSync(files.certFile, 'utf8');
  const certDer = fromPem(chainPem, 'CERTIFICATE')[0];
  if (!certDer) throw new RuntimeError(`${files.certFile}: no certificate in it`);
  return { keyPem: readFileSync(files.keyFile, 'utf8'), chainPem, caPem: readFileSync(files.caFile, 'utf8'), certDer };
}
