import { readFileSync } from 'node:fs';
import { homedir, hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { UsageError } from '../common/errors.js';
import { isKeyAlgorithm, KEY_ALGORITHMS, type KeyAlgorithm } from './ca/keys.js';
import { isRole, ROLES, type Role } from './roles.js';
import { normalizeReason, REVOCATION_REASONS, type RevocationReason } from './revoke/reasons.js';

/** Helpers for the `chot certs` commands: defaults, option parsers, secrets from files. */

const isRoot = process.getuid?.() === 0;

function stateDir(name: string, override?: string): string {
  if (override) return override;
  if (process.env.CHOT_STATE_DIR) return join(process.env.CHOT_STATE_DIR, name);
  return isRoot ? join('/var/lib/chot', name) : join(homedir(), '.local/state/chot', name);
}

/** The CA directory: CHOT_PKI_DIR, else <state>/pki (/var/lib/chot/pki as root). */
export const defaultPkiDir = (): string => stateDir('pki', process.env.CHOT_PKI_DIR);
/** A node's credential directory: CHOT_NODE_DIR, else <state>/node. */
export const defaultNodeDir = (): string => stateDir('node', process.env.CHOT_NODE_DIR);

/** "who" in the audit log: --operator, else the user behind sudo, else the login user; and the host. */
export function cliActor(operator?: string): string {
  let user = operator ?? process.env.SUDO_USER;
  if (!user) {
    try {
      user = userInfo().username;
    } catch {
      user = `uid ${process.getuid?.() ?? '?'}`;
    }
  }
  return `cli:${user}@${hostname()}`;
}

/**
 * A secret (a passphrase, a token) from a file (its first line) or an environment
 * variable. Never from the command line, where `ps` would show it.
 */
export function readSecret(s: { file: string | undefined; flag: string; env: string; what: string }): string {
  if (s.file) {
    let text: string;
    try {
      text = readFileSync(s.file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read the ${s.what} from ${s.file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    const line = text.split(/\r?\n/)[0] ?? '';
    if (!line) throw new UsageError(`${s.file}: the ${s.what} file is empty`);
    return line;
  }
  const env = process.env[s.env];
  if (env) return env;
  throw new UsageError(`the ${s.what} is needed: give ${s.flag} FILE or set ${s.env}`);
}

export function parseDuration(value: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected a duration such as 30m, 72h or 7d');
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  const ms = Number(m[1]) * unit;
  if (ms <= 0) throw new InvalidArgumentError('the duration must be positive');
  return ms;
}

export function parseRole(value: string): Role {
  if (!isRole(value)) throw new InvalidArgumentError(`expected one of ${ROLES.join(', ')}`);
  return value;
}

export function parseReason(value: string): RevocationReason {
  const reason = normalizeReason(value);
  if (!reason) throw new InvalidArgumentError(`expected one of ${Object.keys(REVOCATION_REASONS).join(', ')}`);
  return reason;
}

export function parseKeyType(value: string): KeyAlgorithm {
  if (!isKeyAlgorithm(value)) throw new InvalidArgumentError(`expected one of ${KEY_ALGORITHMS.join(', ')}`);
  return value;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number, 0 or more');
  return n;
}

export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 0 || port > 65535) throw new InvalidArgumentError('expected HOST:PORT, e.g. 0.0.0.0:8444');
  return { host: (m[1] ?? m[2])!, port };
}

/** A plain-text table, columns padded to their widest cell. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
