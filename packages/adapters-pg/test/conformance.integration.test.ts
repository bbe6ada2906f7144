// The pg adapter runs the shared adapter conformance suite (docs/ §8), once with the default
// in-memory approval store and once with the PostgreSQL approval store.
import { randomBytes } from 'node:crypto';
import { createPortcullis, parsePolicy, type Principal } from '@portcullis/core';
import {
  describeAdapterConformance,
  type ConformanceCaller,
  type ConformanceFactory,
} from '@portcullis/conformance';
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import {
  createGatedPool,
  createPgApprovalStore,
  type GatedNotice,
  type PgApprovalStore,
} from '../src/index.js';
import { randomAwsKeyId } from './fixtures.js';
import { freshSchema } from './fixtures/store-fixtures.js';

const POLICY = `
version: 1
targets:
  warehouse: { protocol: postgres }
recording: { required: true }
rules:
  - id: analysts-read
    effect: allow
    when: { groups: [analysts], targets: [warehouse], operations: [select] }
  - id: analysts-may-emit-notices
    effect: allow
    when: { groups: [analysts], targets: [warehouse], operations: [function], resources: [conformance_notice] }
  - id: analysts-write-needs-manager
    effect: review
    when: { groups: [analysts], targets: [warehouse], operations: [update] }
    review: { approvers: { groups: [managers] }, minApprovals: 1, ttl: 30m }
    reason: Writes need a manager
  - id: no-destructive-ddl
    effect: deny
    when: { targets: ["*"], operations: [drop, truncate] }
    reason: Destructive DDL is never allowed
masking:
  default: default
  profiles:
    default: { detectors: [secrets, pii] }
`;

const requester: Principal = { subject: 'alice', groups: ['analysts'], kind: 'agent', actor: 'copilot' };
const approver: Principal = { subject: 'bob', groups: ['managers'], kind: 'human' };

// Assembled at run time: nothing in the source looks like a live credential.
const secrets = {
  awsKey: randomAwsKeyId(),
  email: 'erin' + '@' + 'example.net',
  card: ['4111', '1111', '1111', '1111'].join(''),
};
const password = `conformance-${randomBytes(12).toString('hex')}`;

let db: TestDatabase;
let admin: pg.Pool;
const stores: PgApprovalStore[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  admin = new pg.Pool({ connectionString: db.url, max: 3 });
  admin.on('error', () => undefined);
  await admin.query(`
    CREATE TABLE conformance_items (id int PRIMARY KEY, note text, owner_email text, card text);
    CREATE TABLE conformance_counter (n int NOT NULL);
    CREATE FUNCTION conformance_notice(value text) RETURNS int LANGUAGE plpgsql AS $$
    BEGIN
      RAISE NOTICE 'saw %', value USING DETAIL = 'detail ' || value;
      RETURN 1;
    END $$;
  `);
  await admin.query('INSERT INTO conformance_items VALUES (1, $1, $2, $3)', [
    `key ${secrets.awsKey}`,
    secrets.email,
    secrets.card,
  ]);
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await admin.end();
  await db.close();
});

const factory: ConformanceFactory = async ({ approvals, recorder, caps }) => {
  await admin.query('DELETE FROM conformance_counter; INSERT INTO conformance_counter VALUES (0)');
  const portcullis = await createPortcullis({ policy: parsePolicy(POLICY), approvals, recorder });
  const gated = createGatedPool({
    config: { connectionString: db.url, password, max: 4 },
    portcullis,
    target: 'warehouse',
    caps,
  });
  return {
    portcullis,
    requester,
    approver,
    secrets: Object.values(secrets),
    credentials: [db.url, password],
    driverClasses: [pg.Client, pg.Pool],
    open(review): Promise<ConformanceCaller> {
      const session = gated.as(requester, { review });
      const notices: GatedNotice[] = [];
      session.on('notice', (n) => notices.push(n));
      return Promise.resolve({
        handle: session,
        read: () => session.query('SELECT id FROM conformance_items ORDER BY id'),
        write: () => session.query('UPDATE conformance_counter SET n = n + 1'),
        denied: () => session.query('DROP TABLE conformance_items'),
        secretRead: () => session.query('SELECT id, note, owner_email, card FROM conformance_items'),
        secretError: () => session.query('SELECT CAST(note AS integer) FROM conformance_items'),
        secretNotice: async () => {
          const result = await session.query(
            'SELECT conformance_notice(note || $1) AS n FROM conformance_items',
            [` ${secrets.email}`],
          );
          return { result, notices: [...notices] };
        },
        bigRead: () => session.query('SELECT g FROM generate_series(1, 1000) g'),
        end: () => session.end(),
      });
    },
    async writes() {
      const { rows } = await admin.query<{ n: number }>('SELECT n FROM conformance_counter');
      return rows[0]?.n ?? -1;
    },
    close: () => gated.end(),
  };
};

describeAdapterConformance('@portcullis/pg', factory);

describeAdapterConformance('@portcullis/pg with the PostgreSQL approval store', factory, {
  approvals: async () => {
    const store = createPgApprovalStore(admin, { schema: await freshSchema(admin, 'conf') });
    stores.push(store);
    return store;
  },
});
