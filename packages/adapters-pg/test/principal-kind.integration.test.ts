// db.as(principal) and db.pool(principal) without a kind, against a real server
// (PORTCULLIS_PG_URL) or PGlite: the kind defaults to human (as suites and the CLI do), a given
// kind is kept, and an unknown one is refused before anything runs.
import { DeniedError } from '@portcullis/core';
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGatedPool, type GatedPool } from '../src/index.js';
import { engine, memoryRecorder, type MemoryRecorder } from './fixtures.js';

const POLICY = `
version: 1
targets: { warehouse: { protocol: postgres } }
rules:
  - { id: humans-read, effect: allow, when: { kinds: [human], operations: [select] } }
`;

let db: TestDatabase;
let gated: GatedPool;
let recorder: MemoryRecorder;

beforeAll(async () => {
  db = await createTestDatabase();
  recorder = memoryRecorder();
  gated = createGatedPool({
    config: { connectionString: db.url, max: 2 },
    portcullis: await engine({ policy: POLICY, recorder }),
    target: 'warehouse',
  });
});

afterAll(async () => {
  await gated.end();
  await db.close();
});

it('as() without a kind: a human session, recorded as one', async () => {
  const session = gated.as({ subject: 'carol', groups: ['analysts'] });
  expect(session.principal).toEqual({ subject: 'carol', groups: ['analysts'], kind: 'human' });
  const { rows } = await session.query('SELECT 1 AS one');
  expect(rows).toEqual([{ one: 1 }]);
  await session.end();
  const start = recorder.events.find((e) => e.type === 'session.start');
  expect(start?.data).toMatchObject({ principal: { subject: 'carol', kind: 'human' } });
});

it('pool() without a kind is a human too; a given kind is kept', async () => {
  const facade = gated.pool({ subject: 'carol', groups: ['analysts'] });
  const result = await facade.query('SELECT 2 AS two');
  expect(result.rows).toEqual([{ two: 2 }]);
  await facade.end();

  const agent = gated.as({ subject: 'carol', groups: ['analysts'], kind: 'agent', actor: 'copilot' });
  expect(agent.principal.kind).toBe('agent');
  await expect(agent.query('SELECT 1')).rejects.toBeInstanceOf(DeniedError);
  await agent.end();
});

it('an unknown kind is refused', () => {
  expect(() => gated.as({ subject: 'carol', groups: [], kind: 'robot' } as never)).toThrow(
    /kind: human, agent or service; default 'human'/,
  );
  expect(() => gated.pool({ subject: 'carol', groups: [], kind: 'Human' } as never)).toThrow(TypeError);
});
