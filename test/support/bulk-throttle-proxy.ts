import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of a real Elasticsearch that makes it refuse chosen items of
 * bulk requests as an overloaded node does: those items are taken out of the request, so
 * Elasticsearch never sees them, and put back into its answer at their places with status
 * 429 (es_rejected_execution_exception). `dropLastItem` instead sends everything and cuts
 * the answer's last item off. Every other request passes through unchanged.
 */
export class BulkThrottleProxy {
  private server: Server | undefined;
  /** Bulk requests seen, counting from 1. */
  requests = 0;
  /** The ids of each bulk request's items, in order, as the client sent them. */
  readonly ids: string[][] = [];

  constructor(
    private readonly target: URL,
    /** Positions to refuse in the nth bulk request (1-based). */
    private readonly plan: (n: number, items: number) => { refuse?: number[]; dropLastItem?: boolean },
  ) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(
        ({ status, headers, body }) => {
          res.writeHead(status, headers);
          res.end(body);
        },
        (err: Error) => {
          res.writeHead(502);
          res.end(err.message);
        },
      );
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body = Buffer.concat(chunks);
    const isBulk = req.method === 'POST' && new URL(req.url ?? '/', 'http://x').pathname === '/_bulk';
    let refuse = new Set<number>();
    let dropLast = false;
    if (isBulk) {
      const lines = body.toString('utf8').split('\n').filter((l) => l.length > 0);
      this.ids.push(lines.filter((_, k) => k % 2 === 0).map((l) => (JSON.parse(l) as { create: { _id: string } }).create._id));
      const plan = this.plan(++this.requests, lines.length / 2);
      refuse = new Set(plan.refuse ?? []);
      dropLast = plan.dropLastItem === true;
      body = Buffer.from(lines.filter((_, k) => !refuse.has(Math.floor(k / 2))).map((l) => `${l}\n`).join(''));
    }
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, 'content-length': String(body.length), host: this.target.host };
    // Answers in plain text, so that they can be rewritten.
    delete headers['accept-encoding'];
    const answer = await new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
      const out = request({ host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers }, (r) => {
        const got: Buffer[] = [];
        r.on('data', (c: Buffer) => got.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: Buffer.concat(got) }));
        r.on('error', reject);
      });
      out.on('error', reject);
      out.end(body);
    });
    if (!isBulk || (refuse.size === 0 && !dropLast) || answer.status !== 200) return answer;
    const parsed = JSON.parse(answer.body.toString('utf8')) as { items: unknown[] };
    const items: unknown[] = [];
    const passed = parsed.items.slice();
    const total = passed.length + refuse.size;
    for (let i = 0; i < total; i++) {
      items.push(refuse.has(i) ? { create: { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'rejected by the test proxy' } } } : passed.shift());
    }
    if (dropLast) items.pop();
    const text = Buffer.from(JSON.stringify({ ...parsed, items }));
    const { 'content-length': _, 'transfer-encoding': __, ...rest } = answer.headers;
    return { status: 200, headers: { ...rest, 'content-length': String(text.length) }, body: text };
  }
}
