import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../common/config.js';
import { ConfigError } from '../../common/errors.js';
import { collectorConfig } from '../../collector/config.js';

const dir = mkdtempSync(join(tmpdir(), 'chot-config-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const valid = `elasticsearch:
  url: http://127.0.0.1:9200
  username: chot
  password: secret
redis:
  url: redis://:pw@127.0.0.1:6379
tls:
  certFile: /etc/chot/collector.crt
  keyFile: /etc/chot/collector.key
  caFile: /etc/chot/root.crt
listen:
  port: 8765
`;

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfigFile', () => {
  it('accepts a valid file and fills defaults', () => {
    const cfg = loadConfigFile(file('ok.yaml', valid), collectorConfig);
    expect(cfg.listen).toEqual({ host: '0.0.0.0', port: 8765 });
    expect(cfg.elasticsearch.indexPrefix).toBe('chot');
    expect(cfg.retentionDays.conn).toBe(30);
    expect(cfg.tls.crlFiles).toEqual([]);
  });

  it('names the file and the full key path of an unknown key', () => {
    const p = file('unknown.yaml', valid.replace('  port: 8765', '  port: 8765\n  prot: 1'));
    const err = configError(() => loadConfigFile(p, collectorConfig));
    expect(err.file).toBe(p);
    expect(err.keyPath).toBe('listen.prot');
    expect(err.message).toContain(`${p}: listen.prot: unknown key`);
    expect(err.exitCode).toBe(2);
  });

  it('names the key and the expected type of a wrong type', () => {
    const p = file('type.yaml', valid.replace('port: 8765', 'port: "eighty"'));
    const err = configError(() => loadConfigFile(p, collectorConfig));
    expect(err.keyPath).toBe('listen.port');
    expect(err.message).toMatch(/listen\.port: expected number, got string "eighty"/);
  });

  it('says what is missing', () => {
    const p = file('missing-key.yaml', valid.replace('redis:\n  url: redis://:pw@127.0.0.1:6379\n', ''));
    const err = configError(() => loadConfigFile(p, collectorConfig));
    expect(err.keyPath).toBe('redis');
    expect(err.message).toMatch(/redis: expected object, but it is missing/);
  });

  it('reports a missing file by name', () => {
    const p = join(dir, 'nope.yaml');
    const err = configError(() => loadConfigFile(p, collectorConfig));
    expect(err.message).toBe(`${p}: file not found`);
  });

  it('gives the position of a YAML syntax error', () => {
    const p = file('syntax.yaml', 'redis:\n  url: [unclosed\n');
    const err = configError(() => loadConfigFile(p, collectorConfig));
    expect(err.message).toMatch(/line \d+, column \d+: not valid YAML/);
  });

  it('reads JSON too, and lists every problem, not just the first', () => {
    const p = file('bad.json', JSON.stringify({ elasticsearch: { url: 'ftp://x' }, redis: { url: 5 } }));
    const err = configError(() => loadConfigFile(p, collectorConfig));
    expect(err.message).toContain('elasticsearch.url');
    expect(err.message).toContain('redis.url: expected string');
  });
});
