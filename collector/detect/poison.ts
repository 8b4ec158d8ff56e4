/**
 * A batch the rules fail on every time must not hold up detection: the consumer would
 * retry it first, forever, and nothing behind it would be detected. Failures that pass
 * (Redis or Elasticsearch away, a Redis still loading its data) leave the batch pending,
 * to be tried again; only a failure that this input would cause again is skipped, counted
 * and recorded with its reason.
 */

/** Redis answers that say "not now" rather than "never", even inside a script's error. */
const PASSING = /\b(OOM|LOADING|BUSY|READONLY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|NOREPLICAS|MISCONF|NOSCRIPT)\b/;

/**
 * Whether err would happen again on the same batch: a Lua script that ran and failed on
 * it, or an error of the engine's own code (TypeError, RangeError and the like).
 */
export function failsEveryTime(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (PASSING.test(err.message)) return false;
  if (err.name === 'ReplyError') return /^ERR\b/.test(err.message) && /script/i.test(err.message);
  return err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError;
}

/**
 * Runs the rules on one batch. A failure that would come again is handed to skip (with
 * its reason) and undefined is returned; any other failure is thrown, so the batch stays
 * pending.
 */
export async function detectOrSkip<T>(run: () => Promise<T>, skip: (reason: string) => Promise<void>): Promise<T | undefined> {
  try {
    return await run();
  } catch (err) {
    if (!failsEveryTime(err)) throw err;
    await skip((err as Error).message.slice(0, 1000));
    return undefined;
  }
}
