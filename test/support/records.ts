import type { ConnRecord } from '../../sensor/record.js';

/** A plausible connection record, different for each i, for transport and indexing tests. */
export function sampleRecord(i: number, tsSec = 1_790_000_000): ConnRecord {
  return {
    ts: tsSec + i / 1000,
    tsSec: tsSec + Math.floor(i / 1000),
    tsNsec: (i % 1000) * 1_000_000,
    uid: `C${i.toString(36).padStart(8, '0')}`,
    origH: `198.18.10.${(i % 200) + 1}`,
    origP: 40_000 + (i % 20_000),
    respH: '198.18.0.10',
    respP: 8443,
    proto: 'tcp',
    ipProto: 6,
    service: 'ssl',
    duration: 0.25,
    durationNs: 250_000_000,
    origBytes: 517 + i,
    respBytes: 4000,
    connState: 'SF',
    missedBytes: 0,
    history: 'ShADadFf',
    origPkts: 8,
    origIpBytes: 900 + i,
    respPkts: 7,
    respIpBytes: 4400,
    tunnelParents: [],
    vlan: undefined,
    innerVlan: undefined,
    mplsLabels: [],
    communityId: '1:abcdefghijklmnopqrstuvwxyz0=',
    interim: false,
    evicted: false,
    weirds: [],
    app: undefined,
    policy: undefined,
  };
}
