// Same-process code holding only a session (patching what it can reach), and result caps on
// every pg call shape, against a real server (PORTCULLIS_PG_URL) or PGlite.
import { ResultTooLargeError, type Portcullis } from '@portcullis/core';
import {
  configuredServerUrl,
  createTestDatabase,
  NEEDS_MULTI_SESSION,
  type TestDatabase,
} from '@portcullis/testing';
import Cursor from 'pg-cursor';
import QueryStream from 'pg-query-stream';
import { reachable } from '@portcullis/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatedPool, type GatedPool, type GatedSession } from '../src/index.js';
import { admin, alice, createSchema, engine, memoryRecorder, type MemoryRecorder } from './fixtures.js';

let db: TestDatabase;
let portcullis: Portcullis;
let recorder: MemoryRecorder;
let gated: GatedPool;
let capped: GatedPool;

beforeAll(async () => {
  db = await createTestDatabase();
  await createSchema(db.url);
  recorder = memoryRecorder();
  portcullis = await engine({ recorder });
  gated = createGatedPool({ config: { connectionString: db.url, max: 4 }, portcullis, target: 'warehouse' });
  capped = createGatedPool({
    config: { connectionString: db.url, max: 4 },
    portcullis,
    target: 'warehouse',
    caps: { maxRows: 100, maxBytes: 64 * 1024 },
  });
});

afterAll(async () => {
  await gated.end();
  await capped.end();
  await db.close();
});

// Names a patch would use to hijack a session: its methods, and the hooks older versions had.
const HOOKS = [
  'query',
  'transaction',
  'on',
  'off',
  'end',
  'principal',
  'noteBypass',
  'note',
  'run',
  'enqueue',
  'as',
];

describe('same-process code holding a session', () => {
  it('reaches no prototype of the gate, and patching every reachable prototype changes nothing', async () => {
    const victim = gated.as(admin);
    const attacker = gated.as(alice);
    const result = await attacker.query('SELECT id FROM users ORDER BY id LIMIT 1');
    let txHandle: object | undefined;
    await attacker.transaction(async (tx) => {
      txHandle = tx;
      await tx.query('SELECT 1');
    });
    const objects = reachable([victim, attacker, result, txHandle, gated]);
    const prototypes = [
      ...new Set([...objects].map((o) => Object.getPrototypeOf(o) as object | null)),
    ].filter((p): p is object => p !== null);
    // Only JavaScript's own prototypes: no class of the gate, the engine or the driver.
    const intrinsic = new Set<unknown>([
      Object.prototype,
      Function.prototype,
      Array.prototype,
      Promise.prototype,
    ]);
    expect(prototypes.filter((p) => !intrinsic.has(p))).toEqual([]);

    // Plant a hijacking function under every hook name on every reachable prototype, and wrap
    // every method they already have so any call by the gate on our objects is seen.
    const planted: string[] = [];
    const undo: (() => void)[] = [];
    for (const proto of prototypes) {
      for (const name of HOOKS) {
        if (Object.hasOwn(proto, name)) continue;
        Object.defineProperty(proto, name, {
          configurable: true,
          writable: true,
          value: function hijack(this: unknown) {
            planted.push(name);
            return (victim as unknown as { query: GatedSession['query'] }).query('DELETE FROM users');
          },
        });
        undo.push(() => {
          Reflect.deleteProperty(proto, name);
        });
      }
    }
    try {
      // Reassigning or deleting the facade's own methods fails: they are frozen.
      expect(() => {
        (attacker as unknown as Record<string, unknown>)['query'] = () => undefined;
      }).toThrow(TypeError);
      expect(() => {
        delete (victim as unknown as Record<string, unknown>)['query'];
      }).toThrow(TypeError);
      expect((victim as unknown as Record<string, unknown>)['noteBypass']).toBeTypeOf('function'); // the planted one, inherited
      const mine = await attacker.query('SELECT name FROM users WHERE id = 2');
      const theirs = await victim.query('SELECT count(*)::int AS n FROM users');
      expect(mine.rows).toEqual([{ name: 'Dan' }]);
      expect(theirs.rows).toEqual([{ n: 2 }]);
    } finally {
      for (const restore of undo) restore();
    }
    expect(planted).toEqual([]);
    // Every request was recorded in its own principal's session, and nothing else ran.
    const requests = recorder.events.filter((e) => e.type === 'request');
    expect(JSON.stringify(requests)).not.toContain('DELETE');
    await victim.end();
    await attacker.end();
  });

  it('offers no hook to write into the recording', () => {
    const session = gated.as(alice) as unknown as Record<string, unknown>;
    for (const name of ['noteBypass', 'note', 'record', 'recorder', 'run'])
      expect(session[name]).toBeUndefined();
  });
});

describe('result caps on every call shape', () => {
  const expectCap = (err: unknown, cap: string): void => {
    expect(err).toBeInstanceOf(ResultTooLargeError);
    expect(err).toMatchObject({ code: 'ERR_RESULT_TOO_LARGE', cap });
    expect((err as Error).message).toMatch(new RegExp(`${cap}.*createGatedPool`));
  };

  it('query (object rows and rowMode array) stops at maxRows, and the session goes on', async () => {
    const session = capped.as(admin);
    expectCap(await session.query('SELECT * FROM big').catch((e: unknown) => e), 'maxRows');
    expectCap(
      await session.query({ text: 'SELECT id FROM big', rowMode: 'array' }).catch((e: unknown) => e),
      'maxRows',
    );
    expectCap(
      await session.query('SELECT id FROM big WHERE id > $1', [0]).catch((e: unknown) => e),
      'maxRows',
    );
    expect((await session.query('SELECT count(*)::int AS n FROM big')).rows).toEqual([{ n: 10000 }]);
    await session.end();
  });

  it('query stops at maxBytes', async () => {
    const session = capped.as(admin);
    expectCap(await session.query("SELECT repeat('x', 70000) AS wide").catch((e: unknown) => e), 'maxBytes');
    await session.end();
  });

  it('pg-cursor stops at maxRows across reads', async () => {
    const session = capped.as(admin);
    const cursor = session.query(new Cursor('SELECT id FROM big ORDER BY id'));
    let read = 0;
    let failure: unknown;
    try {
      for (;;) {
        const rows = await cursor.read(40);
        if (rows.length === 0) break;
        read += rows.length;
      }
    } catch (err) {
      failure = err;
    }
    expectCap(failure, 'maxRows');
    expect(read).toBeLessThanOrEqual(100);
    await cursor.close();
    expect((await session.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await session.end();
  });

  it('pg-query-stream (rowMode array) ends with the cap error', async () => {
    const session = capped.as(admin);
    const stream = session.query(new QueryStream('SELECT id FROM big', [], { rowMode: 'array' }));
    let rows = 0;
    const failure = await (async () => {
      try {
        for await (const _row of stream) rows++;
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expectCap(failure, 'maxRows');
    expect(rows).toBeLessThanOrEqual(100);
    await session.end();
  });

  it.skipIf(configuredServerUrl() === undefined)(
    `a statement past maxDurationMs is stopped, and the session goes on (${NEEDS_MULTI_SESSION})`,
    async () => {
      const slow = createGatedPool({
        config: { connectionString: db.url, max: 2 },
        portcullis,
        target: 'warehouse',
        caps: { maxDurationMs: 300 },
      });
      const session = slow.as(admin);
      const started = Date.now();
      expectCap(await session.query('SELECT pg_sleep(20)').catch((e: unknown) => e), 'maxDurationMs');
      expect(Date.now() - started).toBeLessThan(15_000);
      expect((await session.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await slow.end();
    },
  );

  it('uncapped by default for ordinary results', async () => {
    const { rows } = await gated.as(admin).query('SELECT id FROM big');
    expect(rows).toHaveLength(10000);
  });
});
