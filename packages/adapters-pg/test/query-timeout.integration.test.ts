// pg's own query_timeout on a gated pool: pg wraps each query's callback then, and the gate
// must still hear the timeout (and every other answer) for the query it belongs to.
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatedPool, type GatedPool } from '../src/index.js';
import { admin, createSchema, engine } from './fixtures.js';

let db: TestDatabase;
let timed: GatedPool;

beforeAll(async () => {
  db = await createTestDatabase();
  await createSchema(db.url);
  timed = createGatedPool({
    config: { connectionString: db.url, max: 2, query_timeout: 300 },
    portcullis: await engine(),
    target: 'warehouse',
  });
});

afterAll(async () => {
  await timed.end();
  await db.close();
});

describe('a gated pool with pg’s query_timeout', () => {
  it('answers a quick query, fails a slow one with the timeout, and goes on', async () => {
    const session = timed.as(admin);
    await expect(session.query('SELECT $1::int AS n', [7])).resolves.toMatchObject({ rows: [{ n: 7 }] });
    await expect(session.query('SELECT pg_sleep(2)')).rejects.toThrow(/timeout/i);
    await expect(session.query('SELECT 2 AS two')).resolves.toMatchObject({ rows: [{ two: 2 }] });
    await session.end();
  });
});
