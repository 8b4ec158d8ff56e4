/**
 * A capture file as an input of `chot sensor run` ({ file, pace } in `interfaces`):
 * its config errors name the key; a replay makes exactly the records `sensor read`
 * makes of the same file; pacing takes about the capture's own time (or that divided
 * by the factor) without holding the event loop.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { validateConfig } from '../../common/config.js';
import { chotBin } from '../../common/paths.js';
import { createAppAnalyzer } from '../../sensor/app/index.js';
import { FileReader } from '../../sensor/capture/file-reader.js';
import { FileReplay, type ReplayPace } from '../../sensor/capture/replay.js';
import { SensorConfigSchema } from '../../sensor/config.js';
import { ndjsonLine } from '../../sensor/output/ndjson.js';
import { Pipeline } from '../../sensor/pipeline.js';
import { PopulationDataPolicyChecker } from '../../sensor/policy/population-data.js';
import type { ConnRecord } from '../../sensor/record.js';
import { runChot } from '../support/chot.js';
import { ether, ipv4, pcapBytes, pcapngBytes, udpDatagram, bytes, type Frame } from './support/frames.js';
import { LAB_POPULATION_DATA, replayCapture, truthConnectionCount, type ReplayCapture } from '../support/capture-records.js';
import { freePort, until } from '../support/spine.js';

const dir = mkdtempSync(join(tmpdir(), 'chot-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const configError = (raw: unknown): string => {
  try {
    validateConfig('sensor.yaml', raw, SensorConfigSchema);
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
};

describe('the file input of the sensor config', () => {
  it('is told apart from a device by its file key, with a pace that defaults to real time', () => {
    const cfg = validateConfig('sensor.yaml', { interfaces: [{ file: '/x.pcap' }, { file: '/y.pcap', pace: 'topspeed', name: 'y' }, { file: '/z.pcap', pace: 2.5 }, { name: 'eth1' }] }, SensorConfigSchema);
    expect(cfg.interfaces).toEqual([
      { kind: 'file', file: '/x.pcap', pace: 'realtime' },
      { kind: 'file', file: '/y.pcap', pace: 'topspeed', name: 'y' },
      { kind: 'file', file: '/z.pcap', pace: 2.5 },
      { kind: 'device', name: 'eth1', snaplen: 65535, bufferMb: 64 },
    ]);
  });

  it('names the key of every mistake', () => {
    expect(configError({ interfaces: [{ file: '/x.pcap', pace: 'fast' }] })).toMatch(/^sensor\.yaml: interfaces\[0\]\.pace: expected "realtime", "topspeed" or a speed-up factor/);
    expect(configError({ interfaces: [{ name: 'eth1' }, { file: '/x.pcap', pace: 0 }] })).toMatch(/^sensor\.yaml: interfaces\[1\]\.pace: /);
    expect(configError({ interfaces: [{ file: '/x.pcap', bpf: 'tcp' }] })).toMatch(/^sensor\.yaml: interfaces\[0\]\.bpf: unknown key/);
    expect(configError({ interfaces: [{ file: '' }] })).toMatch(/^sensor\.yaml: interfaces\[0\]\.file: /);
    expect(configError({ interfaces: [{ file: 7 }] })).toMatch(/^sensor\.yaml: interfaces\[0\]\.file: expected string/);
    expect(configError({ interfaces: [{ name: 'eth1', pace: 'topspeed' }] })).toMatch(/^sensor\.yaml: interfaces\[0\]\.pace: unknown key/);
    expect(configError({ interfaces: [{}] })).toMatch(/^sensor\.yaml: interfaces\[0\]\.name: expected string, but it is missing/);
  });

  it('`sensor run` refuses a bad pace (exit 2) and a missing capture file (exit 1), naming them', async () => {
    const bad = join(dir, 'bad-pace.yaml');
    writeFileSync(bad, YAML.stringify({ interfaces: [{ file: join(dir, 'none.pcap'), pace: -1 }] }));
    const r1 = await runChot(['sensor', 'run', '--config', bad]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain('interfaces[0].pace');
    const missing = join(dir, 'missing-file.yaml');
    writeFileSync(missing, YAML.stringify({ interfaces: [{ file: join(dir, 'none.pcap'), pace: 'topspeed' }], metrics: { port: 0 } }));
    const r2 = await runChot(['sensor', 'run', '--config', missing]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain(`${join(dir, 'none.pcap')}: file not found`);
  });
});

describe('the file reader paused and continued', () => {
  const frames: Frame[] = Array.from({ length: 50 }, (_, i) => ({ ts: [1_767_225_600 + i, i * 1000] as [number, number], data: ether(ipv4('10.0.0.1', '10.0.0.2', 17, udpDatagram(1000 + i, 53, bytes(10 + i)))) }));
  const files = {
    'le.pcap': pcapBytes(frames),
    'be-ns.pcap': pcapBytes(frames, { bigEndian: true, nano: true }),
    'le.pcapng': pcapngBytes(frames, { tsresol: 9 }),
    'be.pcapng': pcapngBytes(frames, { bigEndian: true }),
  };

  it.each(Object.keys(files))('%s: one packet at a time gives what reading straight through gives', (name) => {
    const file = join(dir, name);
    writeFileSync(file, files[name as keyof typeof files]);
    const row = (b: Uint8Array, off: number, caplen: number, wire: number, sec: number, nsec: number, link: number): string => `${sec}.${nsec} ${caplen}/${wire} ${link} ${Buffer.from(b.subarray(off, off + caplen)).toString('hex')}`;
    const want: string[] = [];
    new FileReader(file).readAll({ packet: (...a) => void want.push(row(...a)) });
    const reader = new FileReader(file);
    const got: string[] = [];
    reader.open();
    let slices = 0;
    while (!reader.continue({ packet: (...a) => (got.push(row(...a)), reader.pause()) })) slices++;
    reader.close();
    expect(want).toHaveLength(50);
    expect(got).toEqual(want);
    expect(slices).toBe(50);
  });
});

describe('a replayed capture', () => {
  const flows = { uidSeed: 4242, recordAt: 'close' as const, interimSec: 0 };
  let cap: ReplayCapture;
  /** A short capture (a few seconds) for the paced replays. */
  let short: ReplayCapture;

  beforeAll(async () => {
    cap = await replayCapture(join(dir, 'mixed.pcap'), { seed: 21, packets: 20_000, exfilBytes: 300_000 }, flows);
    short = await replayCapture(join(dir, 'short.pcap'), { seed: 23, packets: 800, scenarios: false, mix: { unanswered: 0, ssh: 0, bulk: 0 } }, flows);
  }, 60_000);

  it('at topspeed through `chot sensor run` gives exactly the records of `sensor read`, and keeps the sensor running after the file', async () => {
    expect(cap.records.length).toBe(truthConnectionCount(cap.truth));
    const out = join(dir, 'run.ndjson');
    const config = join(dir, 'topspeed.yaml');
    writeFileSync(
      config,
      YAML.stringify({
        interfaces: [{ file: cap.file, pace: 'topspeed', name: 'replay' }],
        flows,
        populationData: LAB_POPULATION_DATA,
        metrics: { host: '127.0.0.1', port: await freePort() },
        output: { format: 'ndjson', file: out },
      }),
    );
    const sensor = spawn(process.execPath, [chotBin, 'sensor', 'run', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CHOT_LOG_LEVEL: 'info' } });
    let log = '';
    sensor.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
    const exited = new Promise<number | null>((r) => sensor.once('exit', (code) => r(code)));
    try {
      await until(() => log.includes('capture file done') || sensor.exitCode !== null, 30_000, `the end of the file (the sensor said: ${log.slice(-500)})`);
      // Said once, and the sensor stays up until it is stopped.
      await new Promise((r) => setTimeout(r, 1500));
      expect(log.match(/capture file done/g)).toHaveLength(1);
      expect(sensor.exitCode).toBe(null);
      const done = JSON.parse(log.split('\n').find((l) => l.includes('capture file done'))!) as { interface: string; packets: number; records: number };
      expect(done).toMatchObject({ interface: 'replay', packets: cap.truth.capture.packets, records: cap.records.length });
    } finally {
      sensor.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const got = readFileSync(out, 'utf8').split('\n').filter(Boolean);
    // The same records, uids included (same seed), in the same order.
    expect(got).toEqual(cap.records.map((r) => ndjsonLine(r)));

    // And `chot sensor read` of the file agrees on everything but its random uids.
    const read = await runChot(['sensor', 'read', cap.file, '--format', 'ndjson', '--record-at', 'close', '--interim', '0', '-q'], { timeoutMs: 60_000 });
    expect(read.code).toBe(0);
    const withoutUids = (line: string): string => line.replace(/"(id|session_id)":"[^"]*"/g, '"$1":""').replace(/"tunnel_parents":\[[^\]]*\]/g, '"tunnel_parents":[]');
    const policyFree = (line: string): unknown => {
      // `sensor read` has no population-data policy configured: compare the connection, not the verdict.
      const o = JSON.parse(withoutUids(line)) as { chot: Record<string, unknown> };
      delete o.chot.population_data;
      return o;
    };
    expect(read.stdout.split('\n').filter(Boolean).map(policyFree).sort(byJson)).toEqual(got.map(policyFree).sort(byJson));
  }, 90_000);

  const paced = async (pace: ReplayPace): Promise<{ seconds: number; records: ConnRecord[]; longestStallMs: number; weirds: Record<string, number> }> => {
    const policy = new PopulationDataPolicyChecker(LAB_POPULATION_DATA.services, LAB_POPULATION_DATA.enforcers);
    const records: ConnRecord[] = [];
    const pipeline = new Pipeline({ outputs: [{ record: (r) => records.push(r) }], analyzers: createAppAnalyzer, policy, flows });
    const replay = new FileReplay(short.file, pace);
    // What `sensor run` does while no packet comes: timers run on the replay's clock.
    let last = performance.now();
    let longestStallMs = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestStallMs = Math.max(longestStallMs, now - last);
      last = now;
      const t = replay.now();
      if (t) pipeline.tick(t.sec, t.nsec);
    }, 10);
    const started = performance.now();
    await replay.run(pipeline);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(ticker);
    pipeline.finish();
    return { seconds, records, longestStallMs, weirds: pipeline.weirds.snapshot() };
  };

  it('in real time takes about as long as the capture, with the records of reading it straight through', async () => {
    expect(short.span).toBeGreaterThan(2);
    expect(short.span).toBeLessThan(8);
    const r = await paced('realtime');
    expect(r.seconds).toBeGreaterThan(short.span * 0.9);
    expect(r.seconds).toBeLessThan(short.span + 3);
    expect(r.records).toEqual(short.records);
    expect(r.weirds).not.toHaveProperty('time_backwards');
    // The event loop ran all along (the uplink sends meanwhile).
    expect(r.longestStallMs).toBeLessThan(250);
  }, 30_000);

  it('with a factor takes the capture time divided by it', async () => {
    const r = await paced(4);
    expect(r.seconds).toBeGreaterThan((short.span / 4) * 0.9);
    expect(r.seconds).toBeLessThan(short.span / 4 + 2);
    expect(r.records).toEqual(short.records);
  }, 30_000);

  it('at topspeed hands over every packet of the file as the reader does', async () => {
    const want: string[] = [];
    new FileReader(cap.file).readAll({ packet: (_b, _o, caplen, wire, sec, nsec, link) => void want.push(`${sec}.${nsec} ${caplen}/${wire} ${link}`) });
    const got: string[] = [];
    const replay = new FileReplay(cap.file, 'topspeed');
    await replay.run({ packet: (_b, _o, caplen, wire, sec, nsec, link) => void got.push(`${sec}.${nsec} ${caplen}/${wire} ${link}`) });
    expect(got).toEqual(want);
    expect(replay.stats().received).toBe(want.length);
  });

  it('stops when told to, mid-file', async () => {
    const replay = new FileReplay(short.file, 'realtime');
    let packets = 0;
    const running = replay.run({ packet: () => void packets++ });
    await new Promise((r) => setTimeout(r, 500));
    replay.stop();
    await running;
    expect(packets).toBeGreaterThan(0);
    expect(packets).toBeLessThan(short.truth.capture.packets);
  });
});

function byJson(a: unknown, b: unknown): number {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
