import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGatedPool, type GatedPool } from '../src/index.js';
import { admin, alice, createSchema, engine, memoryRecorder } from './fixtures.js';

let db: TestDatabase;
let gated: GatedPool;
const recorder = memoryRecorder();
beforeAll(async () => {
  db = await createTestDatabase();
  await createSchema(db.url);
  gated = createGatedPool({
    config: { connectionString: db.url, max: 4 },
    portcullis: await engine({ recorder }),
    target: 'warehouse',
  });
});
afterAll(async () => {
  await gated.end();
  await db.close();
});

it('smoke', async () => {
  const s = gated.as(alice);
  const r = await s.query('SELECT id, password AS x FROM users ORDER BY id');
  console.log(r);
  await expect(s.query('DROP TABLE users')).rejects.toMatchObject({ code: 'ERR_DENIED' });
  const a = gated.as(admin);
  console.log(await a.query({ name: 'q1', text: 'SELECT $1::int AS n', values: [5] }));
  console.log(await a.query({ name: 'q1', values: [6] }));
  await s.end();
  await a.end();
  console.log(JSON.stringify(recorder.events, null, 1).slice(0, 3000));
});
