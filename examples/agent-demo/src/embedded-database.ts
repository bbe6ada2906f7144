import { createServer } from 'node:net';

/** The demo's database: embedded PGlite behind a PostgreSQL socket on 127.0.0.1. */
export interface EmbeddedDatabase {
  /** A `postgres://` URL `pg` connects to. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts PGlite (PostgreSQL compiled to WebAssembly, in memory) and serves it on a free loopback
 * port, so the demo talks to it with the ordinary `pg` driver and needs no server.
 *
 * @example
 * ```ts
 * const db = await startEmbeddedDatabase();
 * const pool = new pg.Pool({ connectionString: db.url });
 * ```
 * @throws Error when no loopback port can be bound.
 */
export async function startEmbeddedDatabase(): Promise<EmbeddedDatabase> {
  const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite-socket'),
  ]);
  const db = await PGlite.create();
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: 64 });
    try {
      await server.start();
    } catch (err) {
      lastError = err;
      continue;
    }
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
      async close() {
        await server.stop();
        await db.close();
      },
    };
  }
  await db.close();
  throw new Error('could not bind the embedded database to a loopback port', { cause: lastError });
}

function freePort(): Promise<number> {
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
