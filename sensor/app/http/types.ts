// What the HTTP analyzer reports: one transaction per request (and its
// response), the unit of an http.log row. Text fields are as they came off the
// wire, bounded (see LIMITS in parse.ts); a truncation is counted as a weird.

export interface HttpTransaction {
  /** When the request began, ns since the epoch (the response's when no request was seen). */
  tsNs: bigint;
  /** 1 for the first request on the connection, 2 for the next ... (Zeek's trans_depth). */
  transDepth: number;
  method?: string;
  /** Host header, port included as sent. */
  host?: string;
  uri?: string;
  referrer?: string;
  /** "1.1", "1.0" ... from the request line. */
  requestVersion?: string;
  /** From the status line. */
  responseVersion?: string;
  userAgent?: string;
  origin?: string;
  /** Body bytes after removing chunked framing (Zeek counts the same). */
  requestBodyLen: number;
  responseBodyLen: number;
  /** The final (non-1xx) status. */
  statusCode?: number;
  statusMsg?: string;
  /** The last 1xx status before it. */
  infoCode?: number;
  infoMsg?: string;
  /** The user name of Basic authorization (never the password). */
  username?: string;
  /** Proxy headers as "NAME -> value" (Zeek's proxied). */
  proxied?: string[];
  /** True once the whole request (headers and body) was seen. */
  requestComplete: boolean;
  responseComplete: boolean;
}
