export { EVENT_FIELD, decodeAlertEvent, encodeAlertEvent } from '../../../rules/alert-events.js';

/** Stream entry ids ("ms-seq") compared as numbers, never as strings ("9-0" < "10-0"). */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  const d = BigInt(am!) - BigInt(bm!);
  if (d !== 0n) return d < 0n ? -1 : 1;
  const e = BigInt(as ?? '0') - BigInt(bs ?? '0');
  return e === 0n ? 0 : e < 0n ? -1 : 1;
}

export const STREAM_ID = /^\d{1,20}-\d{1,20}$/;
