import type { Client } from '@elastic/elasticsearch';
import type { Logger } from '../../common/log.js';
import type { RedisClient } from '../../collector/streams/redis.js';
import type { ConsoleConfig } from '../config.js';
import type { AlertStore } from './alerts/store.js';
import type { TriageService } from './alerts/triage.js';
import type { AuditWriter } from './audit/writer.js';
import type { LoginLimiter } from './auth/rate-limit.js';
import type { SessionStore } from './auth/sessions.js';
import type { UserStore } from './auth/users.js';
import type { CaseStore } from './cases/store.js';
import type { Places } from './fleet/inventory.js';
import type { SensorDirectory } from './fleet/sensors.js';
import type { Topology } from './fleet/topology.js';
import type { AlertEventPublisher } from './live/publisher.js';
import type { SearchService } from './search/service.js';

/** Everything the routes use, built once per console instance. */
export interface ConsoleServices {
  cfg: ConsoleConfig;
  esPrefix: string;
  es: Client;
  redis: RedisClient;
  log: Logger;
  users: UserStore;
  sessions: SessionStore;
  limiter: LoginLimiter;
  audit: AuditWriter;
  alerts: AlertStore;
  triage: TriageService;
  events: AlertEventPublisher;
  cases: CaseStore;
  search: SearchService;
  sensors: SensorDirectory;
  places: Places;
  topology: Topology;
}
