/** HTTP/1.1 message heads (RFC 9112); bodies are sent separately from the payload pool. */

export interface HttpRequestSpec {
  method: 'GET' | 'POST' | 'HEAD';
  uri: string;
  host: string;
  userAgent: string;
  bodyLength: number;
  contentType?: string;
}

export function httpRequestHead(r: HttpRequestSpec): Buffer {
  const lines = [`${r.method} ${r.uri} HTTP/1.1`, `Host: ${r.host}`, `User-Agent: ${r.userAgent}`, 'Accept: */*', 'Accept-Encoding: gzip, deflate', 'Connection: keep-alive'];
  if (r.bodyLength > 0) lines.push(`Content-Type: ${r.contentType ?? 'application/json'}`, `Content-Length: ${r.bodyLength}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

export const HTTP_STATUS: Record<number, string> = {
  200: 'OK',
  204: 'No Content',
  301: 'Moved Permanently',
  304: 'Not Modified',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
};

export interface HttpResponseSpec {
  status: number;
  date: Date;
  server: string;
  contentType: string;
  bodyLength: number;
}

export function httpResponseHead(r: HttpResponseSpec): Buffer {
  const lines = [
    `HTTP/1.1 ${r.status} ${HTTP_STATUS[r.status] ?? 'Unknown'}`,
    `Date: ${r.date.toUTCString()}`,
    `Server: ${r.server}`,
    `Content-Type: ${r.contentType}`,
    `Content-Length: ${r.bodyLength}`,
    'Connection: keep-alive',
  ];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}
