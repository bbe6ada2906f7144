import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  configuredServerUrl,
  createTestDatabase,
  NEEDS_MULTI_SESSION,
  type TestDatabase,
} from '@portcullis/testing';

describe('configuredServerUrl', () => {
  it('prefers PORTCULLIS_PG_URL', () => {
    expect(configuredServerUrl({ PORTCULLIS_PG_URL: 'postgres://h:1/db', PGHOST: 'other' })).toBe(
      'postgres://h:1/db',
    );
  });
  it('builds a URL from the PG* variables', () => {
    expect(
      configuredServerUrl({
        PGHOST: '127.0.0.1',
        PGPORT: '5433',
        PGUSER: 'app',
        PGPASSWORD: 'p w',
        PGDATABASE: 'd',
      }),
    ).toBe('postgres://app:p%20w@127.0.0.1:5433/d');
  });
  it('passes a socket directory as the host parameter', () => {
    expect(configuredServerUrl({ PGHOST: '/var/run/postgresql', PGDATABASE: 'test' })).toBe(
      'postgres://localhost/test?host=%2Fvar%2Frun%2Fpostgresql',
    );
  });
  it('is undefined when nothing is configured', () => {
    expect(configuredServerUrl({})).toBeUndefined();
  });
});

describe('createTestDatabase (integration)', () => {
  let db: TestDatabase;
  let client: pg.Client;
  beforeAll(async () => {
    db = await createTestDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await db.close();
  });

  it('gives this file a database it can write to', async () => {
    await client.query('CREATE TABLE t (id int primary key, note text)');
    await client.query('INSERT INTO t VALUES ($1, $2)', [1, 'one']);
    const { rows } = await client.query<{ note: string }>('SELECT note FROM t WHERE id = $1', [1]);
    expect(rows).toEqual([{ note: 'one' }]);
  });

  it('reports which server it is on', () => {
    expect(db.kind).toBe(configuredServerUrl() === undefined ? 'pglite' : 'postgres');
    expect(db.multiSession).toBe(db.kind === 'postgres');
  });

  it.skipIf(configuredServerUrl() === undefined)(
    `keeps sessions apart (${NEEDS_MULTI_SESSION})`,
    async () => {
      const other = new pg.Client({ connectionString: db.url });
      await other.connect();
      try {
        await client.query("SET application_name = 'first'");
        const { rows } = await other.query<{ application_name: string }>('SHOW application_name');
        expect(rows[0]?.application_name).not.toBe('first');
      } finally {
        await other.end();
      }
    },
  );
});
