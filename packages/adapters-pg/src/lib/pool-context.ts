import type { Action, ClassifyContext } from '@portcullis/core';
import type { PoolClient } from 'pg';
import type { ColumnCatalog } from './column-catalog.js';

/** What a pg-cursor constructor looks like. */
export type CursorConstructor = new (
  text: string,
  values?: readonly unknown[],
  config?: { readonly rowMode?: 'array'; readonly types?: unknown },
) => InternalCursor;

/** The pg-cursor methods the gate drives on its own cursor. */
export interface InternalCursor {
  read(rows: number, callback: (err: Error | null | undefined, rows: unknown[]) => void): void;
  close(callback: (err?: Error | null) => void): void;
  once(event: 'end', listener: () => void): unknown;
  readonly _result: { readonly fields: readonly unknown[] };
}

/** Session state changes an SQL text makes, from the core's `analyzeSql`. */
export interface SqlEffects {
  /** Every action of the text. */
  readonly actions: readonly Action[];
  /** `PREPARE name AS …`: the actions to remember under the name, and the PREPARE statement's own text. */
  readonly prepares: readonly {
    readonly name: string;
    readonly actions: readonly Action[];
    readonly statement: string;
  }[];
  /** `DEALLOCATE name`. */
  readonly deallocates: readonly string[];
  /** `DEALLOCATE ALL` or `DISCARD ALL`. */
  readonly deallocatesAll: boolean;
  /** The SQL-level prepared statements the text runs (`EXECUTE name`, `EXPLAIN EXECUTE name`, …). */
  readonly executes: readonly string[];
  /** How many statements the text holds (0 when it could not be analysed). */
  readonly statements: number;
  /**
   * The transaction-control statements, in order, by kind: `begin`, `start`, `commit`,
   * `rollback`, `savepoint`, `release`, `rollback_to`, `prepare`, `commit_prepared`,
   * `rollback_prepared`.
   */
  readonly transactions: readonly string[];
}

/** What every session of one gated pool shares. Internal: never reachable from a facade. */
export interface PoolContext {
  readonly target: string;
  readonly catalog: ColumnCatalog;
  readonly resultRows: number;
  /** The schemas of the gate's own state, refused to every request (see state-guard.ts). */
  readonly stateSchemas: readonly string[];
  /** A guarded client from the pool; `onBypass` hears if the backstop destroys it before release. */
  acquire(onBypass: (error: Error) => void): Promise<PoolClient>;
  /** Returns a client; `destroy` closes its connection instead of keeping it. */
  release(client: PoolClient, destroy: boolean): void;
  /** What an SQL text does to session state. */
  effects(text: string, context: ClassifyContext): SqlEffects;
  /** pg-cursor, loaded when a caller first passes a cursor or a stream. */
  cursorClass(): Promise<CursorConstructor>;
}
