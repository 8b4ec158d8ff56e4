import { badRequest } from '../http/errors.js';

/**
 * A page cursor: the point in time and the sort values of the last row given. It
 * carries no authority: the query, with the user's scope, is rebuilt from the request
 * on every page, so a cursor copied from someone else shows nothing more.
 */
export interface PageCursor {
  pit: string;
  after: unknown[];
}

export function encodeCursor(c: PageCursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(text: string): PageCursor {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as PageCursor;
    if (typeof c.pit === 'string' && Array.isArray(c.after) && c.after.length <= 4) return c;
  } catch {
    // fall through
  }
  throw badRequest('not a valid page cursor');
}
