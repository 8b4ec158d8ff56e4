import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { loadConfigFile } from '../common/config.js';
import { RuntimeError, UsageError } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { createRedis, probeRedisOnce, type RedisClient } from '../collector/streams/redis.js';
import { parseNodeId } from '../certs/node-id.js';
import { consoleConfig, type ConsoleConfig } from './config.js';
import { startConsole } from './server/app.js';
import { hashPassword, passwordProblem } from './server/auth/password.js';
import { CONSOLE_ROLES, isConsoleRole, type ConsoleRole } from './server/auth/roles.js';
import { SessionStore } from './server/auth/sessions.js';
import { newTotpSecret, otpauthUri } from './server/auth/totp.js';
import { publicUser, UserExistsError, UserStore, userNameSchema } from './server/auth/users.js';
import { SecretBox } from './server/auth/secret-box.js';

/**
 * A password from a file, or typed at the terminal (not echoed), or the first line of
 * standard input. Never from the command line, where other users can read it in ps.
 */
async function readPassword(file: string | undefined, prompt: string): Promise<string> {
  if (file) return readFileSync(file, 'utf8').split('\n')[0]!.trimEnd();
  if (!process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    return text.split('\n')[0]!.trimEnd();
  }
  const ask = (q: string): Promise<string> =>
    new Promise((resolve) => {
      let muted = false;
      const out = new Writable({ write: (chunk: Buffer, _e, cb) => (muted ? cb() : process.stderr.write(chunk, cb)) });
      const rl = createInterface({ input: process.stdin, output: out, terminal: true });
      rl.question(q, (answer) => {
        rl.close();
        process.stderr.write('\n');
        resolve(answer);
      });
      muted = true;
    });
  const first = await ask(prompt);
  if ((await ask('again: ')) !== first) throw new UsageError('the two passwords differ');
  return first;
}

function parseRoles(values: string[]): ConsoleRole[] {
  const bad = values.filter((r) => !isConsoleRole(r));
  if (bad.length) throw new UsageError(`unknown role ${bad[0]} (roles: ${CONSOLE_ROLES.join(', ')})`);
  return [...new Set(values)] as ConsoleRole[];
}

function parseScope(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  try {
    return parseNodeId(v);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function checkName(name: string): string {
  const r = userNameSchema.safeParse(name);
  if (!r.success) throw new UsageError(r.error.issues[0]!.message);
  return name;
}

async function withUsers<T>(configFile: string, fn: (users: UserStore, sessions: SessionStore, cfg: ConsoleConfig) => Promise<T>): Promise<T> {
  const cfg = loadConfigFile(configFile, consoleConfig);
  await probeRedisOnce(cfg.redis).catch((err: Error) => {
    throw new RuntimeError(`cannot reach Redis at ${new URL(cfg.redis.url).host}: ${err.message}`);
  });
  const redis: RedisClient = createRedis(cfg.redis, 'chot-console-cli');
  try {
    const users = new UserStore(redis, cfg.redis.keyPrefix, cfg.totpKeyFile ? SecretBox.fromFile(cfg.totpKeyFile) : undefined);
    const sessions = new SessionStore(redis, cfg.redis.keyPrefix, users, { idleMs: cfg.sessions.idleMinutes * 60_000, absoluteMs: cfg.sessions.absoluteHours * 3_600_000 });
    return await fn(users, sessions, cfg);
  } finally {
    redis.disconnect();
  }
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function registerConsoleCommands(program: Command): Command {
  const console = program.command('console').description('the SOC console: live alerts, triage, hunting, auditor search');

  console
    .command('run')
    .description('run a console instance (HTTPS, REST, WebSocket, web client) until SIGINT/SIGTERM')
    .requiredOption('-c, --config <file>', 'config file (YAML or JSON)')
    .action(async (flags: { config: string }) => {
      const cfg = loadConfigFile(flags.config, consoleConfig);
      const log = createLogger('console');
      const running = await startConsole(cfg, log, flags.config);
      process.stdout.write(`console listening on ${running.url}${running.metricsUrl ? `, metrics ${running.metricsUrl}` : ''}\n`);
      await new Promise<void>((resolve) => {
        const shutdown = (signal: string): void => {
          log.info({ signal }, 'console stopping');
          void running.stop().then(resolve);
        };
        process.once('SIGINT', shutdown);
        process.once('SIGTERM', shutdown);
      });
    });

  console
    .command('check-config')
    .description('validate a config file and exit: 0 valid, 2 invalid (names the file, key and what was expected)')
    .argument('<file>', 'config file (YAML or JSON)')
    .action((file: string) => {
      loadConfigFile(file, consoleConfig);
      process.stdout.write(`${file}: valid console config\n`);
    });

  const user = console.command('user').description('manage console users (stored in Redis, shared by every console instance)');

  user
    .command('add')
    .description('add a user; the password is read from --password-file, the terminal, or the first line of standard input')
    .argument('<name>', 'user name (lower-case letters, digits, . _ -)')
    .requiredOption('-c, --config <file>', 'console config file')
    .requiredOption('-r, --role <role>', `a role (repeat for several): ${CONSOLE_ROLES.join(', ')}`, collect, [])
    .option('--scope <node>', 'limit the user to a subtree of the hierarchy, e.g. 01 or 01/001')
    .option('--display-name <text>', 'the name shown in the console')
    .option('--password-file <file>', 'read the password from this file')
    .option('--totp', 'also require a TOTP code at login (prints the enrolment URI)')
    .action(async (name: string, f: { config: string; role: string[]; scope?: string; displayName?: string; passwordFile?: string; totp?: boolean }) => {
      checkName(name);
      const roles = parseRoles(f.role);
      const scope = parseScope(f.scope);
      const password = await readPassword(f.passwordFile, `password for ${name}: `);
      const problem = passwordProblem(password);
      if (problem) throw new UsageError(problem);
      const totpSecret = f.totp ? newTotpSecret() : undefined;
      await withUsers(f.config, async (users) => {
        try {
          await users.create({ name, displayName: f.displayName ?? name, roles, ...(scope ? { scope } : {}), passwordHash: await hashPassword(password), ...(totpSecret ? { totpSecret } : {}) });
        } catch (err) {
          if (err instanceof UserExistsError) throw new UsageError(err.message);
          throw err;
        }
      });
      process.stdout.write(`added ${name} (${roles.join(', ')}${scope ? `, scope ${scope}` : ', national'})\n`);
      if (totpSecret) process.stdout.write(`TOTP: ${otpauthUri('Chốt', name, totpSecret)}\n`);
    });

  user
    .command('set')
    .description("change a user's roles, scope, name, password or TOTP; ends their sessions when access changes")
    .argument('<name>')
    .requiredOption('-c, --config <file>', 'console config file')
    .option('-r, --role <role>', 'replace the roles (repeat for several)', collect, [])
    .option('--scope <node>', 'limit the user to this subtree')
    .option('--national', 'remove the scope limit')
    .option('--display-name <text>')
    .option('--password', 'set a new password (read like `add`)')
    .option('--password-file <file>', 'set a new password from this file')
    .option('--totp <action>', 'enrol (new secret, prints the URI) or remove')
    .option('--enable', 'enable a disabled user')
    .action(async (name: string, f: { config: string; role: string[]; scope?: string; national?: boolean; displayName?: string; password?: boolean; passwordFile?: string; totp?: string; enable?: boolean }) => {
      checkName(name);
      if (f.scope && f.national) throw new UsageError('give --scope or --national, not both');
      if (f.totp && f.totp !== 'enrol' && f.totp !== 'enroll' && f.totp !== 'remove') throw new UsageError('--totp takes enrol or remove');
      const roles = f.role.length ? parseRoles(f.role) : undefined;
      const scope = f.national ? null : parseScope(f.scope);
      let passwordHash: string | undefined;
      if (f.password || f.passwordFile) {
        const pw = await readPassword(f.passwordFile, `new password for ${name}: `);
        const problem = passwordProblem(pw);
        if (problem) throw new UsageError(problem);
        passwordHash = await hashPassword(pw);
      }
      const totpSecret = f.totp === 'remove' ? null : f.totp ? newTotpSecret() : undefined;
      await withUsers(f.config, async (users, sessions) => {
        const updated = await users.update(name, {
          ...(roles ? { roles } : {}),
          ...(scope !== undefined ? { scope } : {}),
          ...(f.displayName ? { displayName: f.displayName } : {}),
          ...(passwordHash ? { passwordHash } : {}),
          ...(totpSecret !== undefined ? { totpSecret } : {}),
          ...(f.enable ? { disabled: false } : {}),
        });
        if (!updated) throw new UsageError(`no user ${name}`);
        if (roles || scope !== undefined || passwordHash || totpSecret !== undefined) await sessions.destroyAll(name);
      });
      process.stdout.write(`updated ${name}\n`);
      if (typeof totpSecret === 'string') process.stdout.write(`TOTP: ${otpauthUri('Chốt', name, totpSecret)}\n`);
    });

  user
    .command('disable')
    .description('disable a user and end their sessions at once')
    .argument('<name>')
    .requiredOption('-c, --config <file>', 'console config file')
    .action(async (name: string, f: { config: string }) => {
      checkName(name);
      await withUsers(f.config, async (users, sessions) => {
        if (!(await users.update(name, { disabled: true }))) throw new UsageError(`no user ${name}`);
        const ended = await sessions.destroyAll(name);
        process.stdout.write(`disabled ${name} (${ended} session${ended === 1 ? '' : 's'} ended)\n`);
      });
    });

  user
    .command('list')
    .description('list users')
    .requiredOption('-c, --config <file>', 'console config file')
    .option('--json', 'one JSON object per line')
    .action(async (f: { config: string; json?: boolean }) => {
      await withUsers(f.config, async (users) => {
        for (const u of (await users.list()).map(publicUser)) {
          if (f.json) process.stdout.write(`${JSON.stringify(u)}\n`);
          else process.stdout.write(`${u.name}\t${u.roles.join(',')}\t${u.scope ?? 'national'}\t${u.disabled ? 'disabled' : 'active'}\t${u.totp ? 'totp' : '-'}\t${u.displayName}\n`);
        }
      });
    });
  return console;
}
