import { EventEmitter } from 'node:events';
import { createLogger, type Logger } from '../../common/log.js';
import { identityFromPeerCertificate, IdentityError } from '../identity.js';
import { parseCertificate, type ParsedCertificate } from '../x509/certificate.js';
import { EnrollmentFailed, renewNode, type EnrollmentResult } from './client.js';
import { readCurrentCredentials } from './credentials.js';

/**
 * When to renew: at two thirds of the certificate's life, moved by up to ±5% of the
 * life at random, so a fleet enrolled in one afternoon does not renew in one minute.
 */
export function renewalTime(notBefore: Date, notAfter: Date, random: () => number = Math.random): Date {
  const life = notAfter.getTime() - notBefore.getTime();
  const jitter = (random() * 2 - 1) * 0.05 * life;
  return new Date(notBefore.getTime() + (2 * life) / 3 + jitter);
}

export interface RenewalSchedulerOptions {
  url: string;
  dir: string;
  logger?: Logger;
  /** First retry delay after a failed renewal (default 1 min), doubling up to maxRetryMs (default 1 h). */
  minRetryMs?: number;
  maxRetryMs?: number;
  random?: () => number;
}

/**
 * Keeps a node's certificate renewed: sleeps until renewalTime, renews over mTLS,
 * retries with backoff while the current certificate is still valid. Once it has
 * expired, mTLS renewal is impossible: it emits 'expired' and stops, and the node
 * must enroll again with a new token. Emits 'renewed' with the new identity.
 */
export class RenewalScheduler extends EventEmitter {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failures = 0;
  /** The renewal time drawn for the current certificate: drawn once, so the jitter holds still. */
  private plan: { serial: string; at: number } | undefined;
  private readonly logger: Logger;

  constructor(private readonly opts: RenewalSchedulerOptions) {
    super();
    this.logger = opts.logger ?? createLogger('certs.renewal');
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** When the current certificate is due (for status output). */
  nextRenewal(): Date {
    return new Date(this.dueAt(parseCertificate(readCurrentCredentials(this.opts.dir).certDer)));
  }

  private dueAt(cert: ParsedCertificate): number {
    if (this.plan?.serial !== cert.serial) {
      this.plan = { serial: cert.serial, at: renewalTime(cert.notBefore, cert.notAfter, this.opts.random).getTime() };
    }
    return this.plan.at;
  }

  private schedule(): void {
    if (this.stopped) return;
    const cert = parseCertificate(readCurrentCredentials(this.opts.dir).certDer);
    const now = Date.now();
    if (cert.notAfter.getTime() <= now) {
      this.logger.error({ event: 'renewal.expired', serial: cert.serial, notAfter: cert.notAfter }, 'the certificate has expired: enroll again with a new token');
      this.emit('expired', cert.notAfter);
      this.stopped = true;
      return;
    }
    const due = this.dueAt(cert);
    const backoff = this.failures === 0 ? 0 : Math.min((this.opts.minRetryMs ?? 60_000) * 2 ** (this.failures - 1), this.opts.maxRetryMs ?? 3_600_000);
    const at = Math.max(due, now + backoff);
    // Never sleep past expiry; setTimeout also cannot wait more than ~24.8 days at once.
    const delay = Math.min(at - now, cert.notAfter.getTime() - now, 2 ** 31 - 1);
    this.logger.debug({ event: 'renewal.scheduled', serial: cert.serial, at: new Date(now + delay) }, 'renewal scheduled');
    this.timer = setTimeout(() => void this.tick(), Math.max(delay, 0));
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const cert = parseCertificate(readCurrentCredentials(this.opts.dir).certDer);
    if (Date.now() < this.dueAt(cert) && this.failures === 0) {
      this.schedule(); // woke early (the long-timeout cap)
      return;
    }
    try {
      const result: EnrollmentResult = await this.renewNow();
      this.failures = 0;
      this.logger.info({ event: 'renewal.renewed', serial: result.serial, notAfter: result.notAfter }, 'certificate renewed');
      this.emit('renewed', result);
    } catch (err) {
      this.failures++;
      const permanent = err instanceof EnrollmentFailed && (err.status === 401 || err.status === 403);
      this.logger.warn({ event: 'renewal.failed', err: (err as Error).message, failures: this.failures }, permanent ? 'renewal refused by the CA' : 'renewal failed; will retry');
      this.emit('failed', err);
    }
    this.schedule();
  }

  renewNow(): Promise<EnrollmentResult> {
    try {
      identityFromPeerCertificate(readCurrentCredentials(this.opts.dir).certDer);
    } catch (err) {
      if (err instanceof IdentityError) return Promise.reject(err);
      throw err;
    }
    return renewNode({ url: this.opts.url, dir: this.opts.dir });
  }
}
