// The walker's shared types: its items, statement kinds and the handler signature, in their own
// module so the statement handlers (utility.ts) and the walker (walk.ts) need not import each other.
import type { Action } from '../../types.js';
import type { SqlObj } from './names.js';

/** `EXECUTE name`: resolved against the session's prepared statements at classification time. */
export interface SqlRef {
  readonly ref: string;
  /** Inside EXPLAIN without ANALYZE: only planned, so mapped as {@link explainItems} does. */
  readonly explain: boolean;
}

/** A context-free classification item: an action, or a reference to a prepared statement. */
export type SqlItem = Action | SqlRef;

/** What kind of statement a top-level statement is, for adapters that track session state. */
export type StatementMeta =
  | { readonly kind: 'statement' }
  | { readonly kind: 'prepare'; readonly name: string }
  | { readonly kind: 'execute'; readonly name: string }
  | { readonly kind: 'deallocate'; readonly name?: string; readonly all: boolean }
  | { readonly kind: 'transaction'; readonly transaction: string };

/** One top-level statement: its byte span and its items. */
export interface WalkedStatement {
  readonly startByte: number;
  /** Exclusive; undefined means "to the end of the text". */
  readonly endByte: number | undefined;
  readonly meta: StatementMeta;
  readonly items: readonly SqlItem[];
}

/** CTE names visible at a point of the tree, innermost first. */
export interface Scope {
  readonly names: ReadonlySet<string>;
  readonly parent: Scope | undefined;
}

/** Handles one node kind. */
export type Handler = (w: WalkerApi, body: SqlObj, scope: Scope | undefined) => void;

/** What a statement handler may do with the walker that called it (see `Walker` in walk.ts). */
export interface WalkerApi {
  items: SqlItem[];
  meta: StatementMeta;
  /** Adds an action (a `pg_catalog`-qualified name also adds its bare name). */
  emit(operation: string, resource?: string): void;
  /** Adds `unknown`: something here could not be resolved. */
  unknown(): void;
  /** Visits any value of the tree. */
  visit(value: unknown, scope: Scope | undefined): void;
  /** Visits every field of `body` except those named in `skip`. */
  fields(body: SqlObj, scope: Scope | undefined, skip?: readonly string[]): void;
  /** Dispatches one wrapped node. */
  node(type: string, body: SqlObj, scope: Scope | undefined): void;
  /** Visits a query in statement position. */
  root(value: unknown, scope: Scope | undefined): void;
  /** Runs `fn` and returns the items it added, removing them from this walker. */
  capture(fn: () => void): SqlItem[];
  /** Adds the CTE names of a WITH clause to the scope, visiting each CTE's query in its own scope. */
  withClause(withClause: unknown, scope: Scope | undefined): Scope | undefined;
}
