// The gated client against a real server (PORTCULLIS_PG_URL) or PGlite: every pg call shape,
// masking by source column and content, sessions, transactions, ordering and recording.
import { DeniedError, type Portcullis } from '@portcullis/core';
import {
  configuredServerUrl,
  createTestDatabase,
  NEEDS_MULTI_SESSION,
  type TestDatabase,
} from '@portcullis/testing';
import Cursor from 'pg-cursor';
import QueryStream from 'pg-query-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatedPool, PgDatabaseError, type GatedPool, type GatedQueryResult } from '../src/index.js';
import {
  admin,
  alice,
  createSchema,
  engine,
  memoryRecorder,
  secrets,
  type MemoryRecorder,
} from './fixtures.js';

let db: TestDatabase;
let gated: GatedPool;
let portcullis: Portcullis;
let recorder: MemoryRecorder;

beforeAll(async () => {
  db = await createTestDatabase();
  await createSchema(db.url);
  recorder = memoryRecorder();
  portcullis = await engine({ recorder });
  gated = createGatedPool({
    config: { connectionString: db.url, max: 10 },
    portcullis,
    target: 'warehouse',
  });
});

afterAll(async () => {
  await gated.end();
  await db.close();
});

const noSecretIn = (value: unknown): void => {
  const text = JSON.stringify(value);
  expect(text).not.toContain(secrets.awsKey);
  expect(text).not.toContain(secrets.email);
  expect(text).not.toContain(secrets.password);
};

const callback = <R>(run: (cb: (err: Error | null, result?: R) => void) => void): Promise<R | undefined> =>
  new Promise((resolve, reject) => {
    run((err, result) => {
      if (err) reject(err);
      else resolve(result);
    });
  });

describe('every pg call shape', () => {
  it('text', async () => {
    const result = await gated.as(alice).query('SELECT id, name FROM users ORDER BY id');
    expect(result.rows).toEqual([
      { id: 1, name: 'Carol' },
      { id: 2, name: 'Dan' },
    ]);
    expect(result.command).toBe('SELECT');
    expect(result.rowCount).toBe(2);
  });

  it('text + values', async () => {
    const result = await gated.as(alice).query('SELECT name FROM users WHERE id = $1', [2]);
    expect(result.rows).toEqual([{ name: 'Dan' }]);
  });

  it('text + callback, and text + values + callback', async () => {
    const session = gated.as(alice);
    const a = await callback<GatedQueryResult>((cb) => {
      session.query('SELECT 1 AS one', cb);
    });
    const b = await callback<GatedQueryResult>((cb) => {
      session.query('SELECT $1::int AS n', [7], cb);
    });
    expect(a?.rows).toEqual([{ one: 1 }]);
    expect(b?.rows).toEqual([{ n: 7 }]);
  });

  it('a denial reaches the callback', async () => {
    const err = await callback<GatedQueryResult>((cb) => {
      gated.as(alice).query('DROP TABLE users', cb);
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeniedError);
  });

  it('config objects, with and without a callback', async () => {
    const session = gated.as(alice);
    const a = await session.query({ text: 'SELECT name FROM users WHERE id = $1', values: [1] });
    const b = await callback<GatedQueryResult>((cb) => {
      session.query({ text: 'SELECT 2 AS two' }, cb);
    });
    expect(a.rows).toEqual([{ name: 'Carol' }]);
    expect(b?.rows).toEqual([{ two: 2 }]);
  });

  it("rowMode: 'array'", async () => {
    const result = await gated
      .as(alice)
      .query({ text: 'SELECT id, name FROM users ORDER BY id', rowMode: 'array' });
    expect(result.rows).toEqual([
      [1, 'Carol'],
      [2, 'Dan'],
    ]);
  });

  it('a multi-statement text resolves to an array of results', async () => {
    const results = (await gated
      .as(alice)
      .query('SELECT 1 AS a; SELECT 2 AS b')) as unknown as GatedQueryResult[];
    expect(results.map((r) => r.rows)).toEqual([[{ a: 1 }], [{ b: 2 }]]);
  });

  it('named statements: prepared with text, re-used by name, re-checked each time', async () => {
    const session = gated.as(alice);
    const first = await session.query({
      name: 'by-id',
      text: 'SELECT name FROM users WHERE id = $1',
      values: [1],
    });
    const again = await session.query({ name: 'by-id', values: [2] });
    const same = await session.query({
      name: 'by-id',
      text: 'SELECT name FROM users WHERE id = $1',
      values: [1],
    });
    expect([first.rows, again.rows, same.rows]).toEqual([
      [{ name: 'Carol' }],
      [{ name: 'Dan' }],
      [{ name: 'Carol' }],
    ]);
    // Re-use by name alone is decided again: a decision event per run.
    const decisions = recorder.events.filter(
      (e) => e.type === 'request' && JSON.stringify(e.data).includes('SELECT name FROM users WHERE id = $1'),
    );
    expect(decisions.length).toBeGreaterThanOrEqual(3);
  });

  it('a statement name re-used with another text is denied', async () => {
    const session = gated.as(alice);
    await session.query({ name: 'n1', text: 'SELECT 1 AS x' });
    const err = await session.query({ name: 'n1', text: 'SELECT 2 AS x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeniedError);
    expect((err as DeniedError).decision.reasons[0]).toMatch(/prepared with another text/);
  });

  it('an unknown statement name is denied', async () => {
    const err = await gated
      .as(alice)
      .query({ name: 'never-prepared' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeniedError);
    expect((err as DeniedError).decision.reasons[0]).toMatch(/not known to this session/);
  });

  it('custom type parsers see only masked text', async () => {
    const seen: string[] = [];
    const types = {
      getTypeParser: () => (value: string) => {
        seen.push(value);
        return value.toUpperCase();
      },
    };
    const result = await gated.as(alice).query({ text: 'SELECT name, note FROM users WHERE id = 1', types });
    expect(result.rows).toEqual([
      { name: 'CAROL', note: expect.not.stringContaining(secrets.awsKey.toUpperCase()) as unknown },
    ]);
    noSecretIn(seen);
  });

  it('pg-cursor: every read is masked', async () => {
    const session = gated.as(alice);
    const cursor = session.query(new Cursor('SELECT id, note, password FROM users ORDER BY id'));
    const first = await cursor.read(1);
    const rest = await cursor.read(10);
    const end = await cursor.read(10);
    await cursor.close();
    expect(first).toHaveLength(1);
    expect(rest).toHaveLength(1);
    expect(end).toEqual([]);
    expect(first[0]).toMatchObject({ id: 1 });
    noSecretIn([first, rest]);
    // The session goes on after the cursor.
    expect((await session.query('SELECT 3 AS n')).rows).toEqual([{ n: 3 }]);
  });

  it('pg-cursor with values, rowMode and a callback read', async () => {
    const cursor = gated
      .as(alice)
      .query(new Cursor('SELECT id, email FROM users WHERE id = $1', [1], { rowMode: 'array' }));
    const rows = await new Promise<unknown[]>((resolve, reject) => {
      cursor.read(5, (err, got) => {
        if (err) reject(err);
        else resolve(got);
      });
    });
    await cursor.close();
    expect(rows).toHaveLength(1);
    expect((rows[0] as unknown[])[0]).toBe(1);
    noSecretIn(rows);
  });

  it('pg-cursor: a denied text fails its reads', async () => {
    const cursor = gated.as(alice).query(new Cursor('DELETE FROM users RETURNING *'));
    await expect(cursor.read(1)).rejects.toMatchObject({ code: 'ERR_REVIEW_REQUIRED' });
    await cursor.close();
  });

  it('pg-query-stream: every row is masked', async () => {
    const stream = gated
      .as(alice)
      .query(new QueryStream('SELECT id, email, note FROM users ORDER BY id', [], { batchSize: 1 }));
    const rows: unknown[] = [];
    for await (const row of stream) rows.push(row);
    expect(rows).toHaveLength(2);
    noSecretIn(rows);
  });

  it('pg-query-stream: a denial destroys the stream with the error', async () => {
    const stream = gated.as(alice).query(new QueryStream('DROP TABLE users'));
    const err = await new Promise((resolve) => stream.on('error', resolve));
    expect(err).toBeInstanceOf(DeniedError);
  });

  it('other Submittables and bad shapes are refused synchronously with a TypeError', () => {
    const session = gated.as(alice);
    const custom = { submit: () => undefined, text: 'SELECT 1' };
    expect(() => session.query(custom)).toThrow(TypeError);
    expect(() => session.query(null as unknown as string)).toThrow(TypeError);
    expect(() => session.query({ text: 'SELECT 1', binary: true } as never)).toThrow(TypeError);
  });

  it('a getter cannot change the text between the gate and the wire', async () => {
    let reads = 0;
    const config = {
      get text(): string {
        reads++;
        return reads === 1 ? 'SELECT count(*)::int AS n FROM users' : 'DELETE FROM users';
      },
    };
    const result = await gated.as(alice).query(config as { text: string });
    expect(result.rows).toEqual([{ n: 2 }]);
    expect((await gated.as(admin).query('SELECT count(*)::int AS n FROM users')).rows).toEqual([{ n: 2 }]);
  });
});

describe('SQL-level PREPARE / EXECUTE / DEALLOCATE', () => {
  it('EXECUTE is decided as the statement it prepared, and forgotten after DEALLOCATE', async () => {
    const session = gated.as(alice);
    await session.query('PREPARE names AS SELECT name FROM users ORDER BY id');
    expect((await session.query('EXECUTE names')).rows).toEqual([{ name: 'Carol' }, { name: 'Dan' }]);
    await session.query('DEALLOCATE names');
    await expect(session.query('EXECUTE names')).rejects.toMatchObject({ code: 'ERR_DENIED' });
    await session.end();
  });

  it('EXECUTE of a prepared write needs the write’s review', async () => {
    const writer = gated.as(admin);
    await writer.query('PREPARE wipe AS DELETE FROM orders WHERE id = 0');
    expect((await writer.query('EXECUTE wipe')).command).toBe('DELETE');
    await writer.end();
    const session = gated.as(alice);
    // alice's session never prepared it: unknown, denied.
    await expect(session.query('EXECUTE wipe')).rejects.toMatchObject({ code: 'ERR_DENIED' });
    await expect(session.query('PREPARE w2 AS DELETE FROM orders WHERE id = 0')).rejects.toMatchObject({
      code: 'ERR_REVIEW_REQUIRED',
    });
  });
});

describe('masking by source column and content', () => {
  it('a column rule applies to its source even when the query renames it', async () => {
    const result = await gated.as(alice).query('SELECT password AS x, id FROM users ORDER BY id');
    expect(result.fields.map((f) => f.source)).toEqual(['public.users.password', 'public.users.id']);
    expect(result.rows).toEqual([
      { x: '[REDACTED:column]', id: 1 },
      { x: '[REDACTED:column]', id: 2 },
    ]);
  });

  it('name rules, content detectors and JSON cells', async () => {
    const result = await gated
      .as(alice)
      .query('SELECT id, name, email, ssn, note, profile FROM users ORDER BY id');
    expect(result.rows).toEqual([
      {
        id: 1,
        name: 'Carol',
        email: '[REDACTED:email]',
        ssn: '[REDACTED:column]',
        note: 'key [REDACTED:aws-access-key-id]',
        profile: { apiKey: '[REDACTED:aws-access-key-id]', city: 'Oslo' },
      },
      {
        id: 2,
        name: 'Dan',
        email: '[REDACTED:email]',
        ssn: '[REDACTED:column]',
        note: 'nothing to see',
        profile: { city: 'Rome' },
      },
    ]);
  });

  it('a 10,000-row result is masked row by row', async () => {
    const result = await gated.as(alice).query('SELECT id, email, token FROM big ORDER BY id');
    expect(result.rowCount).toBe(10_000);
    expect(result.rows).toHaveLength(10_000);
    expect(result.rows[9_999]!['id']).toBe(10_000);
    expect(new Set(result.rows.map((r) => r['token']))).toEqual(new Set(['[REDACTED:aws-access-key-id]']));
    expect(new Set(result.rows.map((r) => r['email']))).toEqual(new Set(['[REDACTED:email]']));
  });

  it('notices are masked', async () => {
    const session = gated.as(admin);
    const notices: unknown[] = [];
    session.on('notice', (n) => notices.push(n));
    // (Not a DO block: under the default profile's column rules, DO is denied.)
    await session.query(`ALTER TABLE IF EXISTS "leaked ${secrets.awsKey}" ADD COLUMN x int`);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ message: expect.stringContaining('leaked') as unknown });
    noSecretIn(notices);
  });

  it('error messages and details are masked and re-created without the driver', async () => {
    const err = await gated
      .as(admin)
      .query('INSERT INTO users (id, email) VALUES (99, $1)', [secrets.email])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PgDatabaseError);
    expect(err).toMatchObject({ code: '23505', constraint: 'users_email_key' });
    expect((err as PgDatabaseError).detail).toMatch(/already exists/);
    noSecretIn({ message: (err as Error).message, detail: (err as PgDatabaseError).detail });
    expect((err as Error).cause).toBeUndefined();
  });
});

// Throwing getters a raw pool would read (see config-trap.ts), and the toJSON that skips them.
const CONFIG_TRAPS = ['connectionString', 'host', 'port', 'user', 'password', 'database', 'ssl', 'toJSON'];

describe('facade hygiene', () => {
  it('a connection failure says what failed without naming the host, port or user', async () => {
    const unreachable = createGatedPool({
      config: {
        connectionString: 'postgres://someone:pw@127.0.0.1:1/nowhere',
        connectionTimeoutMillis: 2000,
      },
      portcullis,
      target: 'warehouse',
    });
    try {
      const err = await unreachable
        .as(alice)
        .query('SELECT 1')
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toBe('the connection to warehouse failed (ECONNREFUSED)');
      expect(JSON.stringify(err)).not.toMatch(/127\.0\.0\.1|someone|nowhere/);
    } finally {
      await unreachable.end();
    }
  });

  it('results are plain objects', async () => {
    const result = await gated.as(alice).query('SELECT id FROM users LIMIT 1');
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.keys(result).sort()).toEqual(['command', 'fields', 'oid', 'rowCount', 'rows']);
    expect(Object.getPrototypeOf(result.fields[0])).toBe(Object.prototype);
  });

  it('the facade exposes no driver object and no configuration', () => {
    const session = gated.as(alice);
    const expected = new Map<object, readonly string[]>([
      [gated, ['target', 'as', 'withToken', 'pool', 'poolForToken', 'end', ...CONFIG_TRAPS]],
      [session, ['principal', 'query', 'transaction', 'on', 'off', 'end', ...CONFIG_TRAPS]],
    ]);
    for (const [object, names] of expected) {
      // Frozen own closures and plain data: nothing else, no internal hook.
      expect(Object.getOwnPropertyNames(object)).toEqual(names);
      expect(Object.isFrozen(object)).toBe(true);
      expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
      expect(Object.getOwnPropertySymbols(object)).toEqual([]);
      expect(JSON.parse(JSON.stringify(object))).toEqual(
        object === gated
          ? { target: gated.target }
          : { principal: JSON.parse(JSON.stringify(alice)) as unknown },
      );
      for (const key of ['client', 'connection', 'options', 'config', '_pool']) {
        expect((object as unknown as Record<string, unknown>)[key]).toBeUndefined();
      }
      // A library reading it as a connection config is stopped, not sent to the PG* defaults.
      expect(() => (object as unknown as Record<string, unknown>)['host']).toThrow(TypeError);
    }
  });
});

describe('sessions, transactions and order', () => {
  it('a transaction runs on one connection and commits', async () => {
    const session = gated.as(admin);
    const total = await session.transaction(async (tx) => {
      await tx.query('INSERT INTO orders VALUES (100, 1, 1)');
      await tx.query('INSERT INTO orders VALUES (101, 1, 2)');
      const r = await tx.query('SELECT sum(total)::int AS s FROM orders WHERE id >= 100');
      return r.rows[0]!['s'];
    });
    expect(total).toBe(3);
    expect((await session.query('SELECT count(*)::int AS n FROM orders WHERE id >= 100')).rows).toEqual([
      { n: 2 },
    ]);
    await session.query('DELETE FROM orders WHERE id >= 100');
  });

  it.skipIf(configuredServerUrl() === undefined)(
    `a failed transaction rolls back (${NEEDS_MULTI_SESSION})`,
    async () => {
      const session = gated.as(admin);
      await expect(
        session.transaction(async (tx) => {
          await tx.query('INSERT INTO orders VALUES (200, 1, 1)');
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      expect((await session.query('SELECT count(*)::int AS n FROM orders WHERE id = 200')).rows).toEqual([
        { n: 0 },
      ]);
    },
  );

  it('a query on the session itself from inside its transaction is a TypeError, not a deadlock', async () => {
    const session = gated.as(admin);
    await expect(
      session.transaction(async (tx) => {
        await tx.query('SELECT 1');
        await session.query('SELECT 2');
      }),
    ).rejects.toThrow(TypeError);
    expect((await session.query('SELECT 3 AS n')).rows).toEqual([{ n: 3 }]);
  });

  it('requests on one session keep their order', async () => {
    const session = gated.as(admin);
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        session.query(`SELECT ${i} AS i, pg_sleep(${(5 - i) / 100})`).then(() => {
          order.push(i);
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('200 concurrent gated queries through one pool', async () => {
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => gated.as(alice).query('SELECT $1::int AS i', [i])),
    );
    expect(results.map((r) => r.rows[0]!['i'])).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('who a session acts for cannot be changed through the principal it was given or shows', async () => {
    const principal = { subject: 'eve', groups: ['analysts'], kind: 'human' as const };
    const session = gated.as(principal);
    principal.groups.push('admins');
    expect(() => (session.principal.groups as string[]).push('admins')).toThrow(TypeError);
    expect(session.principal.groups).toEqual(['analysts']);
    await expect(session.query('DELETE FROM orders WHERE id = -5')).rejects.toMatchObject({
      code: 'ERR_REVIEW_REQUIRED',
    });
  });

  it('an ended session refuses queries', async () => {
    const session = gated.as(alice);
    await session.end();
    expect(() => session.query('SELECT 1')).toThrow(TypeError);
  });
});

describe('recording', () => {
  it('records request, decision and the masked result of every request, in order', async () => {
    const before = recorder.events.length;
    const session = gated.as(alice);
    await session.query('SELECT id, note FROM users ORDER BY id');
    await session.end();
    const events = recorder.events.slice(before);
    const mine = events.filter((e) => e.session === events[0]!.session);
    expect(mine.map((e) => e.type)).toEqual([
      'session.start',
      'request',
      'decision',
      'result',
      'session.end',
    ]);
    expect(mine[3]!.data).toMatchObject({
      requestSeq: 1,
      summary: 'SELECT 2',
      rowCount: 2,
      truncated: false,
    });
    noSecretIn(mine);
  });

  it('a result event keeps at most 100 masked rows and says it was cut', async () => {
    const before = recorder.events.length;
    const session = gated.as(alice);
    await session.query('SELECT id, token FROM big');
    await session.end();
    const result = recorder.events.slice(before).find((e) => e.type === 'result')!.data as {
      body: unknown[];
      truncated: boolean;
      rowCount: number;
    };
    expect(result.body).toHaveLength(100);
    expect(result.truncated).toBe(true);
    expect(result.rowCount).toBe(10_000);
    noSecretIn(result);
  });
});
