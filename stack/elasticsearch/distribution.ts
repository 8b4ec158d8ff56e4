import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RuntimeError } from '../../common/errors.js';
import { runCommand } from '../../common/process.js';
import { requireBinary } from '../prerequisites.js';

const GROUP = 'org.elasticsearch.distribution.integ-test-zip';
const ARTIFACT = 'elasticsearch';

export function mavenZipPath(version: string): string {
  const repo = process.env.MAVEN_REPO ?? join(homedir(), '.m2', 'repository');
  return join(repo, ...GROUP.split('.'), ARTIFACT, version, `${ARTIFACT}-${version}.zip`);
}

/**
 * Makes sure the Elasticsearch distribution is unpacked in the cache, fetching the zip
 * from Maven Central once (Maven shows its own progress; the zip stays in ~/.m2 so a
 * wiped cache or a fresh clone re-unpacks without downloading again).
 */
export async function ensureDistribution(version: string, cacheDir: string, log: (line: string) => void): Promise<string> {
  const home = join(cacheDir, `elasticsearch-${version}`);
  if (existsSync(join(home, 'bin', 'elasticsearch'))) return home;

  const zip = mavenZipPath(version);
  if (!existsSync(zip)) {
    const mvn = requireBinary('mvn', 'maven');
    log(`fetching Elasticsearch ${version} from Maven Central (about 110 MB, once)…`);
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(
        mvn,
        ['dependency:get', `-Dartifact=${GROUP}:${ARTIFACT}:${version}:zip`, '-Dtransitive=false'],
        // Maven's progress goes to the user's terminal (stderr), keeping stdout clean.
        { stdio: ['ignore', process.stderr, process.stderr] },
      );
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0 || !existsSync(zip)) {
      throw new RuntimeError(
        `could not fetch ${GROUP}:${ARTIFACT}:${version}:zip with Maven (exit ${code}): check that Maven Central is reachable and the version exists`,
      );
    }
  }

  requireBinary('unzip', 'unzip');
  mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
  // Unpack beside the final place and rename, so an interrupted unpack is never mistaken for a complete one.
  const staging = join(cacheDir, `.unpack-${version}-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  log(`unpacking Elasticsearch ${version} into ${cacheDir}`);
  const r = await runCommand('unzip', ['-q', zip, '-d', staging], { timeoutMs: 300_000 });
  if (r.code !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new RuntimeError(`could not unpack ${zip}: ${r.stderr.trim().split('\n').pop()}`);
  }
  const unpacked = join(staging, `elasticsearch-${version}`);
  if (!existsSync(join(unpacked, 'bin', 'elasticsearch'))) {
    rmSync(staging, { recursive: true, force: true });
    throw new RuntimeError(`${zip} does not hold elasticsearch-${version}/bin/elasticsearch`);
  }
  rmSync(home, { recursive: true, force: true });
  renameSync(unpacked, home);
  rmSync(staging, { recursive: true, force: true });
  return home;
}
