import { join } from 'node:path';

/**
 * The CA directory:
 *   ca.json                  settings, written last by `init` (its presence means "initialised")
 *   root/{cert,key,crl}.pem  the offline root; its key can be moved off the machine after init
 *   issuing/<name>/{cert,key,crl}.pem   each online issuing CA
 *   store/issued.jsonl       every certificate issued and revoked (journal)
 *   store/tokens.jsonl       enrollment tokens, hashed (journal)
 *   audit.jsonl              the audit trail (hash-chained)
 *   .lock                    held by whichever process is writing
 */
export interface CaFiles {
  cert: string;
  key: string;
  crl: string;
}

export interface CaPaths {
  dir: string;
  config: string;
  lock: string;
  root: CaFiles;
  issuing(name: string): CaFiles;
  issued: string;
  tokens: string;
  audit: string;
}

export function caPaths(dir: string): CaPaths {
  const files = (d: string): CaFiles => ({ cert: join(d, 'cert.pem'), key: join(d, 'key.pem'), crl: join(d, 'crl.pem') });
  return {
    dir,
    config: join(dir, 'ca.json'),
    lock: join(dir, '.lock'),
    root: files(join(dir, 'root')),
    issuing: (name) => files(join(dir, 'issuing', name)),
    issued: join(dir, 'store', 'issued.jsonl'),
    tokens: join(dir, 'store', 'tokens.jsonl'),
    audit: join(dir, 'audit.jsonl'),
  };
}

/** Issuing CA names become file names and CRL URLs: lower case, digits, dashes. */
export const CA_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
export const ROOT_NAME = 'root';
