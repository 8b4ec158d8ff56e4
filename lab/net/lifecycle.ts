import { RuntimeError } from '../../common/errors.js';
import { buildTopology } from './build.js';
import { describeMissing, takeInventory } from './inventory.js';
import { Lab } from './lab.js';
import { withPidLock } from '../../common/lock.js';
import { resolveLabOptions, type LabOptions, type ResolvedLabOptions } from './options.js';
import { createLabPki } from './pki.js';
import { checkLabPrerequisites } from './prerequisites.js';
import { startService } from './service.js';
import { ensureStateDir, LAB_RECORD_FORMAT, readLabRecord, removeStateDirIfEmpty, writeLabRecord, type LabRecord } from './state.js';
import { teardownLab } from './teardown.js';
import { POPULATION_SERVICE, type Family } from './topology.js';

// One `up` or `down` at a time per lab (interleaved `ip` commands would leave a lab neither
// can describe); a second waits for the first, as long as building a lab takes at worst.
const LAB_LOCK_WAIT_MS = 120_000;

/**
 * Brings the lab up. A complete lab is left as it is and returned; a partial one (a crash, a
 * hand-deleted namespace, a dead service) is removed and built again, so `up` always ends with
 * a lab whose service answers from the commune over IPv4 and IPv6.
 */
export async function labUp(opts: LabOptions = {}): Promise<Lab> {
  const resolved = resolveLabOptions(opts);
  const { plan, paths, say } = resolved;
  checkLabPrerequisites();
  ensureStateDir(paths);
  return withPidLock(paths.lock, { what: `lab ${plan.prefix}`, waitMs: LAB_LOCK_WAIT_MS }, async () => {
    const found = await takeInventory(plan, paths);
    if (found.complete && found.record) {
      say(`lab ${plan.prefix} is already up (service PID ${found.record.service.pid}, state in ${paths.dir})`);
      return new Lab(found.record);
    }
    if (found.anyPresent) {
      say(`lab ${plan.prefix} is half built (${describeMissing(found)}): removing it first`);
      await teardownLab(plan, paths, say);
    }
    try {
      return await build(resolved);
    } catch (err) {
      say(`building lab ${plan.prefix} failed: removing what was made`);
      await teardownLab(plan, paths, say).catch((cleanup: unknown) => say(`cleanup failed too: ${(cleanup as Error).message}`));
      throw err;
    }
  });
}

async function build({ plan, paths, say }: ResolvedLabOptions): Promise<Lab> {
  say(`building lab ${plan.prefix}: ${Object.keys(plan.hosts).length} namespaces, ${plan.wanLinks.length} WAN wires, the commune LAN`);
  await buildTopology(plan);
  say('issuing the lab CA, the service certificate and a client certificate');
  const pki = createLabPki(paths.pki, {
    labName: plan.prefix,
    serverIps: [POPULATION_SERVICE.ipv4, POPULATION_SERVICE.ipv6],
    serverDnsNames: [`population.${plan.prefix}.lab`],
  });
  say(`starting the population-data service in ${plan.hosts.dc.namespace}`);
  const pid = await startService(plan.hosts.dc.namespace, paths, pki);
  const record: LabRecord = {
    format: LAB_RECORD_FORMAT,
    prefix: plan.prefix,
    stateDir: paths.dir,
    createdAt: new Date().toISOString(),
    plan,
    service: { host: 'dc', ...POPULATION_SERVICE, pid, caCert: pki.caCert, serverCert: pki.serverCert, serverKey: pki.serverKey, clientCert: pki.clientCert, clientKey: pki.clientKey, log: paths.serviceLog },
  };
  const lab = new Lab(record);
  await checkEndToEnd(lab);
  // Last: its presence is what marks the lab as complete.
  writeLabRecord(paths, record);
  say(`lab ${plan.prefix} is up: service https://${POPULATION_SERVICE.ipv4}:${POPULATION_SERVICE.port} (PID ${pid}); capture on ${Object.values(plan.captureInterfaces).join(', ')}`);
  return lab;
}

/** The proof a build worked: the service answers a client at the commune, through every router, in both families. */
async function checkEndToEnd(lab: Lab): Promise<void> {
  const families: Family[] = [4, 6];
  const replies = await Promise.all(families.map((family) => lab.requestService({ from: 'client1', family })));
  replies.forEach((reply, i) => {
    if (!reply.ok || reply.status !== 200) {
      const why = reply.ok ? `HTTP ${reply.status}` : `${reply.code ? `${reply.code}: ` : ''}${reply.error}`;
      throw new RuntimeError(`lab built, but client1 cannot reach the population-data service over IPv${families[i]}: ${why}`);
    }
  });
}

/** Removes the lab: the service, the namespaces, the root-namespace interfaces, the state files. */
export async function labDown(opts: LabOptions = {}): Promise<void> {
  const { plan, paths, say } = resolveLabOptions(opts);
  checkLabPrerequisites();
  ensureStateDir(paths);
  await withPidLock(paths.lock, { what: `lab ${plan.prefix}`, waitMs: LAB_LOCK_WAIT_MS }, async () => {
    const found = await takeInventory(plan, paths);
    if (!found.anyPresent) {
      say(`lab ${plan.prefix} is not up`);
      return;
    }
    await teardownLab(plan, paths, say);
    say(`lab ${plan.prefix} is down`);
  });
  removeStateDirIfEmpty(paths);
}

/** The lab another process brought up, from its lab.json; does not check the kernel. */
export function openLab(opts: LabOptions = {}): Lab {
  const { plan, paths } = resolveLabOptions(opts);
  const record = readLabRecord(paths, plan.prefix);
  if (!record) throw new RuntimeError(`lab ${plan.prefix} is not up (no usable ${paths.record}): run \`chot lab up --prefix ${plan.prefix}\``);
  return new Lab(record);
}
