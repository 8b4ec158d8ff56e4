import { RuntimeError } from '../../common/errors.js';
import { processCommandLine, sleep } from '../../common/process.js';
import { existingNamespaces, ip, namespacePids, rootLinks, run } from './commands.js';
import { closeTapsOn } from './frame-tap.js';
import { stopPid } from './processes.js';
import { stopService } from './service.js';
import { removeLabFiles, type LabPaths } from './state.js';
import type { LabPlan } from './topology.js';

export type Say = (line: string) => void;

const PROCESS_GRACE_MS = 2_000;
const GONE_TIMEOUT_MS = 5_000;

/**
 * Removes what the plan names, and only that: the service, processes left inside the lab's
 * namespaces, the root-namespace veth ends, the namespaces, the state files. Safe to run on a
 * lab that is half built or already gone.
 */
export async function teardownLab(plan: LabPlan, paths: LabPaths, say: Say): Promise<void> {
  const service = await stopService(paths);
  if (service) say(`stopped the population-data service (PID ${service.pid})`);

  const namespaces = await existingNamespaces();
  const ours = Object.values(plan.hosts).filter((h) => namespaces.has(h.namespace));
  // A process still inside a namespace keeps it alive after `ip netns del`, invisible and
  // holding its interfaces; anything running in a lab namespace belongs to the lab.
  for (const host of ours) {
    for (const pid of await namespacePids(host.namespace)) {
      const what = processCommandLine(pid) ?? '';
      if ((await stopPid(pid, PROCESS_GRACE_MS)) === 'absent') continue;
      say(`stopped PID ${pid} left running in ${host.namespace}${what ? `: ${what.slice(0, 80)}` : ''}`);
    }
  }

  const taps = closeTapsOn(plan.rootInterfaces);
  if (taps) say(`closed ${taps} capture${taps > 1 ? 's' : ''} this process had open on the lab's interfaces`);

  // Root ends first: deleting a veth end removes its peer at once, whereas a namespace's
  // interfaces go away later, when the kernel gets round to destroying it.
  const links = await rootLinks();
  for (const name of plan.rootInterfaces) {
    if (links.has(name)) await run(['ip', 'link', 'del', 'dev', name]);
  }
  for (const host of ours) await ip('netns', 'del', host.namespace);

  await waitUntilGone(plan);
  removeLabFiles(paths);
}

async function waitUntilGone(plan: LabPlan): Promise<void> {
  let left: string[] = [];
  for (let waited = 0; waited <= GONE_TIMEOUT_MS; waited += 100) {
    const links = await rootLinks();
    const namespaces = await existingNamespaces();
    left = [
      ...plan.rootInterfaces.filter((n) => links.has(n)),
      ...Object.values(plan.hosts)
        .map((h) => h.namespace)
        .filter((n) => namespaces.has(n)),
    ];
    if (left.length === 0) return;
    await sleep(100);
  }
  throw new RuntimeError(`lab ${plan.prefix} is not fully removed; still present: ${left.join(', ')}`);
}
