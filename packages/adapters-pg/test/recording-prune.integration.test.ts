// Retention in PostgreSQL: pruneRecording removes old sessions and leaves a signed tombstone in
// the same transaction; the export of what remains verifies and says what was pruned. Outside
// a prune, DELETE stays refused.
import { generateKeyPairSync } from 'node:crypto';
import { createRecorder, formatVerifyReport, verifyRecording } from '@portcullis/core';
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgRecordingSink, exportRecording, pruneRecording } from '../src/index.js';
import { alice, freshSchema } from './fixtures/store-fixtures.js';

let db: TestDatabase;
let pool: pg.Pool;
const keys = generateKeyPairSync('ed25519');

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  pool.on('error', () => undefined);
});

afterAll(async () => {
  await pool.end();
  await db.close();
});

async function record(schema: string): Promise<void> {
  let at = Date.UTC(2026, 0, 10);
  const recorder = createRecorder({
    sink: createPgRecordingSink(pool, { schema }),
    sealingKey: keys.privateKey,
    now: () => new Date(at),
  });
  const old = await recorder.start({ principal: alice }, { session: 'old' });
  await old.record('request', { request: { type: 'sql', sql: 'SELECT 1' } });
  await old.end();
  at = Date.UTC(2026, 5, 10);
  const recent = await recorder.start({ principal: alice }, { session: 'recent' });
  await recent.record('request', { request: { type: 'sql', sql: 'SELECT 2' } });
  await recent.end();
}

describe('pruneRecording (PostgreSQL)', () => {
  it('removes old sessions, leaves a signed tombstone, and what remains verifies', async () => {
    const schema = await freshSchema(pool);
    await record(schema);
    const result = await pruneRecording(pool, {
      schema,
      before: new Date(Date.UTC(2026, 1, 1)),
      sealingKey: keys.privateKey,
      olderThan: '90d',
    });
    expect(result.pruned.map((p) => [p.session, p.events, p.lastSeq])).toEqual([['old', 3, 2]]);
    const exported = await exportRecording(pool, { schema });
    const report = verifyRecording(exported, { publicKey: keys.publicKey });
    expect(report.ok).toBe(true);
    expect(report.sessions.map((s) => s.session)).toEqual(['recent', result.tombstones[0]]);
    expect(report.pruned?.[0]).toMatchObject({ sessions: 1, events: 3, olderThan: '90d', verified: true });
    expect(formatVerifyReport(report)).toContain('pruned: 1 session (3 events)');
  });

  it('a DELETE outside a prune is still refused', async () => {
    const schema = await freshSchema(pool);
    await record(schema);
    await expect(pool.query(`DELETE FROM ${schema}.recording WHERE session = 'old'`)).rejects.toThrow(
      'append-only',
    );
  });

  it('prunes nothing (and writes no tombstone) when no session is old enough', async () => {
    const schema = await freshSchema(pool);
    await record(schema);
    const result = await pruneRecording(pool, {
      schema,
      before: new Date(Date.UTC(2025, 0, 1)),
      sealingKey: keys.privateKey,
    });
    expect(result).toEqual({ pruned: [], tombstones: [] });
    expect(verifyRecording(await exportRecording(pool, { schema })).sessions).toHaveLength(2);
  });
});
