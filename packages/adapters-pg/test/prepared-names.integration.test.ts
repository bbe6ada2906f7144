// One model of prepared-statement names per connection: protocol-level named statements and SQL
// PREPARE/DEALLOCATE/DISCARD share the server's namespace, so a name checked as one text must
// never run as another.
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatedPool, type GatedPool } from '../src/index.js';
import { admin, createSchema, engine } from './fixtures.js';

let db: TestDatabase;
let gated: GatedPool;

beforeAll(async () => {
  db = await createTestDatabase();
  await createSchema(db.url);
  gated = createGatedPool({
    config: { connectionString: db.url, max: 1 },
    portcullis: await engine(),
    target: 'warehouse',
  });
});

afterAll(async () => {
  await gated.end();
  await db.close();
});

/** Runs `first` as a named statement, then `between`, then the same name and text again. */
async function swap(between: readonly string[]): Promise<unknown> {
  const session = gated.as(admin);
  try {
    await session.query({ name: 'p', text: 'SELECT 1 AS n' });
    for (const sql of between) await session.query(sql).catch(() => undefined);
    return await session.query({ name: 'p', text: 'SELECT 1 AS n' }).then(
      (r) => r.rows,
      (e: unknown) => e,
    );
  } finally {
    await session.end();
  }
}

describe('a protocol name never runs another text', () => {
  it.each([
    ['DEALLOCATE then PREPARE', ['DEALLOCATE p', 'PREPARE p AS SELECT 2 AS n']],
    ['DEALLOCATE ALL then PREPARE', ['DEALLOCATE ALL', 'PREPARE p AS SELECT 2 AS n']],
    ['DISCARD ALL then PREPARE', ['DISCARD ALL', 'PREPARE p AS SELECT 2 AS n']],
    ['a failed text that deallocated', ['DEALLOCATE p; SELECT 1/0', 'PREPARE p AS SELECT 2 AS n']],
  ])('%s', async (_name, between) => {
    const out = await swap(between);
    // Either the intended text's result, or an error: never the other text's result.
    if (Array.isArray(out)) expect(out).toEqual([{ n: 1 }]);
    else expect(out).toBeInstanceOf(Error);
  });

  it('EXECUTE of a protocol-level name classifies as unknown (its text is not the SQL-level one)', async () => {
    const session = gated.as(admin);
    try {
      await session.query({ name: 'q', text: 'SELECT 1 AS n' });
      const r = await session.query('EXECUTE q').catch((e: unknown) => e);
      expect(r).toBeDefined();
    } finally {
      await session.end();
    }
  });
});
