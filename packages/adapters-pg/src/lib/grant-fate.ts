/**
 * What happens to the `once` grants reserved by statements of a transaction once a statement
 * on the same connection has ended: kept while the transaction stays open, consumed when it
 * committed or may have, released only when it certainly did not. Pure: the connection state
 * decides, from the server's transaction status before and after and what the text is.
 */
import type { SqlEffects } from './pool-context.js';

/** How one statement ended, as far as reserved grants care. */
export interface StatementEnd {
  /** The transaction status before it ran (`I` idle, `T` in a transaction, `E` failed one). */
  readonly before: string;
  /**
   * The status once the server answered it; `undefined` when the connection closed first (the
   * server then rolled back whatever was open) — never for a connection that stays in use.
   */
  readonly after: string | undefined;
  /** `ok`; `server-error` (the server refused it); `other` (a cap, a lost connection, …). */
  readonly outcome: 'ok' | 'server-error' | 'other';
  /** The command tag of a one-statement text's result (`COMMIT`, `ROLLBACK`, …). */
  readonly command?: string | undefined;
  /** What the text is (statements, transaction control, actions). */
  readonly effects: SqlEffects;
}

/** `keep` the reservations, `consume` them (spent) or `release` them (usable again). */
export type GrantFate = 'keep' | 'consume' | 'release';

// Transaction control that commits, or hands the transaction to something that can commit it.
const COMMITS = new Set(['commit', 'prepare', 'commit_prepared']);
// What an autocommit text the server refused can have done: nothing that outlives its
// implicit transaction. Anything else (CALL and DO commit part-way, CREATE INDEX CONCURRENTLY,
// VACUUM of several tables, COPY, unknown texts) may have left committed work behind.
const ROLLED_BACK_ON_ERROR = new Set(['select', 'insert', 'update', 'delete', 'merge', 'function', 'lock']);

/**
 * The fate of every grant reserved on the connection since its last commit, including one the
 * statement itself reserved. Effects outside the database transaction (a trigger's `dblink`
 * call, a sequence advanced) are not the grant's concern: the approved statement's own work is.
 *
 * @example
 * ```ts
 * grantFate({ before: 'T', after: 'I', outcome: 'ok', command: 'ROLLBACK', effects: sqlEffects('ROLLBACK', {}) }); // 'release'
 * grantFate({ before: 'T', after: 'I', outcome: 'ok', command: 'COMMIT', effects: sqlEffects('COMMIT', {}) }); // 'consume'
 * ```
 */
export function grantFate(end: StatementEnd): GrantFate {
  const { before, after, outcome, effects } = end;
  const inTransaction = before === 'T' || before === 'E';
  const unknown = effects.statements === 0 || effects.actions.some((a) => a.operation === 'unknown');
  const commits = unknown || effects.transactions.some((kind) => COMMITS.has(kind));
  if (after === undefined) {
    // The connection closed: an open transaction was rolled back by the server — unless this
    // very text may have committed before the connection went.
    return inTransaction && !commits ? 'release' : 'consume';
  }
  // Still (or newly) in a transaction; a text that committed on the way spent what it held.
  if (after === 'T' || after === 'E') return commits ? 'consume' : 'keep';
  if (after !== 'I') return 'consume';
  if (inTransaction) {
    // The transaction ended. Only a lone ROLLBACK, or a lone COMMIT that failed or was answered
    // ROLLBACK (the transaction had failed), certainly ended it without committing.
    const only = effects.statements === 1 && effects.transactions.length === 1 ? effects.transactions[0] : '';
    if (only === 'rollback' && outcome === 'ok') return 'release';
    if (only === 'commit' && outcome === 'ok' && end.command === 'ROLLBACK') return 'release';
    if (only === 'commit' && outcome === 'server-error') return 'release';
    return 'consume';
  }
  // Autocommit: a text the server refused ran in one implicit transaction, rolled back whole.
  if (
    outcome === 'server-error' &&
    effects.transactions.length === 0 &&
    !commits &&
    effects.actions.every((a) => ROLLED_BACK_ON_ERROR.has(a.operation))
  ) {
    return 'release';
  }
  return 'consume';
}
