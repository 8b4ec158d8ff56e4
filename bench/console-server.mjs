// Runs one console instance in a process of its own, so the benchmark can read the
// server's memory (RSS) apart from the clients'. Usage: node bench/console-server.mjs CONFIG.json
// Prints "port N" once listening; stops on SIGTERM.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { consoleConfig } from '../dist/console/config.js';
import { startConsole } from '../dist/console/server/app.js';

const cfg = consoleConfig.parse(JSON.parse(readFileSync(process.argv[2], 'utf8')));
const running = await startConsole(cfg, pino({ level: process.env.CHOT_LOG_LEVEL ?? 'warn' }));
process.stdout.write(`port ${running.port}\n`);
process.once('SIGTERM', () => void running.stop().then(() => process.exit(0)));
