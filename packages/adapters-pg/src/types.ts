/**
 * Public types of `@portcullis/pg`'s gated client.
 *
 * @packageDocumentation
 */
import type { Portcullis, Principal, PrincipalInput, ResolveOptions, ResultCaps } from '@portcullis/core';
import type { Pool, PoolConfig } from 'pg';

/** How a gated call handles a decision that needs review. */
export interface GatedReviewOptions {
  /**
   * `defer` (default): throw `ReviewRequiredError` (`ERR_REVIEW_REQUIRED`) with the approval id
   * at once; the same exact request runs once it is approved. `wait`: hold the call (and the
   * session's later calls) until it is approved, then run it once; denied → `DeniedError`;
   * after `timeoutMs` → `ReviewRequiredError` with code `ERR_REVIEW_TIMEOUT`.
   */
  readonly mode: 'defer' | 'wait';
  /** `wait` only: the longest wait in ms (default: until the approval request expires). */
  readonly timeoutMs?: number;
}

/** Options of {@link createGatedPool}. Exactly one of `pool` and `config`. */
export interface GatedPoolOptions {
  /**
   * A `pg.Pool` to take over. From now on it belongs to the gate: every client it creates is
   * guarded, and SQL that does not come through the facade destroys its connection. Do not keep
   * using it, or a reference to it, anywhere else.
   */
  readonly pool?: Pool;
  /** A `pg.PoolConfig` (connection string, credentials, `max`, …): the gate builds and owns the pool. */
  readonly config?: PoolConfig;
  /** The engine that decides, approves and records. */
  readonly portcullis: Portcullis;
  /** The policy's target name of this database (its protocol must be `postgres`). */
  readonly target: string;
  /** The default review mode of every session (default `{ mode: 'defer' }`). */
  readonly review?: GatedReviewOptions;
  readonly masking?: GatedMaskingOptions;
  readonly recording?: GatedRecordingOptions;
  /**
   * Limits on one request's result, enforced while rows arrive (every call shape: `query`,
   * `rowMode: 'array'`, pg-cursor, pg-query-stream). Past one, the request fails with
   * `ResultTooLargeError` (`ERR_RESULT_TOO_LARGE`) and no more rows are kept. Defaults:
   * 1 000 000 rows, 256 MiB of cell text, 10 minutes.
   */
  readonly caps?: Partial<ResultCaps>;
  /**
   * The schemas holding Portcullis's own state (the approval store's and recording sink's
   * `schema`; default `['portcullis']`). Any request whose SQL names one of them, in a name or a
   * string, is refused whatever the policy says. `[]` turns this off.
   */
  readonly stateSchemas?: readonly string[];
}

/** Masking options. */
export interface GatedMaskingOptions {
  /** The key of the `hash` masking style (HMAC-SHA-256); without one, `hash` columns are redacted. */
  readonly hashKey?: string | Uint8Array;
  /** How long a resolved table's column names are cached, in ms (default 60 000). */
  readonly catalogTtlMs?: number;
}

/** What a `result` event holds. */
export interface GatedRecordingOptions {
  /**
   * How many masked rows a `result` event keeps (default 100; 0 keeps only the summary and the
   * row count). More rows are counted and marked `truncated`.
   */
  readonly resultRows?: number;
}

/** One result column, as `pg` describes it, plus where it comes from. */
export interface GatedField {
  readonly name: string;
  readonly tableID: number;
  readonly columnID: number;
  readonly dataTypeID: number;
  readonly dataTypeSize: number;
  readonly dataTypeModifier: number;
  readonly format: string;
  /** `schema.table.column` of the column the value comes from, when it comes straight from one. */
  readonly source?: string;
}

/** A query's masked result: a plain object, never pg's `Result`. */
export interface GatedQueryResult<R = Record<string, unknown>> {
  /** The command tag's verb (`SELECT`, `UPDATE`, …). */
  readonly command: string;
  readonly rowCount: number | null;
  readonly oid: number | null;
  readonly rows: R[];
  readonly fields: GatedField[];
}

/** A query config object, as `pg` takes it. */
export interface GatedQueryConfig {
  readonly text?: string;
  readonly values?: readonly unknown[];
  /** A protocol-level prepared statement name: re-use by name runs the text it was prepared with. */
  readonly name?: string;
  readonly rowMode?: 'array';
  /** Custom type parsers: they receive already-masked text. */
  readonly types?: { getTypeParser(oid: number, format?: string): (value: string) => unknown };
  readonly queryMode?: 'extended';
}

/** A node-style callback. */
export type GatedCallback<R = Record<string, unknown>> = (
  err: Error | null,
  result?: GatedQueryResult<R>,
) => void;

/** Anything with `submit`: the gate accepts pg-cursor and pg-query-stream and refuses the rest. */
export interface GatedSubmittable {
  submit: (...args: never[]) => unknown;
}

/** A PostgreSQL notice, masked. */
export interface GatedNotice {
  readonly severity?: string;
  readonly code?: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
  readonly where?: string;
}

/** What can run queries: a session, or a transaction in it. */
export interface GatedQueryable {
  /**
   * Runs one request through the gate: classify, decide (approve), run, mask, record. Every
   * `pg` call shape: `query(text)`, `query(text, values)`, `query(config)`, each with or without
   * a trailing callback, and `query(cursor)` / `query(stream)` for pg-cursor and pg-query-stream
   * (returned as given, every read masked). A multi-statement text resolves to an array of
   * results, as in `pg`.
   *
   * @throws DeniedError (`ERR_DENIED`), ReviewRequiredError (`ERR_REVIEW_REQUIRED`,
   * `ERR_REVIEW_TIMEOUT`), RecordingError, BypassError, PgDatabaseError (the server's error,
   * masked), and TypeError (synchronously) for a call shape the gate cannot take.
   */
  query<R = Record<string, unknown>>(
    textOrConfig: string | GatedQueryConfig,
    values?: readonly unknown[],
  ): Promise<GatedQueryResult<R>>;
  query<R = Record<string, unknown>>(
    textOrConfig: string | GatedQueryConfig,
    callback: GatedCallback<R>,
  ): void;
  query<R = Record<string, unknown>>(
    textOrConfig: string | GatedQueryConfig,
    values: readonly unknown[] | undefined,
    callback: GatedCallback<R>,
  ): void;
  query<T extends GatedSubmittable>(submittable: T): T;
}

/** A transaction's handle: queries on its one connection, in order. */
export type GatedTransaction = GatedQueryable;

/** One principal's recorded session on the target. */
export interface GatedSession extends GatedQueryable {
  /** Who this session acts for. */
  readonly principal: Principal;
  /**
   * Runs `work` in a transaction on one connection: `BEGIN`, its queries in order, `COMMIT`
   * (or `ROLLBACK` when it throws). Each statement goes through the gate, so the policy must
   * allow the `transaction` operation. Queries made on the session itself (not on `tx`) wait
   * until the transaction ends.
   *
   * @throws whatever `work` or the gate throws, after rolling back.
   */
  transaction<T>(work: (tx: GatedTransaction) => Promise<T>): Promise<T>;
  /** Listens to the server's notices (masked) raised by this session's requests. */
  on(event: 'notice', listener: (notice: GatedNotice) => void): this;
  off(event: 'notice', listener: (notice: GatedNotice) => void): this;
  /**
   * Ends the session: waits for its requests, closes its connection state and writes
   * `session.end`. Later queries throw a TypeError.
   */
  end(): Promise<void>;
}

/** The gated pool: the only handle a caller gets. */
export interface GatedPool {
  /** The policy's target name. */
  readonly target: string;
  /**
   * A session for a principal the host has already authenticated. `kind` may be left out: it
   * defaults to `human` (pass `kind: 'agent'` and `actor` for an agent acting for a person).
   *
   * @throws TypeError when the principal has no subject, no groups list or an unknown kind.
   */
  as(principal: PrincipalInput, options?: GatedSessionOptions): GatedSession;
  /**
   * A session for the principal a bearer token names, verified by the engine's identity
   * resolver (with its DPoP proof when given or required).
   *
   * @throws TokenError when the token is rejected.
   */
  withToken(token: string, options?: GatedSessionOptions & ResolveOptions): Promise<GatedSession>;
  /**
   * A `pg.Pool`-shaped facade for query builders (drizzle-orm, Kysely, knex): every request one
   * of this principal's gated sessions. See {@link GatedPgPool}.
   */
  pool(principal: PrincipalInput, options?: GatedSessionOptions): GatedPgPool;
  /**
   * {@link GatedPool.pool} for the principal a bearer token names.
   *
   * @throws TokenError when the token is rejected.
   */
  poolForToken(token: string, options?: GatedSessionOptions & ResolveOptions): Promise<GatedPgPool>;
  /** Ends every session and closes the pool. */
  end(): Promise<void>;
}

/**
 * The part of `pg.Pool` query builders use, over one principal's gated sessions. `query` runs on
 * one shared session (in order); each `connect()` checks out a client that is a gated session of
 * its own, with its own order and transaction state, ended by `release()`. It is not a connection
 * config: reading `host`, `connectionString`, … throws a TypeError naming the supported wiring.
 */
export interface GatedPgPool extends GatedQueryable {
  /** Checks out a client: a new gated session. */
  connect(): Promise<GatedPgPoolClient>;
  connect(
    callback: (err: Error | null | undefined, client?: GatedPgPoolClient, done?: () => void) => void,
  ): void;
  /** Ends every session of this facade (the gated pool itself stays open). */
  end(): Promise<void>;
  end(callback: () => void): void;
  /** Accepts pg.Pool's events; the gate reports errors on the call that caused them. */
  on(event: string, listener: (...args: never[]) => void): this;
  once(event: string, listener: (...args: never[]) => void): this;
  off(event: string, listener: (...args: never[]) => void): this;
  removeListener(event: string, listener: (...args: never[]) => void): this;
  /** Sessions open (checked-out clients and the shared one). */
  readonly totalCount: number;
  /** Always 0: a released client's session ends. */
  readonly idleCount: number;
  /** Always 0: `connect()` never waits for a slot here (the gated pool's `max` applies per query). */
  readonly waitingCount: number;
  /** Whether `end()` was called. */
  readonly ended: boolean;
}

/** A checked-out client of a {@link GatedPgPool}: one gated session. */
export interface GatedPgPoolClient extends GatedQueryable {
  /** Ends the client's session; a transaction still open is rolled back (its connection closed). */
  release(destroy?: boolean | Error): void;
  /** `notice` listeners get masked notices; other events are accepted and never fire. */
  on(event: string, listener: (...args: never[]) => void): this;
  once(event: string, listener: (...args: never[]) => void): this;
  off(event: string, listener: (...args: never[]) => void): this;
  removeListener(event: string, listener: (...args: never[]) => void): this;
}

/** Per-session options. */
export interface GatedSessionOptions {
  /** This session's review mode (default: the pool's). */
  readonly review?: GatedReviewOptions;
}
