/**
 * Records for rule test cases: a plausible default of each kind that a test case's
 * `set:` overrides field by field, through the same names rules use. Only tests build
 * records this way; the engine never writes to a record.
 */
import type { DnsTransaction, HttpTransaction, SshInfo, TlsInfo } from '../../sensor/app/analyzer.js';
import type { ConnRecord } from '../../sensor/record.js';
import type { EnforcerRecord, HealthRecord, RecordKind } from '../records.js';

export const DEFAULT_NODE = '01/001/00001';
export const DEFAULT_SENSOR = 'sensor-test';

export interface TestTarget {
  kind: RecordKind;
  conn: ConnRecord;
  enforcer: EnforcerRecord;
  health: HealthRecord;
  node: string;
  sensorId: string;
}

export function newTarget(kind: RecordKind, timeMs: number): TestTarget {
  const sec = Math.floor(timeMs / 1000);
  const conn: ConnRecord = {
    ts: timeMs / 1000,
    tsSec: sec,
    tsNsec: Math.round((timeMs - sec * 1000) * 1e6),
    uid: 'CTEST0000000000',
    origH: '198.18.10.10',
    origP: 50000,
    respH: '198.18.0.25',
    respP: 443,
    proto: 'tcp',
    ipProto: 6,
    service: undefined,
    duration: 0,
    durationNs: 0,
    origBytes: 500,
    respBytes: 4000,
    connState: 'SF',
    missedBytes: 0,
    history: 'ShADadFf',
    origPkts: 6,
    origIpBytes: 820,
    respPkts: 6,
    respIpBytes: 4320,
    tunnelParents: [],
    vlan: undefined,
    innerVlan: undefined,
    mplsLabels: [],
    communityId: undefined,
    interim: false,
    evicted: false,
    weirds: [],
    app: undefined,
    policy: undefined,
  };
  const t: TestTarget = {
    kind,
    conn,
    enforcer: { ts: timeMs / 1000, uid: 'ETEST0000000000', clientIp: '198.18.10.10', clientPort: 50000, service: 'popdata', upstreamIp: '198.18.0.10', upstreamPort: 8443, decision: 'allowed', tlsVersion: 'TLSv13' },
    health: { sensorId: DEFAULT_SENSOR, node: DEFAULT_NODE, tsMs: timeMs, lastSeenMs: timeMs, connected: true },
    node: DEFAULT_NODE,
    sensorId: DEFAULT_SENSOR,
  };
  // An application kind starts as that protocol on its usual port.
  if (kind === 'dns') {
    Object.assign(conn, { proto: 'udp', ipProto: 17, respH: '198.18.0.53', respP: 53, service: 'dns', history: 'Dd', connState: 'SF', origPkts: 1, respPkts: 1 });
    dnsOf(t);
  } else if (kind === 'tls') {
    conn.service = 'ssl';
    tlsOf(t);
  } else if (kind === 'http') {
    Object.assign(conn, { respP: 80, service: 'http' });
    httpOf(t);
  } else if (kind === 'ssh') {
    Object.assign(conn, { respP: 22, service: 'ssh' });
    sshOf(t);
  }
  return t;
}

function tsNs(t: TestTarget): bigint {
  return BigInt(t.conn.tsSec) * 1_000_000_000n + BigInt(t.conn.tsNsec);
}

export function dnsOf(t: TestTarget): DnsTransaction {
  const app = (t.conn.app ??= {});
  const list = (app.dns ??= []);
  if (list.length === 0) {
    list.push({ tsNs: tsNs(t), proto: 'udp', transId: 4242, query: 'www.chot.internal', qclass: 1, qtype: 1, opcode: 0, rcode: 0, AA: false, TC: false, RD: true, RA: true, Z: 0, answers: [], rejected: false, sawQuery: true, sawReply: true });
  }
  return list[0]!;
}

export function tlsOf(t: TestTarget): TlsInfo {
  const app = (t.conn.app ??= {});
  return (app.tls ??= { tsNs: tsNs(t), version: 0x0304, clientVersion: 0x0304, cipher: 0x1301, serverName: 'www.chot.internal', resumed: false, established: true, history: 'CsiI', serverCertFps: [], clientCertFps: [], clientCertificate: 'unknown' });
}

export function httpOf(t: TestTarget): HttpTransaction {
  const app = (t.conn.app ??= {});
  const list = (app.http ??= []);
  if (list.length === 0) {
    list.push({ tsNs: tsNs(t), transDepth: 1, method: 'GET', host: 'www.chot.internal', uri: '/', requestVersion: '1.1', responseVersion: '1.1', userAgent: 'Mozilla/5.0', requestBodyLen: 0, responseBodyLen: 1024, statusCode: 200, statusMsg: 'OK', requestComplete: true, responseComplete: true });
  }
  return list[0]!;
}

export function sshOf(t: TestTarget): SshInfo {
  const app = (t.conn.app ??= {});
  return (app.ssh ??= { tsNs: tsNs(t), version: 2, client: 'SSH-2.0-OpenSSH_9.6', server: 'SSH-2.0-OpenSSH_9.2p1' });
}
