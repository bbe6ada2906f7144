import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` in a transaction on one client of `pool`: COMMIT when it resolves, ROLLBACK when it
 * throws (the error is rethrown). A client whose ROLLBACK failed is released as broken.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    }
  } finally {
    client.release(broken);
  }
}
