import { BlockList } from 'node:net';
import { describe, expect, it } from 'vitest';
import { COMMUNE_LAN, HOSTS, labPlan, POPULATION_SERVICE, type Family, type HostName, type LabPlan } from '../../lab/net/index.js';
import { hostAddress, validatePrefix } from '../../lab/net/topology.js';

// The plan is pure data; these tests hold it to the rules of the machine (addresses only from
// the benchmarking range and the lab's ULA prefix, names within the kernel's limits) and prove
// its routing by walking it, so an edit that breaks a path fails here, not in a kernel test.

const plan = labPlan('chot');
const longest = labPlan('abcdefg');

function within(addr: string, cidr: string, family: Family): boolean {
  const [net, len] = cidr.split('/') as [string, string];
  const list = new BlockList();
  list.addSubnet(net, Number(len), family === 4 ? 'ipv4' : 'ipv6');
  return list.check(addr, family === 4 ? 'ipv4' : 'ipv6');
}

function cidrsOf(p: LabPlan, host: HostName, family: Family): string[] {
  return p.hosts[host].interfaces.map((i) => (family === 4 ? i.ipv4 : i.ipv6)).filter((c): c is string => c !== undefined);
}

function ownerOf(p: LabPlan, addr: string, family: Family): HostName | undefined {
  return HOSTS.find((h) => cidrsOf(p, h, family).some((c) => c.split('/')[0] === addr));
}

/** The hosts a packet visits from `from` to `addr`, following the plan's connected subnets and routes. */
function walk(p: LabPlan, from: HostName, addr: string, family: Family): HostName[] {
  const path: HostName[] = [from];
  const target = ownerOf(p, addr, family);
  let at = from;
  for (let hop = 0; hop < HOSTS.length; hop++) {
    if (at === target) return path;
    if (at !== from && !p.hosts[at].forwarding) throw new Error(`${at} does not forward (path ${path.join(' → ')})`);
    const connected = cidrsOf(p, at, family).some((c) => within(addr, c, family));
    let next: HostName | undefined;
    if (connected) next = target;
    else {
      const routes = p.hosts[at].routes
        .filter((r) => r.family === family && (r.to === 'default' || within(addr, r.to, family)))
        .sort((a, b) => (b.to === 'default' ? 0 : Number(b.to.split('/')[1])) - (a.to === 'default' ? 0 : Number(a.to.split('/')[1])));
      const route = routes[0];
      if (!route) throw new Error(`${at} has no route to ${addr}`);
      if (!cidrsOf(p, at, family).some((c) => within(route.via, c, family))) throw new Error(`${at}'s gateway ${route.via} is not on a connected subnet`);
      next = ownerOf(p, route.via, family);
    }
    if (!next) throw new Error(`${at} hands ${addr} to nobody`);
    path.push(next);
    at = next;
  }
  throw new Error(`routing loop: ${path.join(' → ')}`);
}

describe('the lab plan', () => {
  it('keeps the addresses other lab parts rely on', () => {
    expect(POPULATION_SERVICE).toEqual({ ipv4: '198.18.0.10', ipv6: 'fd00:c407::10', port: 8443 });
    expect(hostAddress(plan, 'dc')).toBe('198.18.0.10');
    expect(hostAddress(plan, 'attacker')).toBe('198.18.10.66');
    expect(hostAddress(plan, 'attacker', 6)).toBe('fd00:c407:0:10::66');
    for (const h of ['client1', 'client2', 'attacker'] as const) expect(within(hostAddress(plan, h), COMMUNE_LAN.ipv4, 4), h).toBe(true);
  });

  it('uses only 198.18.0.0/15 and fd00:c407::/48', () => {
    for (const host of HOSTS) {
      for (const c of cidrsOf(plan, host, 4)) expect(within(c.split('/')[0]!, '198.18.0.0/15', 4), c).toBe(true);
      for (const c of cidrsOf(plan, host, 6)) expect(within(c.split('/')[0]!, 'fd00:c407::/48', 6), c).toBe(true);
      for (const r of plan.hosts[host].routes) expect(within(r.via, r.family === 4 ? '198.18.0.0/15' : 'fd00:c407::/48', r.family), r.via).toBe(true);
    }
  });

  it('names interfaces within 15 characters, even for the longest prefix', () => {
    for (const name of longest.rootInterfaces) expect(name.length, name).toBeLessThanOrEqual(15);
    for (const p of longest.lan.ports) expect(p.port.length).toBeLessThanOrEqual(15);
    expect(longest.captureInterfaces).toEqual({ commune: 'abcdefg-c-wan', district: 'abcdefg-d-wan', province: 'abcdefg-p-wan' });
  });

  it('gives two prefixes no name in common, so a test lab and a demo lab coexist', () => {
    const other = labPlan('chott');
    const names = (p: LabPlan): string[] => [...p.rootInterfaces, ...HOSTS.map((h) => p.hosts[h].namespace)];
    expect(names(plan).filter((n) => names(other).includes(n))).toEqual([]);
    expect(names(plan).every((n) => n.startsWith('chot-'))).toBe(true);
  });

  it('gives every interface a distinct, locally administered unicast MAC', () => {
    const macs = HOSTS.flatMap((h) => plan.hosts[h].interfaces.map((i) => i.mac)).filter((m): m is string => m !== undefined);
    expect(new Set(macs).size).toBe(macs.length);
    for (const m of macs) {
      expect(m).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      expect(Number.parseInt(m.slice(0, 2), 16) & 0b11, m).toBe(0b10);
    }
  });

  it('routes every LAN host to the service and back, in both families', () => {
    for (const family of [4, 6] as const) {
      const service = family === 4 ? POPULATION_SERVICE.ipv4 : POPULATION_SERVICE.ipv6;
      for (const host of ['client1', 'client2', 'attacker'] as const) {
        expect(walk(plan, host, service, family)).toEqual([host, 'commune', 'district', 'province', 'dc']);
        expect(walk(plan, 'dc', hostAddress(plan, host, family), family)).toEqual(['dc', 'province', 'district', 'commune', host]);
      }
    }
  });

  it('routes between every pair of hosts', () => {
    for (const family of [4, 6] as const) {
      for (const from of HOSTS) for (const to of HOSTS) expect(() => walk(plan, from, hostAddress(plan, to, family), family), `${from} → ${to}`).not.toThrow();
    }
  });

  it('refuses a prefix that would break interface names or look like a path', () => {
    for (const bad of ['', 'Chot', 'chot-x', 'abcdefgh', '1abc', 'ch ot', '../x']) expect(() => validatePrefix(bad), bad).toThrow(/prefix/);
    expect(validatePrefix('chott')).toBe('chott');
  });
});
