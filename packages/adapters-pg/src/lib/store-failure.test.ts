// Store failures reach whoever made the request (as a denial's reason or an error): they say
// what failed, never where the state database is.
import { createServer } from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createPgApprovalStore } from '../approval-store.js';
import { createColumnCatalog } from './column-catalog.js';
import { messageOf } from './approval-store-rows.js';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  return port;
}

describe('store failures', () => {
  it('an unreachable state database: the error names neither host nor port', async () => {
    const port = await closedPort();
    const pool = new pg.Pool({
      host: '127.0.0.1',
      port,
      user: 'x',
      database: 'x',
      connectionTimeoutMillis: 2000,
    });
    const store = createPgApprovalStore(pool);
    try {
      const err = await store.get('a1', new Date()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      const text = `${(err as Error).message} ${JSON.stringify(err)} ${JSON.stringify((err as Error).cause ?? null)}`;
      expect(text).not.toContain('127.0.0.1');
      expect(text).not.toContain(String(port));
      expect((err as Error).message).toMatch(/unreachable \(ECONNREFUSED\)/);
    } finally {
      await store.close();
      await pool.end();
    }
  });

  it.each([
    'connect ECONNREFUSED 10.1.2.3:5432',
    'getaddrinfo ENOTFOUND state-db.internal.example:5432',
    'connect ECONNREFUSED [::1]:6543',
  ])('addresses are replaced in %s', (message) => {
    const out = messageOf(new Error(message));
    expect(out).toContain('<address>');
    expect(out).not.toMatch(/5432|6543|10\.1\.2\.3|state-db/);
  });
});

describe('the column-source catalog query', () => {
  it('qualifies every name, type and operator, so pg_temp cannot shadow one', async () => {
    let seen = '';
    await createColumnCatalog().sources([{ tableID: 16384, columnID: 1 }], (text) => {
      seen = text;
      return Promise.resolve([]);
    });
    // Every cast names pg_catalog; every comparison is OPERATOR(pg_catalog.=); no bare IN list.
    for (const cast of seen.match(/::[\w.]+/g) ?? []) expect(cast).toMatch(/^::pg_catalog\./);
    expect(seen).not.toMatch(/[^(.]=|\bIN\s*\(/);
    expect(seen).toContain('OPERATOR(pg_catalog.=)');
    for (const from of seen.match(/(?:FROM|JOIN)\s+[\w.]+/g) ?? []) expect(from).toMatch(/pg_catalog\./);
  });
});
