// Every way around the facade we could think of: each must be refused by the wire-level
// backstop (the connection destroyed with a BypassError) and change nothing in the database.
import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import { plantOnPrototypes } from '@portcullis/conformance';
import { BypassError } from '@portcullis/core';
import { configuredServerUrl, createTestDatabase, type TestDatabase } from '@portcullis/testing';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatedPool, type GatedPool } from '../src/index.js';
import {
  admin,
  alice,
  captureClient,
  createSchema,
  engine,
  protocolMessage as message,
  type RawClient,
} from './fixtures.js';

let db: TestDatabase;
let gated: GatedPool;
const password = `pw-${randomBytes(8).toString('hex')}`;

beforeAll(async () => {
  db = await createTestDatabase();
  await createSchema(db.url);
  // One connection, so the client a trick captures is the one the gate uses.
  gated = createGatedPool({
    config: { connectionString: db.url, password, max: 1 },
    portcullis: await engine(),
    target: 'warehouse',
  });
});

afterAll(async () => {
  await gated.end();
  await db.close();
});

/** Resolves with the error the client's connection was destroyed with. */
function destroyedWith(client: RawClient): Promise<unknown> {
  return new Promise((resolve) => {
    client.once('error', resolve);
  });
}

async function orderCount(): Promise<number> {
  const raw = new pg.Client({ connectionString: db.url });
  await raw.connect();
  try {
    const result = await raw.query<{ n: number }>('SELECT count(*)::int AS n FROM orders');
    return result.rows[0]!.n;
  } finally {
    await raw.end();
  }
}

function socketOf(client: RawClient): Socket {
  return client.connection['stream'] as unknown as Socket;
}

const attempts: readonly {
  readonly name: string;
  readonly attack: (client: RawClient) => Promise<unknown>;
}[] = [
  {
    name: 'a captured client queries new text',
    attack: (c) => c.query('DELETE FROM orders').catch((e: unknown) => e),
  },
  {
    name: 'a captured client queries new text with values (extended protocol)',
    attack: (c) => c.query('DELETE FROM orders WHERE id > $1', [0]).catch((e: unknown) => e),
  },
  {
    name: 'connection.query() directly',
    attack: (c) => {
      const destroyed = destroyedWith(c);
      (c.connection as unknown as { query(t: string): void }).query('DELETE FROM orders');
      return destroyed;
    },
  },
  {
    name: 'Connection.prototype.query.call() around an own-property wrapper',
    attack: (c) => {
      const destroyed = destroyedWith(c);
      (pg.Connection.prototype as unknown as { query(this: unknown, t: string): void }).query.call(
        c.connection,
        'DELETE FROM orders',
      );
      return destroyed;
    },
  },
  {
    name: 'connection.parse/bind/execute/sync (extended protocol by hand)',
    attack: (c) => {
      const destroyed = destroyedWith(c);
      const con = c.connection as unknown as Record<string, (arg?: unknown) => void>;
      con['parse']!({ text: 'DELETE FROM orders' });
      con['bind']!({});
      con['execute']!({});
      con['sync']!();
      return destroyed;
    },
  },
  {
    name: 'connection._send() of a raw Query message',
    attack: (c) => {
      const destroyed = destroyedWith(c);
      (c.connection as unknown as { _send(b: Buffer): void })._send(message('Q', 'DELETE FROM orders'));
      return destroyed;
    },
  },
  {
    name: 'stream.write() of raw bytes',
    attack: (c) => {
      const destroyed = destroyedWith(c);
      socketOf(c).write(message('Q', 'DELETE FROM orders'));
      return destroyed;
    },
  },
  {
    name: 'stream.end() with raw bytes',
    attack: (c) => {
      const destroyed = destroyedWith(c);
      socketOf(c).end(message('Q', 'DELETE FROM orders'));
      return destroyed;
    },
  },
  {
    name: 'Socket.prototype.write.call() on the stream',
    attack: (c) => {
      const destroyed = destroyedWith(c);
      Socket.prototype.write.call(socketOf(c), message('Q', 'DELETE FROM orders'));
      return destroyed;
    },
  },
  {
    name: 'a fast-path FunctionCall message',
    attack: (c) => {
      const destroyed = destroyedWith(c);
      socketOf(c).write(message('F', ''));
      return destroyed;
    },
  },
  {
    name: 'a custom Submittable calling connection.query()',
    attack: (c) =>
      new Promise((resolve) => {
        c.query({
          submit(connection: { query(text: string): void }) {
            connection.query('DELETE FROM orders');
          },
          handleError: resolve,
          handleReadyForQuery: () => {
            resolve('ran');
          },
        } as never);
      }),
  },
  {
    name: 'pg-cursor with a text the gate did not see',
    attack: (c) =>
      c
        .query(new Cursor('DELETE FROM orders RETURNING *'))
        .read(1)
        .catch((e: unknown) => e),
  },
  {
    name: 'replaying a named statement the gate prepared, by name alone',
    attack: async (_c) => {
      await gated
        .as(admin)
        .query({ name: 'wipe-one', text: 'DELETE FROM orders WHERE id = $1', values: [-1] });
      const c = await captureClient(gated);
      return c
        .query({ name: 'wipe-one', text: 'DELETE FROM orders WHERE id = $1', values: [1] })
        .catch((e: unknown) => e);
    },
  },
];

describe('the backstop below the facade', () => {
  it.each(attempts)('refuses: $name', async ({ attack }) => {
    const before = await orderCount();
    const client = await captureClient(gated);
    const outcome = await attack(client);
    expect(outcome).toBeInstanceOf(BypassError);
    expect(outcome).toMatchObject({ code: 'ERR_BYPASS' });
    expect(await orderCount()).toBe(before);
    // The gate goes on working on a fresh connection.
    expect((await gated.as(alice).query('SELECT count(*)::int AS n FROM orders')).rows).toEqual([
      { n: before },
    ]);
  });

  it('refuses pg.native (its libpq connection cannot be guarded)', async () => {
    const portcullis = await engine();
    function NativeClient(): void {
      // stands in for pg.native.Client, which has no JavaScript connection
    }
    const nativeLike = { connect: () => Promise.resolve(), on: () => undefined, Client: NativeClient };
    expect(() => createGatedPool({ pool: nativeLike as never, portcullis, target: 'warehouse' })).toThrow(
      TypeError,
    );
  });

  it('guards the clients of a handed-over pool', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    const warm = await pool.connect();
    warm.release();
    const handed = createGatedPool({ pool, portcullis: await engine(), target: 'warehouse' });
    try {
      // The caller kept a reference it should not have: the connection still refuses its SQL.
      await expect(pool.query('DELETE FROM orders')).rejects.toBeInstanceOf(BypassError);
      expect((await handed.as(alice).query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await handed.end();
    }
  });
});

describe('nothing reachable from the facade holds a driver object or a credential', () => {
  it('walks every property and prototype of the pool, a session, a result and an error', async () => {
    const session = gated.as(alice);
    const result = await session.query('SELECT id FROM users LIMIT 1');
    const error = await session.query('SELECT * FROM missing_table').catch((e: unknown) => e);
    const cursor = session.query(new Cursor('SELECT id FROM users'));
    await cursor.read(1);
    await cursor.close();
    const found = walk([gated, session, result, error, cursor]);
    expect(found.driver).toEqual([]);
    expect(found.credential).toEqual([]);
    // The walk does find them where they are: a raw pool and its options.
    const raw = new pg.Pool({ connectionString: db.url, password });
    expect(walk([{ pool: raw }]).driver).toEqual(['root0.pool']);
    expect(walk([{ options: raw.options }]).credential).toEqual(['root0.options.password']);
    await raw.end();
  });
});

function walk(roots: readonly unknown[]): { driver: string[]; credential: string[] } {
  const seen = new Set<unknown>();
  const driver: string[] = [];
  const credential: string[] = [];
  const builtIns = new Set<unknown>([Object.prototype, Function.prototype, Array.prototype, Error.prototype]);
  // `receiver` is the object a prototype was reached from: getters run with it, as a caller's would.
  const queue: { value: unknown; path: string; receiver: unknown }[] = roots.map((value, i) => ({
    value,
    path: `root${i}`,
    receiver: value,
  }));
  while (queue.length > 0) {
    const { value, path, receiver } = queue.shift()!;
    if (typeof value === 'string') {
      if (value.includes(password)) credential.push(path);
      continue;
    }
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null) continue;
    if (seen.has(value) || builtIns.has(value)) continue;
    seen.add(value);
    if (
      value instanceof pg.Pool ||
      value instanceof pg.Client ||
      value instanceof pg.Connection ||
      value instanceof Socket
    ) {
      driver.push(path);
      continue;
    }
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key)!;
      const name = `${path}.${String(key)}`;
      if ('value' in descriptor) {
        queue.push({ value: descriptor.value, path: name, receiver: descriptor.value });
      } else if (descriptor.get !== undefined) {
        try {
          const got: unknown = descriptor.get.call(receiver);
          queue.push({ value: got, path: name, receiver: got });
        } catch {
          // a getter that refuses this receiver: nothing leaks through it
        }
      }
    }
    queue.push({ value: Object.getPrototypeOf(value), path: `${path}.__proto__`, receiver });
  }
  return { driver, credential };
}

// pg and pg-pool read their connection options by name from object literals they build (pg-pool
// copies the configuration, pg merges a connection string into it). Data planted on
// Object.prototype by a prototype pollution elsewhere in the host would be read as options the
// configuration did not set: here a startup `options` that changes the search path (what a
// table name resolves to) and an `application_name`.
describe('a polluted Object.prototype', () => {
  const settings = "SELECT current_setting('application_name') AS a, current_setting('search_path') AS p";

  async function settingsOf(config: pg.PoolConfig, planted: Record<string, unknown>): Promise<unknown> {
    const pool = createGatedPool({ config, portcullis: await engine(), target: 'warehouse' });
    for (const name of Object.keys(planted)) expect(Object.prototype).not.toHaveProperty(name);
    const session = pool.as(alice);
    let undo = (): void => undefined;
    try {
      undo = plantOnPrototypes([Object.prototype], Object.keys(planted), (name) => planted[name as string]);
      // The pool's first connection opens now.
      return (await session.query(settings)).rows;
    } finally {
      undo();
      await session.end();
      await pool.end();
    }
  }

  // (PGlite, the embedded server used without PORTCULLIS_PG_URL, takes no startup options)
  it.skipIf(configuredServerUrl() === undefined)(
    'adds nothing to the connections the gated pool opens, with or without a connection string (NEEDS_POSTGRESQL_SERVER: PGlite takes no startup options)',
    async () => {
      const url = new URL(db.url);
      const parts: pg.PoolConfig = {
        host: url.hostname,
        port: Number(url.port),
        user: decodeURIComponent(url.username),
        database: url.pathname.slice(1),
        max: 1,
      };
      const planted = {
        options: '-c search_path=planted_schema',
        application_name: 'planted-app',
        replication: 'database',
      };
      for (const config of [parts, { connectionString: db.url, max: 1 }]) {
        const expected = await settingsOf(config, {});
        expect(await settingsOf(config, planted)).toEqual(expected);
      }
    },
  );
});
