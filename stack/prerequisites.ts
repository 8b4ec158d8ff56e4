import { existsSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { RuntimeError } from '../common/errors.js';
import { runCommand, which } from '../common/process.js';

const HOW = 'install it with `apt-get install -y {pkg}` (as root, `npm start` and `npm test` do this for you)';

function missing(what: string, pkg: string): RuntimeError {
  return new RuntimeError(`${what} not found: ${HOW.replace('{pkg}', pkg)}`);
}

export function requireBinary(cmd: string, pkg: string): string {
  const path = which(cmd);
  if (!path) throw missing(cmd, pkg);
  return path;
}

/**
 * A Java home that runs Elasticsearch 8 (Java 17 or newer). ES_JAVA_HOME wins, then
 * the Debian OpenJDK 17, then whatever `java` on PATH belongs to.
 */
export async function findJavaHome(): Promise<string> {
  const candidates: string[] = [];
  if (process.env.ES_JAVA_HOME) candidates.push(process.env.ES_JAVA_HOME);
  candidates.push('/usr/lib/jvm/java-17-openjdk-amd64', '/usr/lib/jvm/java-17-openjdk-arm64');
  const onPath = which('java');
  if (onPath) candidates.push(dirname(dirname(realpathSync(onPath))));
  for (const home of candidates) {
    const java = `${home}/bin/java`;
    if (!existsSync(java)) continue;
    const { stderr, stdout } = await runCommand(java, ['-version'], { timeoutMs: 20_000 });
    const m = /version "(\d+)/.exec(stderr + stdout);
    if (m && Number(m[1]) >= 17) return home;
  }
  throw new RuntimeError(`Java 17 or newer not found (set ES_JAVA_HOME): ${HOW.replace('{pkg}', 'openjdk-17-jre-headless')}`);
}
