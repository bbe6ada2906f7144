import { createServer } from 'node:net';

/** An embedded PGlite database served over the PostgreSQL protocol on 127.0.0.1. */
export interface EmbeddedPostgres {
  /** A `postgres://` URL the ordinary `pg` driver connects to. */
  readonly url: string;
  /** Stops the server and the database. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts PGlite (PostgreSQL compiled to WebAssembly, in memory) and serves it on a free loopback
 * port, so code talks to it with the ordinary `pg` driver and no server is installed. PGlite has
 * one backend session shared by every connection (see `NEEDS_MULTI_SESSION`).
 *
 * @example
 * ```ts
 * const db = await startEmbeddedPostgres();
 * const pool = new pg.Pool({ connectionString: db.url });
 * ```
 * @throws Error when no loopback port can be bound.
 */
export async function startEmbeddedPostgres(
  options: { maxConnections?: number } = {},
): Promise<EmbeddedPostgres> {
  const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite-socket'),
  ]);
  const db = await PGlite.create();
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const server = new PGLiteSocketServer({
      db,
      host: '127.0.0.1',
      port,
      maxConnections: options.maxConnections ?? 256,
    });
    try {
      await server.start();
    } catch (err) {
      // Another process took the port between probing and binding: probe again.
      lastError = err;
      continue;
    }
    let closed = false;
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
      async close() {
        if (closed) return;
        closed = true;
        await server.stop();
        await db.close();
      },
    };
  }
  await db.close();
  throw new Error('could not bind an embedded PGlite server to a loopback port', { cause: lastError });
}

/**
 * A loopback TCP port that was free a moment ago (another process may still take it: bind and
 * retry).
 *
 * @example
 * ```ts
 * const port = await freePort();
 * ```
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port from the loopback probe'));
      });
    });
  });
}
