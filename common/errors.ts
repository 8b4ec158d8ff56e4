/**
 * The three ways a `chot` command can end badly. Each maps to one exit code so that
 * scripts and CI can tell "you called it wrong" (2) from "it broke while running" (1).
 */
export class UsageError extends Error {
  readonly exitCode = 2;
  override name = 'UsageError';
}

export class ConfigError extends Error {
  readonly exitCode = 2;
  override name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly keyPath: string,
    readonly problem: string,
  ) {
    super(keyPath ? `${file}: ${keyPath}: ${problem}` : `${file}: ${problem}`);
  }
}

/** A failure while running that the user can act on; the message is one clear line. */
export class RuntimeError extends Error {
  readonly exitCode = 1;
  override name = 'RuntimeError';
}

export function exitCodeOf(err: unknown): number {
  if (err && typeof err === 'object' && 'exitCode' in err && typeof err.exitCode === 'number') {
    return err.exitCode;
  }
  return 1;
}
