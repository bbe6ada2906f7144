// The PostgreSQL recording sink: what it stores exports byte for byte as the file sink would
// have written it, verifies with the same verifier, refuses changes, and fails closed.
import { generateKeyPairSync } from 'node:crypto';
import {
  createMemorySink,
  createPortcullis,
  createRecorder,
  DeniedError,
  parsePolicy,
  RecordingError,
  verifyRecording,
  type RecordingSink,
} from '@portcullis/core';
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgRecordingSink, exportRecording } from '../src/index.js';
import { alice, freshSchema, STORE_POLICY } from './fixtures/store-fixtures.js';

let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 6 });
  // Idle clients may be cut off when the test database is dropped at the end.
  pool.on('error', () => undefined);
});

afterAll(async () => {
  await pool.end();
  await db.close();
});

/** Appends to both sinks, so the file-sink form of the same events is known. */
function tee(a: RecordingSink, b: RecordingSink): RecordingSink {
  return {
    append: async (events) => {
      await a.append(events);
      await b.append(events);
    },
    flush: async () => {
      await Promise.all([a.flush(), b.flush()]);
    },
    close: async () => {
      await Promise.all([a.close(), b.close()]);
    },
  };
}

const secret = 'card ' + ['4111', '1111', '1111', '1111'].join(' ');

async function recordTwoSessions(sink: RecordingSink): Promise<[string, string]> {
  const recorder = createRecorder({ sink });
  const one = await recorder.start({ principal: alice, target: { name: 'warehouse', protocol: 'postgres' } });
  const two = await recorder.start({ principal: alice, target: { name: 'warehouse', protocol: 'postgres' } });
  const request = await one.record('request', { request: { type: 'sql', sql: 'SELECT 1' } });
  await two.record('request', { request: { type: 'sql', sql: "SELECT 'ünïcödé ✓', E'\\n'" } });
  await one.record('decision', { requestSeq: request.seq, effect: 'allow', rules: ['r'], reasons: [] });
  await one.record('result', {
    requestSeq: request.seq,
    rows: [{ note: '[REDACTED]', n: 1.5e300, big: 2 ** 60 }],
  });
  await Promise.all([one.end({ reason: 'done' }), two.record('error', { message: 'x'.repeat(10_000) })]);
  await two.end();
  return [one.session, two.session];
}

describe('the PostgreSQL recording sink', () => {
  it('exports exactly what the file sink would have written, and it verifies', async () => {
    const schema = await freshSchema(pool);
    const memory = createMemorySink();
    const [one, two] = await recordTwoSessions(tee(memory, createPgRecordingSink(pool, { schema })));
    const exported = await exportRecording(pool, { schema });
    expect(exported).toBe(memory.toJsonLines());
    const report = verifyRecording(exported);
    expect(report.ok).toBe(true);
    expect(report.sessions.map((s) => [s.session, s.events, s.ended])).toEqual([
      [one, 5, true],
      [two, 4, true],
    ]);
    // One session alone verifies too, and holds only its own events.
    const alone = await exportRecording(pool, { schema, session: two });
    expect(verifyRecording(alone)).toMatchObject({ ok: true, events: 4 });
    expect(
      alone
        .split('\n')
        .filter(Boolean)
        .every((line) => line.includes(`"session":"${two}"`)),
    ).toBe(true);
  });

  it('keeps a sealed session verifiable with its public key', async () => {
    const schema = await freshSchema(pool);
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const recorder = createRecorder({
      sink: createPgRecordingSink(pool, { schema }),
      sealingKey: privateKey,
    });
    const session = await recorder.start({ principal: alice });
    await session.record('request', { request: { type: 'sql', sql: 'SELECT 2' } });
    await session.end();
    expect(verifyRecording(await exportRecording(pool, { schema }), { publicKey })).toMatchObject({
      ok: true,
      sessions: [{ sealVerified: true }],
    });
  });

  it('refuses UPDATE, DELETE and TRUNCATE; a row changed anyway (triggers disabled by the owner) fails verification there', async () => {
    const schema = await freshSchema(pool);
    await recordTwoSessions(createPgRecordingSink(pool, { schema }));
    for (const sql of [
      `UPDATE ${schema}.recording SET line = line`,
      `DELETE FROM ${schema}.recording WHERE seq = 1`,
      `TRUNCATE ${schema}.recording`,
    ]) {
      await expect(pool.query(sql)).rejects.toThrow(
        /the Portcullis recording is append-only: (UPDATE|DELETE|TRUNCATE) is not allowed/,
      );
    }
    const client = await pool.connect();
    try {
      await client.query(`ALTER TABLE ${schema}.recording DISABLE TRIGGER USER`);
      await client.query(
        `UPDATE ${schema}.recording SET line = replace(line, '"SELECT 1"', '"SELECT 2"') WHERE seq = 1 AND line LIKE '%SELECT 1%'`,
      );
      await client.query(`ALTER TABLE ${schema}.recording ENABLE TRIGGER USER`);
    } finally {
      client.release();
    }
    const report = verifyRecording(await exportRecording(pool, { schema }));
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'modified', line: 3, seq: 1 });
  });

  it('refuses a second event in the same place of a chain without failing appends it was batched with', async () => {
    const schema = await freshSchema(pool);
    const memory = createMemorySink();
    await recordTwoSessions(memory);
    const sink = createPgRecordingSink(pool, { schema });
    const [first, second, ...rest] = memory.events;
    await sink.append([first!]);
    const results = await Promise.allSettled([
      sink.append([second!]),
      sink.append([first!]),
      sink.append(rest),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(RecordingError);
    expect(await exportRecording(pool, { schema })).toBe(memory.toJsonLines());
  });

  it('writes a batch larger than one statement whole', async () => {
    const schema = await freshSchema(pool);
    const memory = createMemorySink();
    const recorder = createRecorder({ sink: memory });
    const session = await recorder.start({});
    await Promise.all(
      Array.from({ length: 2500 }, (_, i) => session.record('output', { i, text: secret.length })),
    );
    const sink = createPgRecordingSink(pool, { schema });
    await sink.append(memory.events);
    await sink.flush();
    const exported = await exportRecording(pool, { schema });
    expect(exported).toBe(memory.toJsonLines());
    expect(verifyRecording(exported)).toMatchObject({ ok: true, events: 2501 });
  });

  it('fails closed: append rejects when the table is gone, and a required recording denies the request', async () => {
    const schema = await freshSchema(pool);
    const sink = createPgRecordingSink(pool, { schema });
    const recorder = createRecorder({ sink });
    const portcullis = await createPortcullis({
      policy: parsePolicy(`${STORE_POLICY}\nrecording: { required: true }\n`),
      recorder,
    });
    const session = await portcullis.startSession(alice, 'warehouse');
    await pool.query(`DROP TABLE ${schema}.recording`);
    const denied = await portcullis
      .authorize({
        principal: alice,
        target: 'warehouse',
        request: { type: 'sql', sql: 'SELECT 1' },
        ...(session ? { session } : {}),
      })
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(DeniedError);
    expect((denied as DeniedError).cause).toBeInstanceOf(RecordingError);
    await expect(sink.append([])).resolves.toBeUndefined();
    await sink.close();
    await expect(sink.append([])).rejects.toBeInstanceOf(TypeError);
  });
});
