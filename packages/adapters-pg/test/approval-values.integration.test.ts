// An approval binds the values of a parameterised request, not only its text: approving
// `DELETE … WHERE id = $1` for id 1 must not let the requester run it for id 2.
import { ReviewRequiredError, type Portcullis } from '@portcullis/core';
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatedPool, type GatedPool } from '../src/index.js';
import { agent, bob, createSchema, engine } from './fixtures.js';

let db: TestDatabase;
let portcullis: Portcullis;
let gated: GatedPool;

beforeAll(async () => {
  db = await createTestDatabase();
  await createSchema(db.url);
  portcullis = await engine();
  gated = createGatedPool({ config: { connectionString: db.url, max: 2 }, portcullis, target: 'warehouse' });
});
afterAll(async () => {
  await gated.end();
  await db.close();
});

async function total(id: number): Promise<string> {
  const raw = new pg.Client({ connectionString: db.url });
  await raw.connect();
  try {
    const result = await raw.query<{ total: string }>(
      'SELECT total::text AS total FROM orders WHERE id = $1',
      [id],
    );
    return result.rows[0]!.total;
  } finally {
    await raw.end();
  }
}

describe('approvals bind parameter values', () => {
  it('an approval for one set of values does not run the text with others', async () => {
    const sql = 'UPDATE orders SET total = total + $1 WHERE id = $2';
    const session = gated.as(agent);
    const before = { one: await total(1), two: await total(2) };
    const held = await session.query(sql, [1, 1]).catch((e: unknown) => e);
    expect(held).toBeInstanceOf(ReviewRequiredError);
    const id = (held as ReviewRequiredError).approvalId;
    // The values are bound through the hash; the record keeps them for approvers to see, masked.
    expect((await portcullis.approvals.get(id))?.request).toEqual({ type: 'sql', sql, params: ['1', '1'] });
    await portcullis.approvals.approve(id, bob);

    const other = await session.query(sql, [1000, 2]).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(ReviewRequiredError);
    expect((other as ReviewRequiredError).approvalId).not.toBe(id);
    expect(await total(2)).toBe(before.two);

    const ran = await session.query(sql, [1, 1]);
    expect(ran.rowCount).toBe(1);
    expect(await total(1)).not.toBe(before.one);
  });

  it('values are read once: an object cannot show the gate one value and the wire another', async () => {
    let reads = 0;
    const shifty = {
      toPostgres: () => (++reads === 1 ? '1' : '2'),
    };
    const session = gated.as(agent);
    const held = await session
      .query('UPDATE orders SET total = total WHERE id = $1', [shifty])
      .catch((e: unknown) => e);
    expect(held).toBeInstanceOf(ReviewRequiredError);
    const id = (held as ReviewRequiredError).approvalId;
    expect(id).toBeDefined();
    expect(reads).toBe(1);
  });
});
