// drizzle-orm (node-postgres), Kysely (PostgresDialect) and knex (pg, connectionPool) through the
// gated pool facade, on the test database: select with masking, insert … returning, a
// transaction, a denial, a review approved by another person, and what a raw pool would do.
import { inspect } from 'node:util';
import { DeniedError, portcullisErrorOf, ReviewRequiredError, type Portcullis } from '@portcullis/core';
import {
  configuredServerUrl,
  createTestDatabase,
  NEEDS_MULTI_SESSION,
  type TestDatabase,
} from '@portcullis/testing';
import { sql as dsql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { integer, numeric, pgTable, text } from 'drizzle-orm/pg-core';
import knexFactory from 'knex';
import { Kysely, PostgresDialect, sql as ksql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatedPool, type GatedPool } from '../src/index.js';
import { admin, alice, bob, createSchema, engine, rawQuery, secrets } from './fixtures.js';

let db: TestDatabase;
let portcullis: Portcullis;
let gated: GatedPool;

beforeAll(async () => {
  db = await createTestDatabase();
  await createSchema(db.url);
  portcullis = await engine();
  gated = createGatedPool({ config: { connectionString: db.url, max: 6 }, portcullis, target: 'warehouse' });
});

afterAll(async () => {
  await gated.end();
  await db.close();
});

/** The order ids, read past the gate. */
async function orderIds(): Promise<number[]> {
  return (await rawQuery<{ id: number }>(db.url, 'SELECT id FROM orders ORDER BY id')).map((r) => r.id);
}

/** The Portcullis error a library may have wrapped (drizzle: `cause`). */
const unwrap = portcullisErrorOf;

/** What each library must do; ids are per library so the runs do not collide. */
interface Library {
  readonly name: string;
  readonly base: number;
  readonly make: (principal: typeof alice) => { run: Ops; close: () => Promise<void> };
  /**
   * What the library throws for a Portcullis error `e` whose message is `text`: `as-is` (the
   * same error), `prefixed` (the same error, its message prefixed with the SQL), or `wrapped`
   * (another error with `e` as `cause`, whose own message says nothing of it).
   */
  readonly throws: 'as-is' | 'prefixed' | 'wrapped';
}

interface Ops {
  selectUsers: () => Promise<readonly { id: number; email: string; password: string }[]>;
  insertOrder: (id: number) => Promise<readonly { id: unknown }[]>;
  /** Two inserts in one transaction; `fail` throws after them. */
  transaction: (ids: readonly [number, number], fail: boolean) => Promise<void>;
  truncate: () => Promise<unknown>;
}

const users = pgTable('users', {
  id: integer('id').primaryKey(),
  email: text('email'),
  password: text('password'),
});
const orders = pgTable('orders', {
  id: integer('id').primaryKey(),
  userId: integer('user_id'),
  total: numeric('total'),
});

interface KyDb {
  users: { id: number; email: string; password: string };
  orders: { id: number; user_id: number; total: string };
}

const libraries: Library[] = [
  {
    name: 'drizzle-orm (node-postgres)',
    base: 100,
    throws: 'wrapped',
    make(principal) {
      const pool = gated.pool(principal);
      const d = drizzle(pool as never);
      return {
        run: {
          selectUsers: async () =>
            (await d
              .select({ id: users.id, email: users.email, password: users.password })
              .from(users)
              .orderBy(users.id)) as never,
          insertOrder: (id) =>
            d.insert(orders).values({ id, userId: 1, total: '1' }).returning({ id: orders.id }),
          transaction: (ids, fail) =>
            d.transaction(async (tx) => {
              for (const id of ids) await tx.insert(orders).values({ id, userId: 1, total: '1' });
              if (fail) throw new Error('rolled back on purpose');
            }),
          truncate: () => d.execute(dsql`TRUNCATE orders`),
        },
        close: () => pool.end(),
      };
    },
  },
  {
    name: 'kysely (PostgresDialect)',
    base: 200,
    throws: 'as-is',
    make(principal) {
      const k = new Kysely<KyDb>({ dialect: new PostgresDialect({ pool: gated.pool(principal) as never }) });
      return {
        run: {
          selectUsers: () =>
            k.selectFrom('users').select(['id', 'email', 'password']).orderBy('id').execute(),
          insertOrder: (id) =>
            k.insertInto('orders').values({ id, user_id: 1, total: '1' }).returning('id').execute(),
          transaction: (ids, fail) =>
            k.transaction().execute(async (tx) => {
              for (const id of ids)
                await tx.insertInto('orders').values({ id, user_id: 1, total: '1' }).execute();
              if (fail) throw new Error('rolled back on purpose');
            }),
          truncate: () => ksql`TRUNCATE orders`.execute(k),
        },
        close: () => k.destroy(),
      };
    },
  },
  {
    name: 'knex (pg, connectionPool)',
    base: 300,
    throws: 'prefixed',
    make(principal) {
      const pool = gated.pool(principal);
      const k = knexFactory({ client: 'pg', connectionPool: pool as never });
      return {
        run: {
          selectUsers: () => k('users').select('id', 'email', 'password').orderBy('id'),
          insertOrder: (id) => k('orders').insert({ id, user_id: 1, total: 1 }).returning('id'),
          transaction: (ids, fail) =>
            k.transaction(async (tx) => {
              for (const id of ids) await tx('orders').insert({ id, user_id: 1, total: 1 });
              if (fail) throw new Error('rolled back on purpose');
            }),
          truncate: () => k('orders').truncate(),
        },
        close: async () => {
          await k.destroy();
          await pool.end();
        },
      };
    },
  },
];

describe.each(libraries)('$name through db.pool(principal)', (library) => {
  it('select: rows come back masked by source column and content', async () => {
    const { run, close } = library.make(alice);
    try {
      const rows = await run.selectUsers();
      expect(rows.map((r) => r.id)).toEqual([1, 2]);
      const text = JSON.stringify(rows);
      expect(text).not.toContain(secrets.email);
      expect(text).not.toContain(secrets.password);
    } finally {
      await close();
    }
  });

  it('insert … returning, and a committed transaction', async () => {
    const { run, close } = library.make(admin);
    try {
      expect((await run.insertOrder(library.base)).map((r) => Number(r.id))).toEqual([library.base]);
      await run.transaction([library.base + 1, library.base + 2], false);
      expect(await orderIds()).toEqual(
        expect.arrayContaining([library.base, library.base + 1, library.base + 2]),
      );
    } finally {
      await close();
    }
  });

  it('a transaction that throws is rolled back', async () => {
    const { run, close } = library.make(admin);
    try {
      await expect(run.transaction([library.base + 3, library.base + 4], true)).rejects.toThrow(
        'rolled back on purpose',
      );
      expect(await orderIds()).not.toContain(library.base + 3);
    } finally {
      await close();
    }
  });

  it('a denial keeps its decision and reason in the message, wrapped or not', async () => {
    const { run, close } = library.make(alice);
    try {
      const err = await run.truncate().catch((e: unknown) => e);
      const denied = unwrap(err);
      expect(denied).toBeInstanceOf(DeniedError);
      expect((denied as DeniedError).decision.rules).toEqual(['no-destructive-ddl']);
      expect((denied as Error).message).toMatch(/is denied: Destructive DDL is never allowed/);
      expect(await orderIds()).toContain(1);
    } finally {
      await close();
    }
  });

  it('a review: held with its approval id, approved by a manager, then the same insert runs', async () => {
    const { run, close } = library.make(alice);
    try {
      const err = unwrap(await run.insertOrder(library.base + 5).catch((e: unknown) => e));
      expect(err).toBeInstanceOf(ReviewRequiredError);
      const id = (err as ReviewRequiredError).approvalId;
      // The decision, its reason and the approval id are in the message, not only in fields.
      expect((err as Error).message).toContain(id);
      expect((err as Error).message).toContain('needs approval');
      expect((err as Error).message).toContain('Writes to the warehouse need a manager');
      expect(await orderIds()).not.toContain(library.base + 5);
      await portcullis.approvals.approve(id, bob);
      expect((await run.insertOrder(library.base + 5)).map((r) => Number(r.id))).toEqual([library.base + 5]);
    } finally {
      await close();
    }
  });
});

describe.each(libraries)('$name: what the caller gets for a denial and a review', (library) => {
  it('the typed error with its decision, reasons and approval id; the text where this library puts it', async () => {
    const { run, close } = library.make(alice);
    try {
      const denial = (await run.truncate().catch((e: unknown) => e)) as Error;
      const review = (await run.insertOrder(library.base + 7).catch((e: unknown) => e)) as Error;
      const denied = portcullisErrorOf(denial);
      const held = portcullisErrorOf(review);
      expect(denied).toBeInstanceOf(DeniedError);
      expect(held).toBeInstanceOf(ReviewRequiredError);
      const id = (held as ReviewRequiredError).approvalId;
      // The decision, the reasons and the approval id are in the message (after knex's prefix).
      expect(denied?.message).toMatch(
        /(^| - )TRUNCATE on warehouse is denied: Destructive DDL is never allowed$/,
      );
      expect(held?.message).toMatch(
        new RegExp(
          `(^| - )INSERT on warehouse needs approval by one of \\[managers\\] \\(Writes to the warehouse need a manager\\); approval id ${id};`,
        ),
      );
      switch (library.throws) {
        case 'as-is':
          expect(denial).toBe(denied);
          expect(review).toBe(held);
          expect(denial.message).toBe('TRUNCATE on warehouse is denied: Destructive DDL is never allowed');
          break;
        case 'prefixed':
          // knex rewrites the message of the error it rejects with: `<sql> - <message>`.
          expect(denial).toBe(denied);
          expect(review).toBe(held);
          expect(denial.message).toMatch(
            /^truncate "orders".* - TRUNCATE on warehouse is denied: Destructive DDL/,
          );
          expect(review.message).toContain(`approval id ${id}`);
          break;
        case 'wrapped':
          // drizzle-orm: DrizzleQueryError "Failed query: <sql>\nparams: …" with the error as
          // `cause`; its message says nothing of the denial, but console.error / util.inspect
          // print the cause, and portcullisErrorOf finds it.
          expect(denial).not.toBe(denied);
          expect(denial.message).toMatch(/^Failed query: TRUNCATE orders/);
          expect(denial.message).not.toContain('Destructive');
          expect(denial.cause).toBe(denied);
          expect(review.cause).toBe(held);
          expect(inspect(denial)).toContain(
            'TRUNCATE on warehouse is denied: Destructive DDL is never allowed',
          );
          expect(inspect(review)).toContain(`approval id ${id}`);
          break;
      }
    } finally {
      await close();
    }
  });
});

describe('a gated object handed over as a connection config never opens a raw connection', () => {
  const env = { ...process.env };
  beforeAll(() => {
    // With PG* variables set, a raw pool built from a config it cannot read would connect.
    const url = new URL(db.url);
    process.env['PGHOST'] = url.hostname;
    process.env['PGPORT'] = url.port;
    process.env['PGUSER'] = decodeURIComponent(url.username);
    process.env['PGDATABASE'] = url.pathname.slice(1);
  });
  afterAll(() => {
    process.env = env;
  });

  it.each([
    ['a session', () => gated.as(alice)],
    ['a pool facade', () => gated.pool(alice)],
    ['the gated pool', () => gated],
  ])('new pg.Pool(%s) throws a TypeError naming the supported wiring', (_name, make) => {
    expect(() => new pg.Pool(make() as never)).toThrow(/not a connection config.*db\.pool\(principal\)/s);
  });

  it('poolForToken resolves the token through the engine (here: none configured), and refuses a non-string', async () => {
    await expect(gated.poolForToken('not-a-token')).rejects.toThrow(/no identity is configured/);
    await expect(gated.poolForToken(7 as never)).rejects.toBeInstanceOf(TypeError);
  });

  it('knex({ connection: session }) throws before any connection', () => {
    expect(() => knexFactory({ client: 'pg', connection: gated.as(alice) as never })).toThrow(
      /not a connection config/,
    );
  });

  it.skipIf(configuredServerUrl() === undefined)(
    `a pool facade checks out clients that are sessions of their own (${NEEDS_MULTI_SESSION})`,
    async () => {
      const pool = gated.pool(admin);
      const a = await pool.connect();
      const b = await pool.connect();
      expect(pool.totalCount).toBe(2);
      await a.query('BEGIN');
      await a.query('INSERT INTO orders VALUES (900, 1, 1)');
      // b does not see a's uncommitted row: another session, another connection.
      expect((await b.query('SELECT count(*)::int AS n FROM orders WHERE id = 900')).rows).toEqual([
        { n: 0 },
      ]);
      a.release();
      expect(() => {
        a.release();
      }).toThrow(/already been released/);
      b.release();
      await pool.end();
      // a's transaction was never committed: releasing it rolled it back.
      expect(await orderIds()).not.toContain(900);
      expect(() => pool.query('SELECT 1')).toThrow(/ended/);
    },
  );
});
