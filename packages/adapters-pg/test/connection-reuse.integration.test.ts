// A session keeps a connection without session state only until the event loop's next check
// phase: its back-to-back queries take it once, and it is back in the pool, open, a turn later.
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatedPool, type GatedPool } from '../src/index.js';
import { admin, alice, createSchema, engine } from './fixtures.js';

let db: TestDatabase;
let raw: pg.Pool;
let gated: GatedPool;
const events = { acquire: 0, release: 0, remove: 0 };

beforeAll(async () => {
  db = await createTestDatabase();
  await createSchema(db.url);
  // Handed over, so the test can watch pg-pool itself: one connection for every session.
  raw = new pg.Pool({ connectionString: db.url, max: 1 });
  raw.on('acquire', () => events.acquire++);
  raw.on('release', () => events.release++);
  raw.on('remove', () => events.remove++);
  gated = createGatedPool({ pool: raw, portcullis: await engine(), target: 'warehouse' });
});

afterAll(async () => {
  await gated.end();
  await db.close();
});

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function counted(): { acquire: number; release: number; remove: number } {
  return { ...events };
}

describe('a session and its pooled connection between requests', () => {
  it('takes the connection once for queries sent back to back, and gives it back a turn later', async () => {
    await turn();
    const before = counted();
    const session = gated.as(alice);
    const names: unknown[] = [];
    for (let id = 1; id <= 5; id++) {
      const result = await session.query('SELECT id FROM big WHERE id = $1', [id]);
      names.push(result.rows[0]?.['id']);
    }
    expect(names).toEqual([1, 2, 3, 4, 5]);
    expect(counted().acquire - before.acquire).toBe(1);
    expect(raw.idleCount).toBe(0);
    await turn();
    expect(counted().release - before.release).toBe(1);
    expect(raw.idleCount).toBe(1);
    expect(raw.totalCount).toBe(1);
    await session.end();
  });

  it("lets another session have the pool's only connection once the turn ends", async () => {
    const first = gated.as(alice);
    const second = gated.as(admin);
    await first.query('SELECT 1 AS one');
    // The pool has one connection and the first session still keeps it: the second waits for
    // the turn to end, then gets it (reset for it, as every connection another session used).
    const result = await second.query('SELECT current_setting($1) AS name', ['application_name']);
    expect(result.rows).toHaveLength(1);
    const again = await first.query('SELECT 2 AS two');
    expect(again.rows).toEqual([{ two: 2 }]);
    await Promise.all([first.end(), second.end()]);
  });

  it('gives a kept connection back open when the session ends in the same turn', async () => {
    await turn();
    const before = counted();
    const session = gated.as(alice);
    await session.query('SELECT 1 AS one');
    await session.end();
    expect(counted().remove - before.remove).toBe(0);
    expect(counted().release - before.release).toBe(1);
    expect(raw.totalCount).toBe(1);
    expect(raw.idleCount).toBe(1);
  });

  it('keeps a connection that holds a prepared statement past the turn, as before', async () => {
    const session = gated.as(admin);
    await session.query('PREPARE reuse_probe AS SELECT 1 AS one');
    await turn();
    await turn();
    // The prepared statement lives on that connection: the session still holds it.
    expect(raw.idleCount).toBe(0);
    const result = await session.query('EXECUTE reuse_probe');
    expect(result.rows).toEqual([{ one: 1 }]);
    await session.end();
    // Session state never goes back to the pool: that connection is closed.
    await turn();
    expect(raw.idleCount + raw.totalCount).toBeLessThanOrEqual(1);
  });
});
