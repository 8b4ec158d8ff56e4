import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { UsageError } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { startMetricsEndpoint } from '../common/metrics.js';
import { addIssuingCa, initPki } from './ca/init.js';
import { issueServiceCertificate } from './ca/issue.js';
import { generateKeyPair, plainPrivateKeyPem, spkiDer } from './ca/keys.js';
import { ROOT_NAME } from './ca/layout.js';
import { enrollNode } from './enroll/client.js';
import { RenewalScheduler } from './enroll/renewal.js';
import { startEnrollmentService } from './enroll/service.js';
import { mintTokens } from './enroll/tokens.js';
import { readInventory } from './inventory.js';
import { listCertificates, STATUSES } from './list.js';
import { parseNodeId } from './node-id.js';
import { Pki } from './pki.js';
import { publishCrl } from './revoke/publish.js';
import { revoke } from './revoke/revoke.js';
import type { Role } from './roles.js';
import { writeFileAtomic } from './store/atomic-file.js';
import { summariseCrls } from './tls/material.js';
import { pemBlocks } from './x509/pem.js';
import type { CertificateStatus } from './store/issuance-store.js';
import type { KeyAlgorithm } from './ca/keys.js';
import type { RevocationReason } from './revoke/reasons.js';
import {
  cliActor,
  defaultNodeDir,
  defaultPkiDir,
  formatTable,
  parseDuration,
  parseKeyType,
  parseListen,
  parsePositiveInt,
  parseReason,
  parseRole,
  readSecret,
} from './cli-support.js';

const say = (text: string): void => {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
};

const dirOption = (): Option => new Option('--dir <dir>', `the CA directory (default ${defaultPkiDir()}, or CHOT_PKI_DIR)`);
const passphraseOption = (): Option => new Option('--passphrase-file <file>', 'file holding the issuing CA key passphrase (or set CHOT_CA_PASSPHRASE)');
const rootPassphraseOption = (): Option => new Option('--root-passphrase-file <file>', 'file holding the root CA key passphrase (or set CHOT_ROOT_PASSPHRASE)');
const operatorOption = (): Option => new Option('--operator <name>', 'who is acting, for the audit log (default: the user behind sudo, or the login user)');

const issuingPassphrase = (file?: string): string => readSecret({ file, flag: '--passphrase-file', env: 'CHOT_CA_PASSPHRASE', what: 'issuing CA passphrase' });
const rootPassphrase = (file?: string): string => readSecret({ file, flag: '--root-passphrase-file', env: 'CHOT_ROOT_PASSPHRASE', what: 'root CA passphrase' });

/** `chot certs …`: the sector's PKI. */
export function registerCertsCommands(program: Command): Command {
  const certs = program.command('certs').description("the sector's PKI: CAs, enrollment, renewal, revocation, the certificate inventory");

  certs
    .command('init')
    .description('create the offline root CA and an online issuing CA (keys encrypted with passphrases, files mode 0600); with --add-issuing, add another issuing CA under the existing root')
    .addOption(dirOption())
    .addOption(passphraseOption())
    .addOption(rootPassphraseOption())
    .option('--org <name>', 'organisation name in CA and node certificates', 'Chốt')
    .option('--issuing <name>', 'name of the first issuing CA', 'issuing-1')
    .option('--add-issuing <name>', 'add an issuing CA (e.g. per region) to an initialised directory')
    .option('--crl-url <url>', 'base URL where CRLs are published as <url>/<ca>.crl (the enrollment service serves /crl/)', 'https://pki.chot.local:8444/crl')
    .option('--key-type <type>', 'issuing CA key: ec-p256, ec-p384, rsa-3072', parseKeyType, 'ec-p256')
    .option('--root-key-type <type>', 'root CA key: ec-p256, ec-p384, rsa-3072', parseKeyType, 'ec-p384')
    .option('--node-cert-days <days>', 'lifetime of node certificates', parsePositiveInt, 14)
    .addOption(operatorOption())
    .option('--json', 'print JSON')
    .action(
      async (f: {
        dir?: string;
        passphraseFile?: string;
        rootPassphraseFile?: string;
        org: string;
        issuing: string;
        addIssuing?: string;
        crlUrl: string;
        keyType: KeyAlgorithm;
        rootKeyType: KeyAlgorithm;
        nodeCertDays: number;
        operator?: string;
        json?: boolean;
      }) => {
        const dir = f.dir ?? defaultPkiDir();
        const actor = cliActor(f.operator);
        const pki = f.addIssuing
          ? await addIssuingCa(dir, { name: f.addIssuing, passphrase: issuingPassphrase(f.passphraseFile), rootPassphrase: rootPassphrase(f.rootPassphraseFile), keyAlgorithm: f.keyType, actor })
          : await initPki({
              dir,
              passphrase: issuingPassphrase(f.passphraseFile),
              rootPassphrase: rootPassphrase(f.rootPassphraseFile),
              organization: f.org,
              issuingName: f.issuing,
              crlBaseUrl: f.crlUrl,
              issuingKeyAlgorithm: f.keyType,
              rootKeyAlgorithm: f.rootKeyType,
              nodeCertificateDays: f.nodeCertDays,
              actor,
            });
        const summary = { dir, root: pki.paths.root.cert, issuing: pki.config.issuing.map((n) => ({ name: n, cert: pki.paths.issuing(n).cert })) };
        if (f.json) say(JSON.stringify(summary, null, 2));
        else {
          say(`CA directory ${dir}`);
          say(`root CA      ${summary.root}  (offline: move root/key.pem off this machine once issuing CAs exist)`);
          for (const i of summary.issuing) say(`issuing CA   ${i.name}  ${i.cert}`);
        }
      },
    );

  certs
    .command('token')
    .description('mint single-use enrollment tokens bound to a node and role (stored hashed); --inventory mints one for every node of a fleet')
    .addOption(dirOption())
    .option('--node <id>', 'the node, e.g. 01/001/00001 or chot://node/01/001/00001')
    .option('--inventory <file>', 'an inventory JSON file: one token per province, district and commune')
    .option('--role <role>', 'role the certificate will carry: sensor, collector, enforcer, console, operator', parseRole, 'sensor')
    .option('--ttl <duration>', 'how long the token stays usable (e.g. 72h, 7d)', parseDuration, 7 * 86_400_000)
    .option('--out <file>', 'write tokens here as JSON lines, mode 0600 (required with --inventory)')
    .addOption(operatorOption())
    .option('--json', 'print JSON')
    .action(async (f: { dir?: string; node?: string; inventory?: string; role: Role; ttl: number; out?: string; operator?: string; json?: boolean }) => {
      if (Boolean(f.node) === Boolean(f.inventory)) throw new UsageError('give exactly one of --node ID or --inventory FILE');
      if (f.inventory && !f.out) throw new UsageError('--inventory needs --out FILE: tokens for a whole fleet do not belong on a terminal');
      if (f.out && existsSync(f.out)) throw new UsageError(`${f.out} exists; tokens are never overwritten`);
      const nodes = f.inventory ? readInventory(f.inventory).map((n) => n.nodeId) : [parseNode(f.node!)];
      const pki = Pki.open(f.dir ?? defaultPkiDir());
      const minted = await mintTokens(
        pki,
        nodes.map((nodeId) => ({ nodeId, role: f.role })),
        { ttlMs: f.ttl, actor: cliActor(f.operator) },
      );
      const lines = minted.map((m) => ({ nodeId: m.nodeId, role: m.role, token: m.token, tokenId: m.id, expiresAt: m.expiresAt.toISOString() }));
      if (f.out) {
        writeFileAtomic(f.out, lines.map((l) => JSON.stringify(l)).join('\n') + '\n', 0o600);
        say(f.json ? JSON.stringify({ tokens: lines.length, out: f.out }) : `${lines.length} token(s) for role ${f.role}, valid until ${lines[0]?.expiresAt}, written to ${f.out}`);
      } else if (f.json) say(JSON.stringify(lines[0]));
      else say(minted[0]!.token);
    });

  certs
    .command('serve')
    .description('run the HTTPS enrollment service: tokens + CSRs in, certificate chains out; renewal over mTLS; CRLs re-signed on schedule')
    .addOption(dirOption())
    .addOption(passphraseOption())
    .option('--listen <host:port>', 'where to listen', parseListen, { host: '0.0.0.0', port: 8444 })
    .option('--name <name...>', 'host names / IPs for the service certificate (what nodes connect to)', ['localhost', '127.0.0.1'])
    .option('--ca <name>', 'the issuing CA to sign with (default: the first)')
    .option('--crl-refresh <duration>', 're-sign the CRL when it is this old', parseDuration, 86_400_000)
    .option('--metrics <host:port>', 'serve Prometheus /metrics here (TLS refusals, CRL freshness)', parseListen)
    .option('--refusals-per-minute <n>', 'refused enrollments or renewals an address may have at once, and earns back per minute; past them it gets 429', parsePositiveInt, 30)
    .action(async (f: { dir?: string; passphraseFile?: string; listen: { host: string; port: number }; name: string[]; ca?: string; crlRefresh: number; metrics?: { host: string; port: number }; refusalsPerMinute: number }) => {
      const pki = Pki.open(f.dir ?? defaultPkiDir());
      const ca = pki.unlock(f.ca ?? pki.config.defaultIssuing, issuingPassphrase(f.passphraseFile));
      const metrics = f.metrics ? await startMetricsEndpoint({ role: 'certs', host: f.metrics.host, port: f.metrics.port }) : undefined;
      const refusalLimit = { burst: f.refusalsPerMinute, perMinute: f.refusalsPerMinute };
      const service = await startEnrollmentService({ pki, ca, host: f.listen.host, port: f.listen.port, names: f.name, crlRefreshMs: f.crlRefresh, refusalLimit, ...(metrics ? { registry: metrics.registry } : {}) });
      say(`enrollment service ${service.url}  (issuing CA ${ca.name})${metrics ? `  metrics ${metrics.url}` : ''}`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          void Promise.all([service.close(), metrics?.close()]).then(() => resolve());
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  certs
    .command('enroll')
    .description("enroll this node: generate its key here (it never leaves), send a CSR with the token, install the returned chain")
    .requiredOption('--url <url>', 'the enrollment service, e.g. https://pki.example:8444')
    .requiredOption('--node <id>', 'this node id, as bound to the token')
    .requiredOption('--ca-file <file>', 'the root CA certificate from the provisioning bundle')
    .option('--token-file <file>', 'file holding the token (or set CHOT_ENROLL_TOKEN)')
    .option('--out <dir>', `where to keep the key and certificates (default ${defaultNodeDir()}, or CHOT_NODE_DIR)`)
    .option('--key-type <type>', 'ec-p256 (default), ec-p384 or rsa-3072', parseKeyType, 'ec-p256')
    .option('--json', 'print JSON')
    .action(async (f: { url: string; node: string; caFile: string; tokenFile?: string; out?: string; keyType: KeyAlgorithm; json?: boolean }) => {
      const token = readSecret({ file: f.tokenFile, flag: '--token-file', env: 'CHOT_ENROLL_TOKEN', what: 'enrollment token' });
      let caPem: string;
      try {
        caPem = readFileSync(f.caFile, 'utf8');
      } catch (err) {
        throw new UsageError(`cannot read --ca-file ${f.caFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
      const r = await enrollNode({ url: f.url, token, nodeId: parseNode(f.node), caPem, dir: f.out ?? defaultNodeDir(), keyAlgorithm: f.keyType });
      if (typeof r.crls !== 'number') process.stderr.write(`chot: warning: enrolled, but the CRLs could not be fetched (${r.crls.error}); \`chot certs renew\` fetches them again\n`);
      say(f.json ? JSON.stringify(r) : `enrolled ${r.role} ${r.nodeId}: serial ${r.serial}, valid until ${r.notAfter.toISOString()}, in ${r.dir}`);
    });

  certs
    .command('renew')
    .description('renew this node\'s certificate over mTLS with the current one (same node and role, new key); --watch keeps renewing at 2/3 of each lifetime')
    .requiredOption('--url <url>', 'the enrollment service')
    .option('--out <dir>', `the node's credential directory (default ${defaultNodeDir()})`)
    .option('--if-due', 'only renew if the certificate has reached its renewal time (for timers/cron)')
    .option('--watch', 'stay running and renew whenever due (retrying with backoff)')
    .option('--json', 'print JSON')
    .action(async (f: { url: string; out?: string; ifDue?: boolean; watch?: boolean; json?: boolean }) => {
      const scheduler = new RenewalScheduler({ url: f.url, dir: f.out ?? defaultNodeDir(), logger: createLogger('certs.renewal') });
      if (f.watch) {
        scheduler.start();
        say(`renewal scheduled for ${scheduler.nextRenewal().toISOString()}`);
        await new Promise<void>((resolve) => {
          scheduler.once('expired', () => {
            process.exitCode = 1;
            resolve();
          });
          const stop = (): void => {
            scheduler.stop();
            resolve();
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        return;
      }
      if (f.ifDue && scheduler.nextRenewal() > new Date()) {
        say(`not due: renewal at ${scheduler.nextRenewal().toISOString()}`);
        return;
      }
      const r = await scheduler.renewNow();
      say(f.json ? JSON.stringify(r) : `renewed ${r.role} ${r.nodeId}: serial ${r.serial}, valid until ${r.notAfter.toISOString()}`);
    });

  certs
    .command('revoke')
    .description('revoke a certificate by serial, or every unexpired certificate of a node, and re-sign the CRL at once')
    .argument('<serial|node>', 'a certificate serial (hex) or a node id')
    .addOption(new Option('--reason <reason>', 'why (RFC 5280): key-compromise, affiliation-changed, superseded, cessation-of-operation, privilege-withdrawn, ca-compromise, unspecified').argParser(parseReason).makeOptionMandatory())
    .addOption(dirOption())
    .addOption(passphraseOption())
    .addOption(rootPassphraseOption())
    .addOption(operatorOption())
    .option('--json', 'print JSON')
    .action(async (target: string, f: { reason: RevocationReason; dir?: string; passphraseFile?: string; rootPassphraseFile?: string; operator?: string; json?: boolean }) => {
      const pki = Pki.open(f.dir ?? defaultPkiDir());
      const outcome = await revoke(pki, target, f.reason, {
        actor: cliActor(f.operator),
        unlock: (name) => pki.unlock(name, name === ROOT_NAME ? rootPassphrase(f.rootPassphraseFile) : issuingPassphrase(f.passphraseFile)),
      });
      if (f.json) {
        say(JSON.stringify({ revoked: outcome.revoked.map((e) => e.serial), alreadyRevoked: outcome.alreadyRevoked.map((e) => e.serial), crls: outcome.crls.map((c) => ({ ca: c.ca, number: c.number, entries: c.entries })) }));
        return;
      }
      for (const e of outcome.revoked) say(`revoked ${e.serial}  ${e.subject}  (${f.reason})`);
      for (const e of outcome.alreadyRevoked) say(`already revoked ${e.serial}  ${e.subject}`);
      for (const c of outcome.crls) say(`CRL ${c.ca} #${c.number}: ${c.entries} entries, next update ${c.nextUpdate.toISOString()}  ${c.path}`);
    });

  certs
    .command('crl')
    .description('re-sign and publish CRLs now (the enrollment service also does it on schedule); --show prints their state without signing')
    .addOption(dirOption())
    .addOption(passphraseOption())
    .addOption(rootPassphraseOption())
    .option('--ca <name>', 'one issuing CA (default: every issuing CA)')
    .option('--root', 'also re-sign the root CA\'s CRL (needs the root passphrase)')
    .option('--show', 'print each CRL\'s number, entries and next update; sign nothing')
    .addOption(operatorOption())
    .option('--json', 'print JSON')
    .action(async (f: { dir?: string; passphraseFile?: string; rootPassphraseFile?: string; ca?: string; root?: boolean; show?: boolean; operator?: string; json?: boolean }) => {
      const pki = Pki.open(f.dir ?? defaultPkiDir());
      if (f.show) {
        const rows = pki.allCaNames().map((name) => {
          const [s] = summariseCrls({ key: '', cert: pki.certPem(name), ca: [pki.certPem(ROOT_NAME)], crls: pemBlocks(pki.crlPem(name)).map((b) => b.text) });
          return { ca: name, number: s?.number, entries: s?.revoked.size ?? 0, thisUpdate: s?.thisUpdate.toISOString(), nextUpdate: s?.nextUpdate.toISOString() };
        });
        if (f.json) say(JSON.stringify(rows));
        else say(formatTable(['CA', 'NUMBER', 'ENTRIES', 'THIS UPDATE', 'NEXT UPDATE'], rows.map((r) => [r.ca, String(r.number ?? '-'), String(r.entries), r.thisUpdate ?? '-', r.nextUpdate ?? '-'])));
        return;
      }
      const names = [...(f.root ? [ROOT_NAME] : []), ...(f.ca ? [f.ca] : pki.config.issuing)];
      const cas = names.map((n) => pki.unlock(n, n === ROOT_NAME ? rootPassphrase(f.rootPassphraseFile) : issuingPassphrase(f.passphraseFile)));
      const actor = cliActor(f.operator);
      const published = await pki.exclusive(() => cas.map((ca) => publishCrl(pki, ca, actor)));
      if (f.json) say(JSON.stringify(published.map((c) => ({ ca: c.ca, number: c.number, entries: c.entries, nextUpdate: c.nextUpdate, path: c.path }))));
      else for (const c of published) say(`CRL ${c.ca} #${c.number}: ${c.entries} entries, next update ${c.nextUpdate.toISOString()}  ${c.path}`);
    });

  certs
    .command('server-cert')
    .description('issue a TLS server certificate for a service reached by name (the SOC console, an enrollment service behind a balancer): key generated here, written with the chain and root to --out')
    .addOption(dirOption())
    .addOption(passphraseOption())
    .requiredOption('--name <name...>', 'host names and IPs clients reach the service by (the certificate is valid for these only)')
    .requiredOption('--out <dir>', 'where to write key.pem (0600), cert.pem (with the issuing CA) and ca.pem (the root)')
    .option('--ca <name>', 'the issuing CA to sign with (default: the first)')
    .option('--days <n>', 'lifetime in days', parsePositiveInt, 90)
    .addOption(operatorOption())
    .action(async (f: { dir?: string; passphraseFile?: string; name: string[]; out: string; ca?: string; days: number; operator?: string }) => {
      const pki = Pki.open(f.dir ?? defaultPkiDir());
      const ca = pki.unlock(f.ca ?? pki.config.defaultIssuing, issuingPassphrase(f.passphraseFile));
      const dnsNames = f.name.filter((n) => !isIP(n));
      const ips = f.name.filter((n) => isIP(n));
      const keys = await generateKeyPair('ec-p256');
      const cert = await issueServiceCertificate(pki, ca, { spki: spkiDer(keys.publicKey), subjectKey: keys.publicKey, dnsNames, ips, actor: cliActor(f.operator), lifetimeDays: f.days });
      const out = resolve(f.out);
      writeFileAtomic(join(out, 'key.pem'), plainPrivateKeyPem(keys.privateKey), 0o600);
      writeFileAtomic(join(out, 'cert.pem'), cert.pem + ca.certPem);
      writeFileAtomic(join(out, 'ca.pem'), pki.certPem(ROOT_NAME));
      say(`issued server certificate ${cert.serial} for ${f.name.join(', ')}, valid until ${cert.notAfter.toISOString()}, in ${out}`);
    });

  certs
    .command('list')
    .description('the certificate inventory: filter by node (and below), role, status, or expiring within N days; table or JSON')
    .addOption(dirOption())
    .option('--node <id>', 'a node and everything under it')
    .option('--role <role>', 'sensor, collector, enforcer, console, operator', parseRole)
    .addOption(new Option('--status <status>', 'lifecycle state').choices(STATUSES))
    .option('--expiring <days>', 'only certificates still valid that expire within this many days', parsePositiveInt)
    .option('--json', 'print JSON')
    .action((f: { dir?: string; node?: string; role?: Role; status?: CertificateStatus; expiring?: number; json?: boolean }) => {
      const pki = Pki.open(f.dir ?? defaultPkiDir());
      const rows = listCertificates(pki, {
        ...(f.node !== undefined ? { node: parseNode(f.node) } : {}),
        ...(f.role ? { role: f.role } : {}),
        ...(f.status ? { status: f.status } : {}),
        ...(f.expiring !== undefined ? { expiringWithinDays: f.expiring } : {}),
      });
      if (f.json) {
        say(JSON.stringify(rows, null, 2));
        return;
      }
      say(formatTable(['SERIAL', 'NODE', 'ROLE', 'STATUS', 'NOT AFTER', 'CA'], rows.map((r) => [r.serial, r.nodeId ?? r.subject, r.role ?? '-', r.status, r.notAfter, r.ca])));
      process.stderr.write(`${rows.length} certificate(s)\n`);
    });

  return certs;
}

function parseNode(input: string): string {
  try {
    return parseNodeId(input);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
