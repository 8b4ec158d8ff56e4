import { readFileSync } from 'node:fs';
import { Client, type ClientOptions } from '@elastic/elasticsearch';
import type { ElasticsearchConfig } from '../../common/connections.js';
import { ConfigError } from '../../common/errors.js';

/**
 * An Elasticsearch client from a role's config: basic auth (with the password inline or
 * in a file) or an API key, and the cluster's CA when it serves HTTPS.
 */
export function createEsClient(cfg: ElasticsearchConfig, configFile = '(config)'): Client {
  const opts: ClientOptions = {
    node: cfg.url,
    // The bulk indexer retries itself with back-off; the client's own retries would
    // double the waiting and hide how long Elasticsearch has been down.
    maxRetries: 0,
    requestTimeout: 60_000,
    compression: false,
  };
  if (cfg.apiKey) opts.auth = { apiKey: cfg.apiKey };
  else if (cfg.username) {
    let password = cfg.password;
    if (!password && cfg.passwordFile) {
      try {
        password = readFileSync(cfg.passwordFile, 'utf8').trim();
      } catch (err) {
        throw new ConfigError(configFile, 'elasticsearch.passwordFile', `cannot read ${cfg.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? err}`);
      }
    }
    if (!password) throw new ConfigError(configFile, 'elasticsearch.password', 'a username needs a password or passwordFile');
    opts.auth = { username: cfg.username, password };
  }
  if (cfg.caFile) {
    try {
      opts.tls = { ca: readFileSync(cfg.caFile, 'utf8'), rejectUnauthorized: true };
    } catch (err) {
      throw new ConfigError(configFile, 'elasticsearch.caFile', `cannot read ${cfg.caFile}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
  }
  return new Client(opts);
}

/**
 * The cluster's version, read from the local node's info: minimal distributions answer
 * `GET /` with 405, so the client's info() cannot be relied on.
 */
export async function clusterVersion(client: Client): Promise<string> {
  const res = await client.nodes.info({ node_id: '_local', metric: '_none' });
  const node = Object.values(res.nodes)[0];
  if (!node) throw new Error('Elasticsearch reported no local node');
  return node.version;
}
