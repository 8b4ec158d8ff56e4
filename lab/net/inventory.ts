import { existingNamespaces, rootLinks } from './commands.js';
import { runningServicePid } from './service.js';
import { readLabRecord, type LabPaths, type LabRecord } from './state.js';
import { HOSTS, type HostName, type LabPlan } from './topology.js';

/** What of a lab exists right now, found by the plan's names (never by a wildcard). */
export interface LabInventory {
  record?: LabRecord;
  namespaces: { host: HostName; namespace: string; present: boolean }[];
  rootInterfaces: { name: string; present: boolean; up: boolean }[];
  servicePid?: number;
  /** Everything is there and the service running is the one lab.json names. */
  complete: boolean;
  /** Some trace of the lab exists (in the kernel or on disk). */
  anyPresent: boolean;
}

export async function takeInventory(plan: LabPlan, paths: LabPaths): Promise<LabInventory> {
  const record = readLabRecord(paths, plan.prefix);
  const [present, links] = await Promise.all([existingNamespaces(), rootLinks()]);
  const namespaces = HOSTS.map((host) => {
    const namespace = plan.hosts[host].namespace;
    return { host, namespace, present: present.has(namespace) };
  });
  const rootInterfaces = plan.rootInterfaces.map((name) => ({ name, present: links.has(name), up: links.get(name)?.up ?? false }));
  const servicePid = runningServicePid(paths);
  const complete =
    record !== undefined &&
    namespaces.every((n) => n.present) &&
    rootInterfaces.every((i) => i.present && i.up) &&
    servicePid !== undefined &&
    servicePid === record.service.pid;
  const anyPresent = record !== undefined || servicePid !== undefined || namespaces.some((n) => n.present) || rootInterfaces.some((i) => i.present);
  return { record, namespaces, rootInterfaces, servicePid, complete, anyPresent };
}

export function describeMissing(inv: LabInventory): string {
  const missing = [
    ...(inv.record ? [] : ['lab.json']),
    ...inv.namespaces.filter((n) => !n.present).map((n) => `namespace ${n.namespace}`),
    ...inv.rootInterfaces.filter((i) => !i.present || !i.up).map((i) => `${i.name}${i.present ? ' (down)' : ''}`),
    ...(inv.servicePid === undefined ? ['the service process'] : []),
  ];
  return missing.length ? `missing ${missing.join(', ')}` : 'the service is not the one lab.json names';
}
