// Shared set-up of the gated-client integration tests: a policy, an engine, a recorder that
// keeps events in memory, and a schema with secrets in it.
import {
  createPortcullis,
  parsePolicy,
  type ApprovalStore,
  type Portcullis,
  type Principal,
  type Recorder,
  type RecordEvent,
  type RecordEventType,
  type SessionRecorder,
} from '@portcullis/core';
import { randomAwsKeyId } from '@portcullis/testing';
import pg from 'pg';

export const POLICY = `
version: 1
targets:
  warehouse: { protocol: postgres }
rules:
  - id: admins-all
    effect: allow
    when: { groups: [admins], targets: [warehouse] }
  - id: analysts-read
    effect: allow
    when: { groups: [analysts], targets: [warehouse], operations: [select, explain, transaction, show, other] }
    mask: default
  - id: analysts-write-needs-manager
    effect: review
    when: { groups: [analysts], targets: [warehouse], operations: [insert, update, delete] }
    review: { approvers: { groups: [managers] }, minApprovals: 1, ttl: 30m }
    reason: Writes to the warehouse need a manager
  - id: no-destructive-ddl
    effect: deny
    when: { targets: ["*"], operations: [drop, truncate] }
    reason: Destructive DDL is never allowed
masking:
  default: default
  profiles:
    default:
      detectors: [secrets, pii]
      columns: { "public.users.password": redact, "*ssn*": redact }
`;

export const alice: Principal = { subject: 'alice', groups: ['analysts'], kind: 'human' };
export const agent: Principal = { subject: 'alice', groups: ['analysts'], kind: 'agent', actor: 'copilot' };
export const bob: Principal = { subject: 'bob', groups: ['managers'], kind: 'human' };
export const admin: Principal = { subject: 'root', groups: ['admins'], kind: 'service' };

/** A recorder that keeps every event in memory (no hashing: the tests read the order and data). */
export interface MemoryRecorder extends Recorder {
  readonly events: { session: string; type: RecordEventType; data: unknown }[];
  /** Makes every later `record` of these types fail. */
  failing: Set<RecordEventType>;
}

export function memoryRecorder(): MemoryRecorder {
  const events: MemoryRecorder['events'] = [];
  let sessions = 0;
  const failing = new Set<RecordEventType>();
  const recorder: MemoryRecorder = {
    events,
    failing,
    start(data) {
      const session = `s${++sessions}`;
      let seq = 0;
      const push = (type: RecordEventType, payload: unknown): RecordEvent => {
        if (recorder.failing.has(type)) throw new Error(`the sink refused a ${type} event`);
        events.push({ session, type, data: payload });
        return {
          v: 1,
          session,
          seq: seq++,
          ts: new Date().toISOString(),
          type,
          data: payload,
          prev: '',
          hash: '',
        };
      };
      push('session.start', data);
      const rec: SessionRecorder = {
        session,
        record: (type, payload) => Promise.resolve().then(() => push(type, payload)),
        end: (payload) => Promise.resolve().then(() => push('session.end', payload ?? {})),
      };
      return Promise.resolve(rec);
    },
  };
  return recorder;
}

export async function engine(
  options: { recorder?: Recorder; approvals?: ApprovalStore; policy?: string } = {},
): Promise<Portcullis> {
  return createPortcullis({
    policy: parsePolicy(options.policy ?? POLICY),
    ...(options.recorder === undefined ? {} : { recorder: options.recorder }),
    ...(options.approvals === undefined ? {} : { approvals: options.approvals }),
  });
}

/** Secrets made at run time so no scanner mistakes the source for a live credential. */
export { randomAwsKeyId };

export const secrets = {
  awsKey: randomAwsKeyId(),
  email: 'carol' + '@' + 'example.com',
  password: 'hunter2-' + 'correct-horse',
};

/** Creates the schema with the raw driver (as the host's migrations would). */
export async function createSchema(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`
      DROP TABLE IF EXISTS users, orders, big;
      CREATE TABLE users (id int PRIMARY KEY, name text, email text UNIQUE, password text, note text, ssn text, profile jsonb);
      CREATE TABLE orders (id int PRIMARY KEY, user_id int, total numeric);
      CREATE TABLE big (id int PRIMARY KEY, email text, token text);
    `);
    await client.query(
      'INSERT INTO users VALUES ($1, $2, $3, $4, $5, $6, $7), ($8, $9, $10, $11, $12, $13, $14)',
      [
        1,
        'Carol',
        secrets.email,
        secrets.password,
        `key ${secrets.awsKey}`,
        '123-45-6789',
        JSON.stringify({ apiKey: secrets.awsKey, city: 'Oslo' }),
        2,
        'Dan',
        'dan' + '@' + 'example.org',
        'pw-' + 'x'.repeat(10),
        'nothing to see',
        '987-65-4321',
        JSON.stringify({ city: 'Rome' }),
      ],
    );
    await client.query('INSERT INTO orders VALUES (1, 1, 10.5), (2, 2, 20)');
    await client.query(
      `INSERT INTO big SELECT g, 'user' || g || '@example.com', '${secrets.awsKey}' FROM generate_series(1, 10000) g`,
    );
  } finally {
    await client.end();
  }
}

/** Runs one statement with the raw driver: the test's own view of the database, past the gate. */
export async function rawQuery<R extends Record<string, unknown>>(
  url: string,
  sql: string,
  values?: unknown[],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** A pg client a test captured from under the gate, with its connection's internals reachable. */
export type RawClient = pg.Client & { connection: pg.Connection & Record<string, unknown> };

/**
 * Runs a gated query (as `admin`) while `pg.Client.prototype.query` is patched to see `this`:
 * the client the gate used, as code that patches the driver would capture it.
 */
export async function captureClient(
  gated: { as(principal: Principal): { query(sql: string): Promise<unknown> } },
  sql = 'SELECT 1',
): Promise<RawClient> {
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original = pg.Client.prototype.query;
  const seen: RawClient[] = [];
  pg.Client.prototype.query = function (this: RawClient, ...args: unknown[]) {
    seen.push(this);
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    await gated.as(admin).query(sql);
  } finally {
    pg.Client.prototype.query = original;
  }
  const captured = seen[0];
  if (captured === undefined) throw new Error('no client captured');
  return captured;
}

/**
 * One frontend protocol message: its type byte, its length, then each part (a string written
 * with its NUL terminator, a Buffer as it is).
 */
export function protocolMessage(type: string, ...parts: readonly (string | Buffer)[]): Buffer {
  const body = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(`${p}\u0000`) : p)));
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}
