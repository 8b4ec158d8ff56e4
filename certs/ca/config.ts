import { z } from 'zod';
import { loadConfigFile } from '../../common/config.js';
import { ConfigError } from '../../common/errors.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import { CA_NAME, ROOT_NAME } from './layout.js';

const caName = z
  .string()
  .regex(CA_NAME, 'lower-case letters, digits and dashes, at most 32')
  .refine((n) => n !== ROOT_NAME, { message: '"root" is the root CA' });

/** ca.json: what `init` decided, read by every other command. */
export const pkiConfigSchema = z.strictObject({
  version: z.literal(1),
  organization: z.string().min(1).max(64),
  /** CRLs are published as <crlBaseUrl>/<ca name>.crl (the enrollment service serves them there). */
  crlBaseUrl: z.url({ protocol: /^https?$/ }).refine((u) => !u.endsWith('/'), { message: 'no trailing slash' }),
  issuing: z.array(caName).min(1),
  defaultIssuing: caName,
  nodeCertificateDays: z.number().int().min(1).max(397).default(14),
  /** nextUpdate of an issuing CA's CRL, from its publication: at least 7 days. */
  crlValidityDays: z.number().int().min(7).max(90).default(7),
  rootCrlValidityDays: z.number().int().min(7).max(400).default(180),
  createdAt: z.iso.datetime(),
});
export type PkiConfig = z.infer<typeof pkiConfigSchema>;

export function loadPkiConfig(file: string): PkiConfig {
  const config = loadConfigFile(file, pkiConfigSchema);
  if (!config.issuing.includes(config.defaultIssuing)) {
    throw new ConfigError(file, 'defaultIssuing', `"${config.defaultIssuing}" is not one of the issuing CAs`);
  }
  return config;
}

export function writePkiConfig(file: string, config: PkiConfig): void {
  writeFileAtomic(file, JSON.stringify(config, null, 2) + '\n', 0o600);
}

export const crlUrlOf = (config: Pick<PkiConfig, 'crlBaseUrl'>, caName: string): string => `${config.crlBaseUrl}/${caName}.crl`;
