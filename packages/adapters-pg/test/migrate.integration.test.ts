// migrate(): creates the store's and the sink's tables in their own schema, once, and is safe to
// run again and from several callers at once.
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgApprovalStore, migrate } from '../src/index.js';

let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  pool.on('error', () => undefined);
});

afterAll(async () => {
  await pool.end();
  await db.close();
});

async function tables(schema: string): Promise<string[]> {
  const result = await pool.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
    [schema],
  );
  return result.rows.map((r) => r.name);
}

describe('migrate', () => {
  it('creates nothing until it runs: the store fails closed with what to do', async () => {
    const store = createPgApprovalStore(pool, { schema: 'not_yet' });
    const err = await store.list({}, new Date()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_APPROVAL_STORE' });
    expect((err as Error).message).toContain("run migrate(pool, { schema: 'not_yet' }) first");
    await store.close();
  });

  it('creates the tables and the version table, then does nothing the second time', async () => {
    expect(await migrate(pool)).toEqual({ schema: 'portcullis', version: 2, applied: [1, 2] });
    expect(await tables('portcullis')).toEqual(['approvals', 'recording', 'schema_version']);
    expect(await migrate(pool)).toEqual({ schema: 'portcullis', version: 2, applied: [] });
    const versions = await pool.query<{ version: number; description: string }>(
      'SELECT version, description FROM portcullis.schema_version',
    );
    expect(versions.rows).toEqual([
      { version: 1, description: 'approvals and the append-only recording' },
      { version: 2, description: 'recording retention: pruning whole sessions, with a tombstone' },
    ]);
  });

  it('keeps schemas apart and applies each once when several callers race', async () => {
    const results = await Promise.all([1, 2, 3, 4].map(() => migrate(pool, { schema: 'audit_2' })));
    expect(results.map((r) => r.applied).sort()).toEqual([[], [], [], [1, 2]]);
    expect(await tables('audit_2')).toEqual(['approvals', 'recording', 'schema_version']);
  });

  it('refuses a schema newer than it knows', async () => {
    await migrate(pool, { schema: 'future' });
    await pool.query(
      "INSERT INTO future.schema_version (version, description) VALUES (99, 'from the future')",
    );
    await expect(migrate(pool, { schema: 'future' })).rejects.toThrow(
      'schema future is at version 99, newer than this @portcullis/pg knows (2); upgrade the library',
    );
  });

  it.each(['Portcullis', 'a-b', 'x; DROP TABLE t', '', 'a'.repeat(49)])(
    'refuses the schema name %j',
    async (schema) => {
      await expect(migrate(pool, { schema })).rejects.toThrow(TypeError);
    },
  );
});
