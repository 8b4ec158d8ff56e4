import { existsSync, readFileSync } from 'node:fs';
import { RuntimeError, UsageError } from '../common/errors.js';
import { CertificateAuthority } from './ca/authority.js';
import { crlUrlOf, loadPkiConfig, type PkiConfig } from './ca/config.js';
import { loadEncryptedPrivateKey } from './ca/keys.js';
import { caPaths, ROOT_NAME, type CaFiles, type CaPaths } from './ca/layout.js';
import { AuditLog } from './store/audit-log.js';
import { IssuanceStore } from './store/issuance-store.js';
import { withLock } from './store/lock.js';
import { TokenStore } from './store/token-store.js';
import { fromPem } from './x509/pem.js';

/**
 * An opened CA directory: settings, the issuance and token stores, the audit log,
 * and the CAs (unlocked on demand with their passphrase). Every command and the
 * enrollment service work through one of these.
 */
export class Pki {
  readonly paths: CaPaths;
  readonly config: PkiConfig;
  readonly store: IssuanceStore;
  readonly tokens: TokenStore;
  readonly audit: AuditLog;
  private readonly unlocked = new Map<string, CertificateAuthority>();

  private constructor(dir: string, config?: PkiConfig) {
    this.paths = caPaths(dir);
    if (!config && !existsSync(this.paths.config)) {
      throw new RuntimeError(`${dir} is not an initialised CA directory (no ca.json): run \`chot certs init --dir ${dir}\` first`);
    }
    this.config = config ?? loadPkiConfig(this.paths.config);
    this.store = new IssuanceStore(this.paths.issued);
    this.tokens = new TokenStore(this.paths.tokens);
    this.audit = new AuditLog(this.paths.audit);
  }

  static open(dir: string): Pki {
    return new Pki(dir);
  }

  /** For `init` only: a directory whose ca.json is written last, once everything else is in place. */
  static beingInitialised(dir: string, config: PkiConfig): Pki {
    return new Pki(dir, config);
  }

  /**
   * Runs `fn` as the only writer of this CA directory, after catching up with what
   * other processes wrote. Every decision that must not race (a token's single use,
   * a CRL number) is taken inside.
   */
  async exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    return withLock(this.paths.lock, () => {
      this.store.refresh();
      this.tokens.refresh();
      return fn();
    });
  }

  caFiles(name: string): CaFiles {
    if (name === ROOT_NAME) return this.paths.root;
    if (!this.config.issuing.includes(name)) {
      throw new UsageError(`no issuing CA named "${name}" (this directory has: ${this.config.issuing.join(', ')})`);
    }
    return this.paths.issuing(name);
  }

  /** Unlocks a CA's key. `name` is an issuing CA's name, or "root". */
  unlock(name: string, passphrase: string): CertificateAuthority {
    const cached = this.unlocked.get(name);
    if (cached) return cached;
    const files = this.caFiles(name);
    const key = loadEncryptedPrivateKey(readText(files.key), passphrase, files.key);
    const der = fromPem(readText(files.cert), 'CERTIFICATE')[0];
    if (!der) throw new RuntimeError(`${files.cert}: no certificate in it`);
    const ca = new CertificateAuthority(name, der, key, crlUrlOf(this.config, name));
    this.unlocked.set(name, ca);
    return ca;
  }

  certPem(name: string): string {
    return readText(this.caFiles(name).cert);
  }

  crlPem(name: string): string {
    return readText(this.caFiles(name).crl);
  }

  /** Every CA whose CRL a relying party must load: the root (revoking issuing CAs) and each issuing CA. */
  allCaNames(): string[] {
    return [ROOT_NAME, ...this.config.issuing];
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RuntimeError(`${path}: ${code === 'ENOENT' ? 'missing' : code === 'EACCES' ? 'permission denied' : String(err)}`);
  }
}
