import type { ReadableStreamReadResult } from 'node:stream/web';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

/**
 * Adapts a fetch-style handler to Node's `http` (and Express/Connect, which pass the same
 * objects): builds a `Request` from the incoming message, streams the `Response` back, and
 * cancels a streamed body when the client goes away. `origin` is the public origin the handler
 * is served under (the Host header is not trusted for it). Used by the approval console and the
 * MCP server's HTTP transport.
 *
 * @example
 * ```ts
 * http.createServer(toNodeHandler((request) => handle(request), 'https://ops.example.com'));
 * ```
 */
export function toNodeHandler(
  handler: (request: Request) => Promise<Response>,
  origin: string,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    // Express strips the mount path into req.url and keeps it in originalUrl.
    const path = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      else headers.set(name, value);
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const init: RequestInit & { duplex?: 'half' } = { method, headers };
    if (method !== 'GET' && method !== 'HEAD') {
      init.body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
      init.duplex = 'half';
    }
    let request: Request;
    try {
      request = new Request(new URL(path, origin), init);
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request');
      return;
    }
    void handler(request).then(
      async (response) => {
        const out: Record<string, string | string[]> = {};
        response.headers.forEach((value, name) => {
          if (name === 'set-cookie') return;
          out[name] = value;
        });
        const cookies = response.headers.getSetCookie();
        if (cookies.length > 0) out['set-cookie'] = cookies;
        res.writeHead(response.status, out);
        if (response.body === null) {
          res.end();
          return;
        }
        const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
        res.on('close', () => {
          void reader.cancel().catch(() => undefined);
        });
        try {
          for (;;) {
            const next: ReadableStreamReadResult<Uint8Array> = await reader.read();
            if (next.done) break;
            if (!res.write(next.value)) await new Promise((resolve) => res.once('drain', resolve));
          }
        } catch {
          // The client went away or the stream was cancelled.
        }
        res.end();
      },
      () => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('the approval console failed');
      },
    );
  };
}
