import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fieldTable } from '../../rules/fields/doc.js';
import { FIELDS } from '../../rules/fields/index.js';
import { newTarget } from '../../rules/fields/target.js';
import { View } from '../../rules/fields/view.js';
import { RECORD_KINDS } from '../../rules/records.js';

describe('the field namespace', () => {
  it('is documented in rules/README.md exactly as the code defines it', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../rules/README.md'), 'utf8');
    const start = readme.indexOf('\n', readme.indexOf('<!-- fields:begin')) + 1;
    const end = readme.indexOf('<!-- fields:end -->');
    expect(readme.slice(start, end)).toBe(fieldTable());
  });

  it('has a getter for every kind it claims, readable on a default record of that kind', () => {
    for (const kind of RECORD_KINDS) {
      const t = newTarget(kind, Date.UTC(2026, 0, 1));
      const v = new View();
      v.reset(kind);
      v.conn = t.conn;
      v.dns = t.conn.app?.dns?.[0];
      v.tls = t.conn.app?.tls;
      v.http = t.conn.app?.http?.[0];
      v.ssh = t.conn.app?.ssh;
      v.enforcer = t.enforcer;
      v.health = t.health;
      v.node = t.node;
      v.sensorId = t.sensorId;
      for (const f of FIELDS.forKind(kind)) expect(() => f.kinds.get(kind)!.get(v), `${kind} ${f.name}`).not.toThrow();
    }
  });

  it('uses the names the indexer writes for connection records', () => {
    for (const name of ['source.ip', 'destination.port', 'network.transport', 'network.community_id', 'zeek.session_id', 'zeek.connection.state', 'chot.population_data.bypass', 'dns.question.name', 'tls.client.ja3', 'tls.client.ja4', 'url.domain', 'http.request.method']) {
      expect(FIELDS.get(name), name).toBeDefined();
    }
  });
});
