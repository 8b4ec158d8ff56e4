/**
 * An error a route answers with: a status, a stable machine-readable code the client
 * can branch on, and a message a person can read. Anything else thrown is a 500 whose
 * details go to the log, never to the client.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details?: Record<string, unknown>): HttpError => new HttpError(400, 'bad_request', message, details);
export const notFound = (what: string): HttpError => new HttpError(404, 'not_found', `${what} not found`);
export const forbidden = (message = 'your role does not allow this'): HttpError => new HttpError(403, 'forbidden', message);
export const conflict = (message: string, details?: Record<string, unknown>): HttpError => new HttpError(409, 'conflict', message, details);

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export function errorBody(err: HttpError): ErrorBody {
  return { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
}
