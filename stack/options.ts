import { homedir } from 'node:os';
import { join } from 'node:path';

export interface StackOptions {
  /** Where this stack keeps its data, logs, PID files and credentials. */
  stateDir: string;
  /** Where the unpacked Elasticsearch distribution is cached (shared by stacks). */
  cacheDir: string;
  esPort: number;
  redisPort: number;
  esVersion: string;
  esHeapMb: number;
  /** Print progress lines (Maven download, waiting) for a person watching. */
  verbose: boolean;
}

/** The newest 8.x that Maven Central carries as the integ-test zip; Java 17 runs it. */
export const DEFAULT_ES_VERSION = '8.19.21';

const isRoot = process.getuid?.() === 0;

// As root the state lives under /var/lib: Elasticsearch runs as an unprivileged user
// and must be able to reach its directories, which it cannot under /root.
export function defaultStateDir(name = 'stack'): string {
  return process.env.CHOT_STATE_DIR
    ? join(process.env.CHOT_STATE_DIR, name)
    : isRoot
      ? join('/var/lib/chot', name)
      : join(homedir(), '.local/state/chot', name);
}

export function defaultCacheDir(): string {
  return process.env.CHOT_CACHE_DIR ?? (isRoot ? '/var/cache/chot' : join(homedir(), '.cache/chot'));
}

export function resolveStackOptions(partial: Partial<StackOptions> = {}): StackOptions {
  return {
    stateDir: partial.stateDir ?? defaultStateDir(),
    cacheDir: partial.cacheDir ?? defaultCacheDir(),
    esPort: partial.esPort ?? 19200,
    redisPort: partial.redisPort ?? 16379,
    esVersion: partial.esVersion ?? DEFAULT_ES_VERSION,
    esHeapMb: partial.esHeapMb ?? 512,
    verbose: partial.verbose ?? false,
  };
}
