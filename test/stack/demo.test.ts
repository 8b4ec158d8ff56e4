import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUp } from '../../lab/net/index.js';
import { ConsoleClient } from '../console/support/client.js';
import { runDemo, tearDownDemo } from '../support/demo.js';
import { freePort, until } from '../support/spine.js';
import { TEST_STACK } from '../support/test-stack.js';

// What `npm start` runs after the stack and the lab: the demo deployment. On the test
// stack, with its own lab, directory, index prefix and ports, it must enroll its nodes
// through the enrollment service, start collector, console, sensor and live traffic,
// print the console URL and a login that works, show scenario alerts in the console
// within a minute, and stop exactly its processes.
const prefix = 'chotdm';
const dir = mkdtempSync(join(tmpdir(), 'chot-demo-'));
const labState = join(dir, 'lab');
const indexPrefix = `chot-demo${process.pid % 10000}`;


describe('the demo deployment of `npm start`', () => {
  let env: Record<string, string>;

  beforeAll(async () => {
    await labUp({ prefix, stateDir: labState });
    const base = await freePort();
    env = { CHOT_DEMO_DIR: join(dir, 'demo'), CHOT_STACK_DIR: TEST_STACK.stateDir, CHOT_DEMO_LAB: prefix, CHOT_DEMO_PORT_BASE: String(base), CHOT_DEMO_INDEX_PREFIX: indexPrefix, CHOT_DEMO_ROUNDS: '1' };
  }, 120_000);

  afterAll(async () => {
    await tearDownDemo({ env, labPrefix: prefix, labState, indexPrefix, dir });
  }, 120_000);

  it('enrolls, starts every role, prints a working login, shows scenario alerts, and stops what it started', async () => {
    const up = runDemo('up', env);
    expect(up.status, up.out).toBe(0);
    expect(up.out).toMatch(/enrolled the demo collector \(01\)/);
    expect(up.out).toMatch(/enrolled the demo sensor \(01\/001\/00001\)/);
    const url = /Console:\s+(https:\/\/\S+)/.exec(up.out)?.[1];
    const password = /Login:\s+demo \/ (\S+)/.exec(up.out)?.[1];
    expect(url, up.out).toBeDefined();
    expect(password, up.out).toBeDefined();
    const pids = Object.fromEntries(['collector', 'console', 'sensor', 'traffic'].map((n) => [n, Number(readFileSync(join(env.CHOT_DEMO_DIR!, 'run', `${n}.pid`), 'utf8'))]));
    for (const pid of Object.values(pids)) expect(existsSync(`/proc/${pid}`)).toBe(true);

    // Idempotent: a second `up` finds everything running and changes nothing.
    const again = runDemo('up', env);
    expect(again.status, again.out).toBe(0);
    expect(again.out).toMatch(/collector already running/);
    expect(again.out).not.toMatch(/enrolled/);

    // The console's CA is the demo PKI's root: the login works over verified TLS.
    const ca = readFileSync(join(env.CHOT_DEMO_DIR!, 'console-tls', 'ca.pem'), 'utf8');
    const client = new ConsoleClient(new URL(url!).origin, ca);
    const login = await client.login('demo', password!);
    expect(login.status, login.text).toBe(200);
    const rules = new Set<string>();
    await until(
      async () => {
        const res = await client.call<{ alerts: Array<{ doc: { rule: { id: string } } }> }>('GET', '/api/alerts?size=100');
        for (const a of res.body.alerts ?? []) rules.add(a.doc.rule.id);
        return rules.has('chot.scan.port_scan') && rules.has('chot.popdata.plaintext');
      },
      120_000,
      'scenario alerts in the console',
    );

    const down = runDemo('down', env);
    expect(down.status, down.out).toBe(0);
    for (const pid of Object.values(pids)) expect(existsSync(`/proc/${pid}`), `PID ${pid} stopped`).toBe(false);
    expect(runDemo('status', env).out).toMatch(/collector\s+stopped/);
  }, 400_000);
});
