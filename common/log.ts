import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stderr, so stdout stays free for a command's output
 * (records, tables). CHOT_LOG_LEVEL sets the level (default info).
 */
export function createLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return pino(
    {
      level: process.env.CHOT_LOG_LEVEL ?? 'info',
      base: { component, pid: process.pid, ...bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
