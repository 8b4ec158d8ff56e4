import { takeInventory } from './inventory.js';
import { resolveLabOptions, type LabOptions } from './options.js';
import { checkLabPrerequisites } from './prerequisites.js';
import { requestService } from './service-request.js';
import { POPULATION_SERVICE, ROUTERS, type HostName, type RouterName } from './topology.js';

export interface LabStatus {
  prefix: string;
  stateDir: string;
  /** up: everything present and the service answers; partial: some of it; down: none of it. */
  state: 'up' | 'partial' | 'down';
  namespaces: { host: HostName; namespace: string; present: boolean }[];
  captureInterfaces: { router: RouterName; name: string; present: boolean; up: boolean }[];
  service: {
    address: string;
    ipv6: string;
    port: number;
    pid?: number;
    running: boolean;
    /** It answered an mTLS request from client1 over IPv4. */
    answers: boolean;
    detail?: string;
  };
}

export async function labStatus(opts: LabOptions = {}): Promise<LabStatus> {
  const { plan, paths } = resolveLabOptions(opts);
  checkLabPrerequisites();
  const inv = await takeInventory(plan, paths);
  const captureInterfaces = ROUTERS.map((router) => {
    const name = plan.captureInterfaces[router];
    const found = inv.rootInterfaces.find((i) => i.name === name);
    return { router, name, present: found?.present ?? false, up: found?.up ?? false };
  });

  let answers = false;
  let detail: string | undefined;
  if (inv.record && inv.servicePid !== undefined && inv.namespaces.every((n) => n.present)) {
    const reply = await requestService(inv.record, { from: 'client1', timeoutMs: 3_000 });
    answers = reply.ok && reply.status === 200;
    if (!answers) detail = reply.ok ? `HTTP ${reply.status}` : `${reply.code ? `${reply.code}: ` : ''}${reply.error}`;
  } else if (inv.anyPresent) {
    detail = inv.servicePid === undefined ? 'the service is not running' : 'the lab is incomplete';
  }

  return {
    prefix: plan.prefix,
    stateDir: paths.dir,
    state: inv.complete && answers ? 'up' : inv.anyPresent ? 'partial' : 'down',
    namespaces: inv.namespaces,
    captureInterfaces,
    service: {
      address: POPULATION_SERVICE.ipv4,
      ipv6: POPULATION_SERVICE.ipv6,
      port: POPULATION_SERVICE.port,
      pid: inv.servicePid,
      running: inv.servicePid !== undefined,
      answers,
      detail,
    },
  };
}
