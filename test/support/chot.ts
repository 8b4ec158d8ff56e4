import { spawn } from 'node:child_process';
import { chotBin } from '../../common/paths.js';

export interface ChotResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `chot` executable, as a user would, and collects what it prints. */
export function runChot(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<ChotResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [chotBin, ...args], { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}
