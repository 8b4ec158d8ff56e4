// Every weird name in the analyzers' source is in APP_WEIRDS, and every one
// listed is used: the list is what the core registers at load.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_WEIRDS } from '../../../sensor/app/events.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') && !p.endsWith('events.ts') ? [p] : [];
  });
}

describe('weird names', () => {
  it('are all listed, and all listed ones are used', () => {
    const text = sources(join(import.meta.dirname, '../../../sensor/app'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const used = new Set(
      [...text.matchAll(/'((?:DNS|dns|tls|SSL|ssl|x509|http|ssh|app)_[A-Za-z0-9_]+|unmatched_HTTP_reply)'/g)].map((m) => m[1]!).filter((n) => n !== 'ssl_history'),
    );
    const listed = new Set<string>(APP_WEIRDS);
    expect([...used].filter((n) => !listed.has(n))).toEqual([]);
    expect([...listed].filter((n) => !used.has(n))).toEqual([]);
  });
});
