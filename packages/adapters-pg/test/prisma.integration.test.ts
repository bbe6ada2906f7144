// Prisma 7 (the query compiler, no Rust query engine) through @prisma/adapter-pg on the gate:
// `new PrismaPg(asPgPool(db.pool(principal)))`. The client is generated at test time, offline,
// from a fixture schema into a temporary folder (generate needs no engine; the schema engine
// download that `prisma` attempts first is skipped by naming a binary). Select with masking,
// create, both kinds of transaction, a denial, a review, a rolled-back transaction re-run after
// a review, and what a gated object handed over as a config does (it never connects).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Portcullis } from '@portcullis/core';
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asPgPool, createGatedPool, type GatedPool } from '../src/index.js';
import { admin, alice, bob, createSchema, engine, rawQuery, secrets } from './fixtures.js';

/** The part of a generated PrismaClient these tests use. */
interface Prisma {
  readonly users: { findMany(args?: unknown): Promise<Record<string, unknown>[]> };
  readonly orders: {
    create(args: unknown): Promise<Record<string, unknown>>;
    findMany(args?: unknown): Promise<Record<string, unknown>[]>;
    count(): Promise<number>;
  };
  $transaction(work: (tx: Prisma) => Promise<unknown>): Promise<unknown>;
  $transaction(batch: readonly Promise<unknown>[]): Promise<unknown[]>;
  $executeRawUnsafe(sql: string): Promise<number>;
  $disconnect(): Promise<void>;
}
type PrismaClientClass = new (options: { adapter: unknown }) => Prisma;

const SCHEMA = `
generator client {
  provider = "prisma-client"
  output   = "./client"
}

datasource db {
  provider = "postgresql"
}

model users {
  id       Int     @id
  name     String?
  email    String? @unique
  password String?
  note     String?
  ssn      String?
  profile  Json?
}

model orders {
  id      Int      @id
  user_id Int?
  total   Decimal? @db.Decimal
}
`;

const here = dirname(fileURLToPath(import.meta.url));
let folder: string;
let PrismaClient: PrismaClientClass;
let db: TestDatabase;
let portcullis: Portcullis;
let gated: GatedPool;
const clients: Prisma[] = [];

/** Generates the client offline into a fresh folder beside this file (so it resolves @prisma/client). */
function generate(): string {
  const dir = mkdtempSync(join(here, '.prisma-'));
  writeFileSync(join(dir, 'schema.prisma'), SCHEMA);
  const cli = join(dirname(createRequire(import.meta.url).resolve('prisma/package.json')), 'build/index.js');
  execFileSync(process.execPath, [cli, 'generate', '--schema', join(dir, 'schema.prisma')], {
    env: {
      ...process.env,
      // Any existing file: the CLI then skips downloading the schema engine, which generate
      // does not use (it reads the schema with WebAssembly).
      PRISMA_SCHEMA_ENGINE_BINARY: process.execPath,
      CHECKPOINT_DISABLE: '1',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
    stdio: 'pipe',
  });
  return dir;
}

beforeAll(async () => {
  folder = generate();
  ({ PrismaClient } = (await import(join(folder, 'client', 'client.ts'))) as {
    PrismaClient: PrismaClientClass;
  });
  db = await createTestDatabase();
  await createSchema(db.url);
  portcullis = await engine();
  gated = createGatedPool({ config: { connectionString: db.url, max: 6 }, portcullis, target: 'warehouse' });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.$disconnect()));
  await gated.end();
  await db.close();
  rmSync(folder, { recursive: true, force: true });
});

function prismaAs(principal: typeof alice): Prisma {
  const client = new PrismaClient({ adapter: new PrismaPg(asPgPool(gated.pool(principal))) });
  clients.push(client);
  return client;
}

async function orderIds(): Promise<number[]> {
  return (await rawQuery<{ id: number }>(db.url, 'SELECT id FROM orders ORDER BY id')).map((r) => r.id);
}

/** A Prisma error as the caller gets it: Prisma keeps the gate's code and message. */
async function failure(promise: Promise<unknown>): Promise<{ code: unknown; message: string }> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e as { code?: unknown; message: string },
  );
  expect(err).toBeDefined();
  return { code: err?.code, message: err?.message ?? '' };
}

describe('Prisma through new PrismaPg(asPgPool(db.pool(principal)))', () => {
  it('select: rows come back masked by source column and by content, JSON included', async () => {
    const rows = await prismaAs(alice).users.findMany({ orderBy: { id: 'asc' } });
    expect(rows.map((r) => r['id'])).toEqual([1, 2]);
    expect(rows[0]).toMatchObject({ name: 'Carol', password: '[REDACTED:column]', ssn: '[REDACTED:column]' });
    const text = JSON.stringify(rows);
    expect(text).not.toContain(secrets.email);
    expect(text).not.toContain(secrets.password);
    expect(text).not.toContain(secrets.awsKey);
    expect(rows[0]?.['profile']).toMatchObject({ city: 'Oslo' });
  });

  it('create returns the row; a batch and an interactive transaction commit', async () => {
    const p = prismaAs(admin);
    expect(await p.orders.create({ data: { id: 400, user_id: 1, total: '3.5' } })).toMatchObject({ id: 400 });
    await p.$transaction([
      p.orders.create({ data: { id: 401, user_id: 1, total: '1' } }),
      p.orders.create({ data: { id: 402, user_id: 1, total: '1' } }),
    ]);
    const count = await p.$transaction(async (tx) => {
      await tx.orders.create({ data: { id: 403, user_id: 1, total: '1' } });
      return tx.orders.count();
    });
    expect(count).toBe((await orderIds()).length);
    expect(await orderIds()).toEqual(expect.arrayContaining([400, 401, 402, 403]));
  });

  it('an interactive transaction that throws is rolled back', async () => {
    const p = prismaAs(admin);
    await expect(
      p.$transaction(async (tx) => {
        await tx.orders.create({ data: { id: 404, user_id: 1, total: '1' } });
        throw new Error('rolled back on purpose');
      }),
    ).rejects.toThrow('rolled back on purpose');
    expect(await orderIds()).not.toContain(404);
  });

  it('a denial: Prisma keeps the gate’s code, decision and reason in its error', async () => {
    const { code, message } = await failure(prismaAs(alice).$executeRawUnsafe('TRUNCATE orders'));
    expect(code).toBe('ERR_DENIED');
    expect(message).toContain('TRUNCATE on warehouse is denied: Destructive DDL is never allowed');
    expect(await orderIds()).toContain(1);
  });

  it('a review: held with its approval id in the message, approved by a manager, then the same create runs', async () => {
    const p = prismaAs(alice);
    const create = (): Promise<unknown> => p.orders.create({ data: { id: 405, user_id: 1, total: '2' } });
    const { code, message } = await failure(create());
    expect(code).toBe('ERR_REVIEW_REQUIRED');
    expect(message).toContain('Writes to the warehouse need a manager');
    const id = /approval id ([0-9a-f-]{36})/.exec(message)?.[1] ?? '';
    expect(await orderIds()).not.toContain(405);
    await portcullis.approvals.approve(id, bob);
    expect(await create()).toMatchObject({ id: 405 });
    expect(await portcullis.approvals.get(id)).toMatchObject({ status: 'consumed' });
  });

  it('a transaction rolled back by a review re-runs after approval without asking again for what was approved', async () => {
    const p = prismaAs(alice);
    const tx = (): Promise<unknown> =>
      p.$transaction(async (t) => {
        await t.orders.create({ data: { id: 406, user_id: 1, total: '1' } });
        await t.orders.create({ data: { id: 407, user_id: 1, total: '1' } });
      });
    const approvalOf = async (): Promise<string> =>
      /approval id ([0-9a-f-]{36})/.exec((await failure(tx())).message)?.[1] ?? '';
    const first = await approvalOf();
    await portcullis.approvals.approve(first, bob);
    const second = await approvalOf();
    expect(second).not.toBe(first);
    await portcullis.approvals.approve(second, bob);
    await tx();
    expect(await orderIds()).toEqual(expect.arrayContaining([406, 407]));
  });
});

describe('Prisma handed a gated object as a config never opens a raw connection', () => {
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
  ])(
    'new PrismaPg(%s): the first query throws a TypeError naming the supported wiring',
    async (_name, make) => {
      const p = new PrismaClient({ adapter: new PrismaPg(make() as never) });
      clients.push(p);
      const err = await p.users.findMany().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(
        /not a connection config.*new PrismaPg\(asPgPool\(db\.pool\(principal\)\)\)/s,
      );
    },
  );

  it('asPgPool() takes only a gated pool facade, and pg-pool’s own methods on it cannot connect', async () => {
    expect(() => asPgPool(gated.as(alice) as never)).toThrow(TypeError);
    expect(() => asPgPool(new pg.Pool() as never)).toThrow(TypeError);
    const pool = asPgPool(gated.pool(alice));
    expect(pool).toBeInstanceOf(pg.Pool);
    expect(Object.isFrozen(pool)).toBe(true);
    expect(() => (pool as unknown as { host: unknown }).host).toThrow(/not a connection config/);
    // The prototype's connect builds clients with the refusing class: no connection, ever.
    const prototype = pg.Pool.prototype as unknown as Record<string, (this: unknown) => unknown>;
    expect(() => Reflect.apply(prototype['connect'] as () => unknown, pool, [])).toThrow(
      /opens no connection of its own/,
    );
    const copy = new pg.Pool({ ...pool.options });
    expect(() => copy.connect()).toThrow(/opens no connection of its own/);
    await copy.end().catch(() => undefined);
    // Its own query is the gate's: masked.
    const { rows } = await pool.query('SELECT email FROM users WHERE id = 1');
    expect(rows).toEqual([{ email: '[REDACTED:email]' }]);
  });
});
