import { loadSqlClassifier } from '@portcullis/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { grantFate, type GrantFate, type StatementEnd } from './grant-fate.js';
import { sqlEffects } from './sql-effects.js';

beforeAll(async () => {
  await loadSqlClassifier();
});

type Case = [
  text: string,
  before: string,
  after: string | undefined,
  outcome: StatementEnd['outcome'],
  command: string | undefined,
  fate: GrantFate,
];

// Each row: a statement on a connection whose transaction held reserved grants (before T/E), or
// an autocommit one (before I), and what becomes of the grants.
const cases: Case[] = [
  // Inside a transaction: kept while it stays open.
  ['INSERT INTO t VALUES (1)', 'T', 'T', 'ok', 'INSERT', 'keep'],
  ['INSERT INTO t VALUES (1)', 'T', 'E', 'server-error', undefined, 'keep'],
  ['SAVEPOINT s', 'T', 'T', 'ok', 'SAVEPOINT', 'keep'],
  ['ROLLBACK TO SAVEPOINT s', 'E', 'T', 'ok', 'ROLLBACK', 'keep'],
  // Certainly rolled back: released.
  ['ROLLBACK', 'T', 'I', 'ok', 'ROLLBACK', 'release'],
  ['ABORT', 'E', 'I', 'ok', 'ROLLBACK', 'release'],
  ['COMMIT', 'E', 'I', 'ok', 'ROLLBACK', 'release'],
  ['COMMIT', 'T', 'I', 'server-error', undefined, 'release'],
  ['END', 'T', 'I', 'server-error', undefined, 'release'],
  ['INSERT INTO t VALUES (1)', 'T', undefined, 'other', undefined, 'release'],
  ['SELECT 1', 'E', undefined, 'other', undefined, 'release'],
  // Committed, or may have: consumed.
  ['COMMIT', 'T', 'I', 'ok', 'COMMIT', 'consume'],
  ['COMMIT', 'T', undefined, 'other', undefined, 'consume'],
  ['COMMIT AND CHAIN', 'T', 'T', 'ok', 'COMMIT', 'consume'],
  ['COMMIT; BEGIN', 'T', 'T', 'ok', undefined, 'consume'],
  ['INSERT INTO t VALUES (1); COMMIT', 'T', 'I', 'ok', undefined, 'consume'],
  ['COMMIT; SELECT 1/0', 'T', 'I', 'server-error', undefined, 'consume'],
  ['ROLLBACK; INSERT INTO t VALUES (1)', 'T', 'I', 'ok', undefined, 'consume'],
  ["PREPARE TRANSACTION 'x'", 'T', 'I', 'ok', 'PREPARE TRANSACTION', 'consume'],
  ["PREPARE TRANSACTION 'x'", 'T', 'I', 'server-error', undefined, 'consume'],
  ['not sql at all', 'T', 'I', 'server-error', undefined, 'consume'],
  ['not sql at all', 'T', undefined, 'other', undefined, 'consume'],
  ['SELECT 1', 'T', 'X', 'ok', 'SELECT', 'consume'],
  // Autocommit: spent when it ran; released only when the server refused work that rolls back whole.
  ['INSERT INTO t VALUES (1)', 'I', 'I', 'ok', 'INSERT', 'consume'],
  ['INSERT INTO t VALUES (1)', 'I', 'I', 'other', undefined, 'consume'],
  ['INSERT INTO t VALUES (1)', 'I', undefined, 'other', undefined, 'consume'],
  ['INSERT INTO t VALUES (1)', 'I', 'I', 'server-error', undefined, 'release'],
  ['INSERT INTO t VALUES (1); DELETE FROM u', 'I', 'I', 'server-error', undefined, 'release'],
  ['CALL p()', 'I', 'I', 'server-error', undefined, 'consume'],
  ['DO $$ BEGIN COMMIT; END $$', 'I', 'I', 'server-error', undefined, 'consume'],
  ['CREATE INDEX CONCURRENTLY i ON t (a)', 'I', 'I', 'server-error', undefined, 'consume'],
  ['VACUUM t, u', 'I', 'I', 'server-error', undefined, 'consume'],
  ['INSERT INTO t VALUES (1); COMMIT', 'I', 'I', 'server-error', undefined, 'consume'],
  // Opening a transaction keeps what it reserves.
  ['BEGIN; INSERT INTO t VALUES (1)', 'I', 'T', 'ok', undefined, 'keep'],
];

describe('grantFate', () => {
  it.each(cases)('%s (%s → %s, %s)', (text, before, after, outcome, command, fate) => {
    expect(grantFate({ before, after, outcome, command, effects: sqlEffects(text, {}) })).toBe(fate);
  });
});
