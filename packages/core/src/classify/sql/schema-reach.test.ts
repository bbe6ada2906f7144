import { beforeAll, describe, expect, it } from 'vitest';
import { loadSqlClassifier } from '../sql.js';
import { sqlReachesSchema } from './schema-reach.js';

beforeAll(async () => {
  await loadSqlClassifier();
});

const S = ['portcullis'];

describe('sqlReachesSchema', () => {
  it.each([
    'SELECT * FROM portcullis.approvals',
    'SELECT * FROM "portcullis".approvals',
    'SELECT * FROM PORTCULLIS.recording',
    'DELETE FROM portcullis.recording WHERE true',
    'UPDATE portcullis.approvals SET status = $1',
    'SELECT * FROM U&"\\0070ortcullis".approvals',
    "SELECT query_to_xml(E'select * from \\x70ortcullis.approvals', true, true, '')",
    "SELECT query_to_xml(U&'select * from \\0070ortcullis.approvals', true, true, '')",
    "SELECT set_config('search_path', 'portcullis', false)",
    'SET search_path = portcullis, public',
    'SET search_path = "portcullis"',
    'DO $$ BEGIN PERFORM 1 FROM portcullis.approvals; END $$',
    "SELECT 'portcullis.approvals'::regclass",
    'SELECT NULL::portcullis.approvals',
    'SELECT portcullis.recording_is_append_only()',
    'COPY portcullis.recording TO STDOUT',
    'ALTER ROLE current_user SET search_path = portcullis',
    'GRANT ALL ON ALL TABLES IN SCHEMA portcullis TO PUBLIC',
    'SELECT 1 /* portcullis */',
    'SELECT 1 FROM portcullis . approvals',
  ])('refuses %s', (sql) => {
    expect(sqlReachesSchema(sql, S)).toMatch(/state schema "portcullis"/);
  });

  it.each([
    'SELECT * FROM public.orders',
    'SELECT portcullis_notes FROM public.t',
    'SELECT * FROM myportcullis.t',
    "SELECT 'no state here'",
  ])('passes %s', (sql) => {
    expect(sqlReachesSchema(sql, S)).toBeUndefined();
  });

  it('checks every configured schema, and none when none is configured', () => {
    expect(sqlReachesSchema('SELECT * FROM audit.recording', ['portcullis', 'audit'])).toMatch(/"audit"/);
    expect(sqlReachesSchema('SELECT * FROM portcullis.approvals', [])).toBeUndefined();
  });

  it('passes a text that does not parse unless its raw text names the schema', () => {
    expect(sqlReachesSchema('SELEC oops', S)).toBeUndefined();
    expect(sqlReachesSchema('SELEC oops portcullis', S)).toBeDefined();
  });

  it('walks a deep tree without overflowing', () => {
    const deep = `SELECT ${'('.repeat(900)}1${')'.repeat(900)}`;
    expect(() => sqlReachesSchema(deep, S)).not.toThrow();
  });
});
