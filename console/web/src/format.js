import { lang } from './i18n.js';

/** Times are stored in UTC and always shown in Vietnam's time zone, whatever the browser's. */
export const TIME_ZONE = 'Asia/Ho_Chi_Minh';

const formatters = new Map();
function formatter(kind) {
  const key = `${lang.value}:${kind}`;
  if (!formatters.has(key)) {
    /** @type {Intl.DateTimeFormatOptions} */
    const opts = kind === 'short' ? { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false } : { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false };
    formatters.set(key, new Intl.DateTimeFormat(lang.value === 'vi' ? 'vi-VN' : 'en-GB', { ...opts, timeZone: TIME_ZONE }));
  }
  return formatters.get(key);
}

export function fmtTime(iso, kind = 'long') {
  if (!iso) return '';
  const d = typeof iso === 'number' ? new Date(iso) : new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : formatter(kind).format(d);
}

/** A UTC ISO time as the value of a datetime-local input, in Vietnam time (UTC+7, no daylight saving). */
export function toLocalInput(iso) {
  const d = new Date(Date.parse(iso) + 7 * 3_600_000);
  return d.toISOString().slice(0, 16);
}

export function fromLocalInput(v) {
  return new Date(Date.parse(`${v}:00Z`) - 7 * 3_600_000).toISOString();
}

export const SEVERITY_ORDER = { low: 0, medium: 1, high: 2, critical: 3 };

/** Any value from a document as one line of text (objects as JSON): rendered as text, never markup. */
export function text(v) {
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function get(obj, path) {
  if (obj && path in obj) return obj[path];
  let v = obj;
  for (const p of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = v[p];
  }
  return v;
}
