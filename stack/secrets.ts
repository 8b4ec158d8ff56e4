import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface StackSecrets {
  elasticSuperuserPassword: string;
  productUser: string;
  productPassword: string;
  /** The console's own, narrower Elasticsearch user: it may add to the audit trail, never change it. */
  consoleUser: string;
  consolePassword: string;
  redisPassword: string;
}

/** URL-safe, so passwords can sit in a redis:// URL without escaping. */
function password(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The stack's generated passwords, made once and kept in credentials.json (mode 0600)
 * so a restarted stack keeps the same ones.
 */
export function loadOrCreateSecrets(stateDir: string): StackSecrets {
  const file = join(stateDir, 'credentials.json');
  if (existsSync(file)) {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as Partial<StackSecrets> & Omit<StackSecrets, 'consoleUser' | 'consolePassword'>;
    if (kept.consoleUser && kept.consolePassword) return kept as StackSecrets;
    // A stack made before the console had its own user: add it, keep everything else.
    const upgraded: StackSecrets = { ...kept, consoleUser: 'chot-console', consolePassword: password() };
    writeFileAtomic(file, JSON.stringify(upgraded, null, 2) + '\n', 0o600);
    return upgraded;
  }
  const secrets: StackSecrets = {
    elasticSuperuserPassword: password(),
    productUser: 'chot',
    productPassword: password(),
    consoleUser: 'chot-console',
    consolePassword: password(),
    redisPassword: password(),
  };
  writeFileAtomic(file, JSON.stringify(secrets, null, 2) + '\n', 0o600);
  return secrets;
}

/** Write-then-rename with fsync, so a crash never leaves a half-written secret or config. */
export function writeFileAtomic(file: string, data: string, mode: number): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
