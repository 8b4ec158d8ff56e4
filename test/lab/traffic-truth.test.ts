import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCapture } from '../../lab/traffic/generate.js';
import type { Truth, TruthFlow } from '../../lab/traffic/truth.js';
import { certificateCount, httpStatus, parseClientHello, parseDns, parseHttpRequest, tlsHandshakes } from './traffic-apps.js';
import { type DecodedFlow, type Packet, decodeAll, groupFlows, readPcap } from './traffic-decode.js';

const PROTO_NUMBER = { tcp: 6, udp: 17, icmp: 1, icmp6: 58 } as const;

function keyOf(t: TruthFlow): string {
  const a = `${t.orig_h}/${t.orig_p}`;
  const b = `${t.resp_h}/${t.resp_p}`;
  return `${PROTO_NUMBER[t.proto]}|${a < b ? `${a}|${b}` : `${b}|${a}`}`;
}

/** Zeek's history letters, worked out here from the packets, independently of the generator. */
function zeekHistory(f: DecodedFlow): string {
  let h = '';
  const seen = new Set<string>();
  const add = (dir: number, c: string): void => {
    const letter = dir === 0 ? c : c.toLowerCase();
    if (!seen.has(letter)) {
      seen.add(letter);
      h += letter;
    }
  };
  for (const p of f.packets!) {
    const dir = p.src === f.origH && p.srcPort === f.origP ? 0 : 1;
    const syn = p.tcpFlags & 2;
    const fin = p.tcpFlags & 1;
    const rst = p.tcpFlags & 4;
    const ack = p.tcpFlags & 16;
    if (syn) add(dir, ack ? 'H' : 'S');
    else if (fin) add(dir, 'F');
    else if (rst) add(dir, 'R');
    else if (p.payload.length > 0) add(dir, 'D');
    else if (ack) add(dir, 'A');
  }
  return h;
}

let dir: string;
let pcapPath: string;
let truth: Truth;
let flows: Map<string, DecodedFlow>;
let packets: Packet[];
let frameBytes = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chot-traffic-truth-'));
  pcapPath = join(dir, 'wan.pcap');
  // CHOT_TRAFFIC_TRUTH_PACKETS / _SEED check a larger or another capture the same way (the default is the CLI's default).
  const target = Number(process.env.CHOT_TRAFFIC_TRUTH_PACKETS ?? 20_000);
  const seed = Number(process.env.CHOT_TRAFFIC_TRUTH_SEED ?? 20260101);
  truth = await writeCapture(pcapPath, { seed, packets: target });
  const file = readPcap(pcapPath);
  packets = [...decodeAll(file)];
  for (const r of file.records) frameBytes += r.frame.length;
  flows = groupFlows(packets, { keepPackets: true });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the ground truth against the capture, counted independently', () => {
  it('has the same packet, byte and flow totals', () => {
    expect(packets.length).toBe(truth.capture.packets);
    expect(frameBytes).toBe(truth.capture.frame_bytes);
    expect(statSync(pcapPath).size).toBe(truth.capture.file_bytes);
    expect(flows.size).toBe(truth.flows.length);
    expect(truth.counts.flows).toBe(truth.flows.length);
    expect(new Set(truth.flows.map((f) => f.uid)).size).toBe(truth.flows.length);
    expect(new Set(truth.flows.map(keyOf)).size).toBe(truth.flows.length);
  });

  it('finds every truth flow exactly once with its exact counts, endpoints and times', () => {
    for (const t of truth.flows) {
      const f = flows.get(keyOf(t));
      expect(f, `${t.uid} ${keyOf(t)}`).toBeDefined();
      if (!f) continue;
      const label = `${t.uid} ${t.scenario} ${keyOf(t)}`;
      expect([f.origH, f.origP, f.respH, f.respP], label).toEqual([t.orig_h, t.orig_p, t.resp_h, t.resp_p]);
      expect(f.pkts, label).toEqual([t.orig_pkts, t.resp_pkts]);
      expect(f.ipBytes, label).toEqual([t.orig_ip_bytes, t.resp_ip_bytes]);
      expect(f.appBytes, label).toEqual([t.orig_bytes, t.resp_bytes]);
      expect([f.first.toString(), f.last.toString()], label).toEqual([t.ts_ns, t.last_ts_ns]);
      expect(Math.abs(Number(f.first) / 1e9 - t.ts)).toBeLessThan(1e-6);
    }
  });

  it('states the VLAN tags and per-direction MPLS labels each flow carries', () => {
    let vlan = 0;
    let qinq = 0;
    let mpls2 = 0;
    for (const t of truth.flows) {
      const f = flows.get(keyOf(t))!;
      const tags = [t.vlan, t.inner_vlan].filter((v) => v !== null).join('.');
      expect([...f.vlans], t.uid).toEqual([tags]);
      if (t.mpls) {
        expect(f.mpls[0], t.uid).toBe(t.mpls.orig.join(','));
        if (t.resp_pkts > 0) expect(f.mpls[1], t.uid).toBe(t.mpls.resp.join(','));
        expect(t.mpls.orig).not.toEqual(t.mpls.resp);
        if (t.mpls.orig.length === 2) mpls2++;
      } else {
        expect(f.mpls[0] ?? '', t.uid).toBe('');
      }
      if (t.vlan !== null && t.inner_vlan === null) vlan++;
      if (t.inner_vlan !== null) qinq++;
    }
    expect(vlan).toBeGreaterThan(10);
    expect(qinq).toBeGreaterThan(3);
    expect(mpls2).toBeGreaterThan(3);
  });

  it('gives the TCP history and conn_state Zeek derives from the packets', () => {
    for (const t of truth.flows) {
      const f = flows.get(keyOf(t))!;
      if (t.proto === 'udp') expect(t.history).toBe(t.resp_pkts ? 'Dd' : 'D');
      if (t.proto !== 'tcp') continue;
      expect(f.firstFlags & 0x12, t.uid).toBe(0x02); // every TCP flow opens with a bare SYN from orig
      expect(t.history, t.uid).toBe(zeekHistory(f));
      const [o, r] = f.flagsSeen;
      const expected =
        r & 4 ? (o & 16 ? 'RSTR' : 'REJ') : o & 4 ? 'RSTO' : o & 1 && r & 1 ? 'SF' : t.resp_pkts === 0 ? 'S0' : 'S1';
      expect(t.conn_state, `${t.uid} ${t.history}`).toBe(expected);
    }
    const states = new Set(truth.flows.map((f) => f.conn_state));
    for (const s of ['SF', 'S0', 'REJ', 'RSTO', 'RSTR', 'S1', 'OTH']) expect(states).toContain(s);
  });

  it('keeps every flow inside Zeek inactivity timeouts and the file in time order', () => {
    for (const f of flows.values()) {
      const limit = f.proto === 'tcp' ? 300e9 : 60e9;
      expect(Number(f.maxGapNs), f.key).toBeLessThan(limit);
    }
    for (let i = 1; i < packets.length; i++) {
      if (packets[i]!.ts < packets[i - 1]!.ts) throw new Error(`packet ${i} is earlier than packet ${i - 1}`);
    }
  });

  it('writes correct IPv4 header and TCP/UDP/ICMP checksums', () => {
    const bad = packets.filter((p) => !p.ipChecksumOk || !p.l4ChecksumOk);
    expect(bad.length).toBe(0);
  });

  it('carries the traffic kinds the lab needs', () => {
    const protos = truth.counts.by_proto;
    for (const p of ['tcp', 'udp', 'icmp', 'icmp6']) expect(protos[p]).toBeGreaterThan(0);
    expect(truth.flows.some((f) => f.ip_version === 6 && f.proto === 'tcp')).toBe(true);
    expect(truth.flows.some((f) => f.ip_version === 6 && f.proto === 'udp')).toBe(true);
    for (const s of ['dns', 'ssl', 'http', 'ssh']) expect(truth.counts.by_service[s]).toBeGreaterThan(0);
    for (const f of truth.flows.filter((x) => x.proto === 'icmp' || x.proto === 'icmp6')) {
      expect([f.orig_p, f.resp_p]).toEqual(f.proto === 'icmp' ? [8, 0] : [128, 129]);
      expect(f.conn_state).toBe('OTH');
    }
  });
});

describe('application facts in the truth match the payloads', () => {
  const stream = (f: DecodedFlow, dir: 0 | 1): Buffer => Buffer.concat(f.head[dir]);

  it('DNS: query name, type, rcode and answer count', () => {
    for (const t of truth.flows.filter((x) => x.dns)) {
      const f = flows.get(keyOf(t))!;
      const q = parseDns(f.head[0][0]!);
      const r = parseDns(f.head[1][0]!);
      expect([q.name, q.qtype, q.id, q.response], t.uid).toEqual([t.dns!.query, t.dns!.qtype, t.dns!.trans_id, false]);
      expect([r.name, r.rcode, r.answers, r.response], t.uid).toEqual([t.dns!.query, t.dns!.rcode, t.dns!.answers.length, true]);
    }
  });

  it('TLS: SNI, ALPN, versions and whether the client sent a certificate', () => {
    let tls13 = 0;
    for (const t of truth.flows.filter((x) => x.tls)) {
      const f = flows.get(keyOf(t))!;
      const client = tlsHandshakes(stream(f, 0));
      expect(client[0]?.type, t.uid).toBe(1);
      const hello = parseClientHello(client[0]!.body);
      expect(hello.sni, t.uid).toBe(t.tls!.sni);
      expect(hello.alpn, t.uid).toEqual(t.tls!.alpn_offered);
      for (const ext of [0, 10, 13, 16]) expect(hello.extensions, t.uid).toContain(ext);
      if (t.tls!.version === 'TLSv13') {
        tls13++;
        expect(hello.supportedVersions).toContain(0x0304);
        expect(hello.keyShareGroups.length).toBeGreaterThan(0);
        const serverHello = tlsHandshakes(stream(f, 1))[0]!;
        expect(serverHello.type).toBe(2);
      } else {
        const cert = client.find((m) => m.type === 11);
        const sent = cert !== undefined && certificateCount(cert.body) > 0;
        expect(sent, t.uid).toBe(t.tls!.client_cert_sent);
        expect(cert === undefined ? 'absent' : sent ? 'sent' : 'empty', t.uid).toBe(t.tls!.client_cert);
        expect(tlsHandshakes(stream(f, 1)).map((m) => m.type)).toEqual([2, 11, 12, 13, 14]);
      }
    }
    expect(tls13).toBeGreaterThan(10);
  });

  it('HTTP: method, URI, Host, User-Agent and status', () => {
    for (const t of truth.flows.filter((x) => x.http)) {
      const f = flows.get(keyOf(t))!;
      const req = parseHttpRequest(stream(f, 0));
      const tx = t.http![0]!;
      expect([req.method, req.uri, req.host, req.userAgent], t.uid).toEqual([tx.method, tx.uri, tx.host, tx.user_agent]);
      expect(httpStatus(stream(f, 1)), t.uid).toBe(tx.status_code);
    }
  });

  it('SSH: both banners', () => {
    for (const t of truth.flows.filter((x) => x.ssh)) {
      const f = flows.get(keyOf(t))!;
      expect(stream(f, 0).toString('latin1').split('\r\n')[0], t.uid).toBe(t.ssh!.client);
      expect(stream(f, 1).toString('latin1').split('\r\n')[0], t.uid).toBe(t.ssh!.server);
    }
  });
});

describe('scenarios', () => {
  const tagged = (tag: string): TruthFlow[] => truth.flows.filter((f) => f.scenario === tag);
  const summary = (tag: string) => truth.scenarios.find((s) => s.tag === tag)!;

  it('summarises each scenario with the uids of its flows', () => {
    for (const s of truth.scenarios) {
      expect(new Set(s.uids), s.tag).toEqual(new Set(tagged(s.tag).map((f) => f.uid)));
      expect(s.flows).toBe(s.uids.length);
      expect(s.packets).toBe(tagged(s.tag).reduce((n, f) => n + f.orig_pkts + f.resp_pkts, 0));
    }
    expect(truth.scenarios.map((s) => s.tag).sort()).toEqual(['dns_tunnel', 'exfil', 'host_sweep', 'popdata_no_client_cert', 'popdata_plaintext', 'port_scan', 'ssh_bruteforce']);
  });

  it('port scan: one source, 1000 ports of one host, mostly refused', () => {
    const f = tagged('port_scan');
    expect(new Set(f.map((x) => x.orig_h))).toEqual(new Set(['198.18.10.66']));
    expect(new Set(f.map((x) => x.resp_h)).size).toBe(1);
    expect(new Set(f.map((x) => x.resp_p)).size).toBeGreaterThanOrEqual(1000);
    expect(f.filter((x) => x.conn_state === 'REJ').length).toBeGreaterThan(0.9 * f.length);
    expect(f.filter((x) => x.history === 'ShR').length).toBe(3);
  });

  it('host sweep: one source, one port, a whole /24', () => {
    const f = tagged('host_sweep');
    expect(new Set(f.map((x) => x.orig_h))).toEqual(new Set(['198.18.10.66']));
    expect(new Set(f.map((x) => x.resp_p))).toEqual(new Set([445]));
    expect(new Set(f.map((x) => x.resp_h)).size).toBe(254);
  });

  it('SSH brute force: many short sessions to port 22 from one source, each with banners and a close', () => {
    const f = tagged('ssh_bruteforce');
    expect(f.length).toBeGreaterThanOrEqual(50);
    for (const x of f) {
      expect([x.orig_h, x.resp_p, x.service, x.conn_state]).toEqual(['198.18.10.66', 22, 'ssh', 'SF']);
      expect(x.duration).toBeLessThan(30);
    }
  });

  it('exfiltration: one session sending 50+ MB out in MSS-sized segments', () => {
    const [x] = tagged('exfil');
    expect(x).toBeDefined();
    expect(x!.orig_bytes).toBeGreaterThan(50_000_000);
    const f = flows.get(keyOf(x!))!;
    expect(f.maxPayload[0]).toBe(1460);
    expect(f.maxPayloadCount[0]).toBeGreaterThan(0.95 * f.dataPkts[0]);
  });

  it('DNS tunnel: many TXT queries with long random labels under one domain', () => {
    const f = tagged('dns_tunnel');
    expect(f.length).toBeGreaterThanOrEqual(300);
    const domains = new Set(f.map((x) => x.dns!.query.split('.').slice(-2).join('.')));
    expect(domains.size).toBe(1);
    for (const x of f) {
      expect(x.dns!.qtype_name).toBe('TXT');
      expect(x.dns!.query.split('.')[0]!.length).toBeGreaterThanOrEqual(50);
      expect(x.dns!.answers.length).toBe(1);
    }
  });

  it('population data: plaintext HTTP and TLS without a client certificate on 198.18.0.10:8443', () => {
    const plain = tagged('popdata_plaintext');
    expect(plain.length).toBeGreaterThan(0);
    for (const x of plain) {
      expect([x.resp_h, x.resp_p, x.service]).toEqual(['198.18.0.10', 8443, 'http']);
      expect(Buffer.concat(flows.get(keyOf(x))!.head[0]).toString('latin1')).toMatch(/^(GET|POST) \//);
    }
    const noCert = tagged('popdata_no_client_cert');
    expect(noCert.length).toBeGreaterThan(0);
    expect(new Set(noCert.map((x) => x.tls!.client_cert))).toEqual(new Set(['empty', 'absent']));
    for (const x of noCert) expect([x.resp_h, x.resp_p, x.tls!.client_cert_sent, x.tls!.established]).toEqual(['198.18.0.10', 8443, false, false]);
    const mtls = tagged('popdata_mtls');
    expect(mtls.length).toBeGreaterThan(0);
    for (const x of mtls) expect([x.resp_p, x.tls!.client_cert_sent]).toEqual([8443, true]);
  });
});
