import { randomUUID } from 'node:crypto';
import {
  ApprovalError,
  applyVote,
  consumeGrant,
  endReservation,
  grantCovers,
  matchesFilter,
  newApprovalRequest,
  settleApproval,
  type ApprovalChange,
  type ApprovalFilter,
  type ApprovalRequest,
  type ApprovalStatus,
  type ApprovalStore,
  type ApprovalVoteInput,
  type CreateApprovalInput,
  type GrantQuery,
  type ReservationOutcome,
} from '@portcullis/core';
import pg from 'pg';
import type { ClientBase, Pool, PoolClient } from 'pg';
import { createApprovalListener, type ListenConnection } from './lib/approval-store-listener.js';
import {
  deepFreeze,
  inTransaction,
  parseRecord,
  toStoreError,
  type AfterCommit,
  causeOf,
  messageOf,
} from './lib/approval-store-rows.js';
import { approvalChannel, checkSchemaName } from './lib/migrate-schema-name.js';

/** Options of {@link createPgApprovalStore}. */
export interface PgApprovalStoreOptions {
  /** The schema `migrate()` created the tables in (default `portcullis`). */
  readonly schema?: string;
  /** Makes approval ids (default `crypto.randomUUID`). */
  readonly newId?: () => string;
  /**
   * How often a waiter re-reads its request besides being woken by notifications, in ms
   * (default 5000; 0: only notifications). A backstop, never the only way to wake.
   */
  readonly pollIntervalMs?: number;
  /** How many times the listening connection is re-opened after it drops before waits fail (default 5). */
  readonly reconnectAttempts?: number;
  /**
   * Opens the dedicated listening connection. Default: a `pg.Client` made from the pool's own
   * configuration, as the pool makes its clients — outside the pool, so a waiting caller never
   * holds one of the pool's connections.
   */
  readonly listenConnection?: () => Promise<ListenConnection>;
}

/** The PostgreSQL {@link ApprovalStore}, with a way to stop listening. */
export interface PgApprovalStore extends ApprovalStore {
  /** The schema it works in. */
  readonly schema: string;
  /** Always present here: this store supports reservations (see `ApprovalStore`). */
  endReservation(
    id: string,
    holder: string,
    outcome: ReservationOutcome,
    at: Date,
  ): Promise<ApprovalRequest | undefined>;
  /**
   * Closes the listening connection and fails every pending `waitFor` with
   * `ERR_APPROVAL_STORE`; later operations reject the same way. The pool is the host's and stays
   * open.
   */
  close(): Promise<void>;
}

type ChangeKind = ApprovalChange['type'] | 'settled';

interface Waiter {
  readonly resolve: (approval: ApprovalRequest) => void;
  readonly reject: (error: Error) => void;
}

// Statuses a stored row can leave: settleApproval moves `pending` and `approved` to `expired`;
// every other status is final. Used only to narrow what is read — the pure functions decide.
const LIVE_STATUSES: readonly ApprovalStatus[] = ['pending', 'approved'];

/**
 * An {@link ApprovalStore} in PostgreSQL, shared by every process using the same database and
 * schema. Each operation is one transaction that locks the rows it decides on (`SELECT … FOR
 * UPDATE`; creation also takes an advisory lock on the request hash) and decides with the same
 * pure functions as the in-memory store (`newApprovalRequest`, `applyVote`, `settleApproval`,
 * `consumeGrant`, `endReservation`, `grantCovers`, `matchesFilter`), so of any number of
 * concurrent callers in any number of processes exactly one consumes (or reserves) a `once` grant. Changes are announced with NOTIFY on
 * `<schema>_approvals` after they commit: `waitFor` and `subscribe` in every process wake through
 * one dedicated LISTEN connection per store, re-opened if it drops.
 *
 * Fails closed: any failure of the database, the network or a stored row rejects with an
 * `ApprovalError` `ERR_APPROVAL_STORE` (cause chained), which the engine turns into a denial.
 * The tables must exist: run {@link migrate} first. The pool belongs to the host; give the store
 * its own (not the gated facade's).
 *
 * @example
 * ```ts
 * const storePool = new pg.Pool({ connectionString: process.env.PORTCULLIS_STORE_URL });
 * await migrate(storePool);
 * const approvals = createPgApprovalStore(storePool);
 * const portcullis = await createPortcullis({ policy, approvals });
 * // … on shutdown
 * await approvals.close();
 * await storePool.end();
 * ```
 * @throws TypeError when `pool` is not a `pg.Pool`, the schema name is invalid or an option is
 * out of range. Operations reject with `ApprovalError` (rule codes from the pure functions,
 * `ERR_APPROVAL_STORE` for storage failures).
 */
export function createPgApprovalStore(pool: Pool, options: PgApprovalStoreOptions = {}): PgApprovalStore {
  if (typeof (pool as Partial<Pool> | null)?.connect !== 'function' || typeof pool.query !== 'function') {
    throw new TypeError('createPgApprovalStore() takes a pg.Pool');
  }
  const schema = checkSchemaName(options.schema);
  const table = `${schema}.approvals`;
  const channel = approvalChannel(schema);
  const newId = options.newId ?? randomUUID;
  const pollIntervalMs = options.pollIntervalMs ?? 5000;
  const reconnectAttempts = options.reconnectAttempts ?? 5;
  if (!(Number.isFinite(pollIntervalMs) && pollIntervalMs >= 0)) {
    throw new TypeError('pollIntervalMs must be a number of milliseconds ≥ 0');
  }
  if (!(Number.isInteger(reconnectAttempts) && reconnectAttempts >= 0)) {
    throw new TypeError('reconnectAttempts must be a whole number ≥ 0');
  }
  // Tells this store's own notifications apart from other stores' (other processes).
  const origin = randomUUID();
  const waiters = new Map<string, Set<Waiter>>();
  const listeners = new Set<(change: ApprovalChange) => void>();
  let closed = false;

  const listener = createApprovalListener({
    connect: options.listenConnection ?? defaultListenConnection(pool),
    channel,
    reconnectAttempts,
    onNotification(payload) {
      const note = parseNotification(payload);
      if (note === undefined || note.origin === origin) return;
      if (waiters.has(note.id)) void recheck(note.id);
      if (note.type !== 'settled' && listeners.size > 0) void announceRemote(note.id, note.type);
    },
    onRecovered() {
      // Notifications sent while the connection was down are lost: read every awaited row.
      for (const id of waiters.keys()) void recheck(id);
    },
    onLost(error) {
      failWaiters(
        new ApprovalError(
          'ERR_APPROVAL_STORE',
          `the PostgreSQL approval store lost its listening connection: ${messageOf(error)}`,
          undefined,
          causeOf(error),
        ),
      );
    },
  });

  // ---- reading and writing rows ----

  async function readRow(
    client: Pool | ClientBase,
    id: string,
    lock = false,
  ): Promise<ApprovalRequest | undefined> {
    const result = await client.query<{ record: string }>(
      `SELECT record FROM ${table} WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
      [id],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : parseRecord(id, row.record);
  }

  function notification(id: string, type: ChangeKind): string {
    return JSON.stringify({ o: origin, id, t: type });
  }

  async function insert(client: PoolClient, record: ApprovalRequest): Promise<void> {
    await client.query(
      `WITH i AS (
         INSERT INTO ${table} (id, request_hash, scope_hash, status, subject, target, created_at, record)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id
       ) SELECT pg_notify($9, $10) FROM i`,
      [
        record.id,
        record.requestHash,
        record.scopeHash,
        record.status,
        record.requester.subject,
        record.target,
        record.createdAt,
        JSON.stringify(record),
        channel,
        notification(record.id, 'created'),
      ],
    );
  }

  async function update(client: PoolClient, record: ApprovalRequest, type: ChangeKind): Promise<void> {
    const result = await client.query(
      `WITH u AS (
         UPDATE ${table} SET status = $2, record = $3, updated_at = now() WHERE id = $1 RETURNING id
       ) SELECT pg_notify($4, $5) FROM u`,
      [record.id, record.status, JSON.stringify(record), channel, notification(record.id, type)],
    );
    if (result.rowCount !== 1) throw new Error(`approval ${record.id} disappeared while it was locked`);
  }

  // What a committed change means in this process: wake waiters, tell subscribers.
  function announce(record: ApprovalRequest, type: ChangeKind): AfterCommit {
    return () => {
      if (record.status !== 'pending') wake(record);
      if (type !== 'settled') tell({ type, approval: record });
    };
  }

  // Persists an expiry found while reading, under the row lock, deciding again on the row as
  // it stands now (another process may have changed it since it was read).
  async function persistSettled(id: string, at: Date): Promise<ApprovalRequest | undefined> {
    return inTransaction(pool, async (client, after) => {
      const locked = await readRow(client, id, true);
      if (locked === undefined) return undefined;
      const settled = settleApproval(locked, at);
      if (settled !== locked) {
        await update(client, settled, 'settled');
        after(announce(settled, 'settled'));
      }
      return settled;
    });
  }

  async function guard<T>(id: string | undefined, operation: () => Promise<T>): Promise<T> {
    if (closed) {
      throw new ApprovalError('ERR_APPROVAL_STORE', 'the PostgreSQL approval store is closed', id);
    }
    try {
      // Records built by the pure functions are new objects: freeze what leaves the store.
      return deepFreeze(await operation());
    } catch (err) {
      throw toStoreError(err, schema, id);
    }
  }

  // ---- waking ----

  function wake(record: ApprovalRequest): void {
    const set = waiters.get(record.id);
    if (set === undefined) return;
    waiters.delete(record.id);
    for (const waiter of set) waiter.resolve(record);
  }

  function rejectWaiters(id: string, error: Error): void {
    const set = waiters.get(id);
    if (set === undefined) return;
    waiters.delete(id);
    for (const waiter of set) waiter.reject(error);
  }

  function failWaiters(error: Error): void {
    for (const id of [...waiters.keys()]) rejectWaiters(id, error);
  }

  // Reads an awaited row and wakes its waiters when it is no longer pending.
  async function recheck(id: string): Promise<void> {
    try {
      const record = await readRow(pool, id);
      if (record === undefined) {
        rejectWaiters(id, new ApprovalError('ERR_APPROVAL_NOT_FOUND', `no approval request ${id}`, id));
      } else if (record.status !== 'pending') {
        wake(record);
      }
    } catch (err) {
      rejectWaiters(id, toStoreError(err, schema, id));
    }
  }

  function tell(change: ApprovalChange): void {
    for (const subscriber of listeners) {
      try {
        subscriber(change);
      } catch {
        // A subscriber is an observer; its failure must not undo or block the change.
      }
    }
  }

  async function announceRemote(id: string, type: ApprovalChange['type']): Promise<void> {
    try {
      const record = await readRow(pool, id);
      if (record !== undefined) tell({ type, approval: record });
    } catch {
      // Subscribers are told on a best-effort basis; enforcement never depends on them.
    }
  }

  // ---- the store ----

  return {
    schema,

    async create(input: CreateApprovalInput) {
      // Builds (and checks) the record before touching the database: misuse is a TypeError.
      const fresh = newApprovalRequest(input, newId());
      return await guard(fresh.id, () =>
        inTransaction(pool, async (client, after) => {
          // Serialises creators of the same request in every process, so they share one approval.
          await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
            `${table}:${fresh.requestHash}`,
          ]);
          const pending = await client.query<{ id: string; record: string }>(
            `SELECT id, record FROM ${table} WHERE request_hash = $1 AND status = 'pending' ORDER BY n FOR UPDATE`,
            [fresh.requestHash],
          );
          for (const row of pending.rows) {
            const existing = parseRecord(row.id, row.record);
            const settled = settleApproval(existing, input.at);
            if (settled.status === 'pending') return settled;
            await update(client, settled, 'settled');
            after(announce(settled, 'settled'));
          }
          await insert(client, fresh);
          after(announce(fresh, 'created'));
          return fresh;
        }),
      );
    },

    async get(id: string, at: Date) {
      assertId(id);
      return await guard(id, async () => {
        const record = await readRow(pool, id);
        if (record === undefined || settleApproval(record, at) === record) return record;
        return persistSettled(id, at);
      });
    },

    list(filter: ApprovalFilter, at: Date) {
      return guard(undefined, async () => {
        const statuses =
          filter.status === undefined
            ? null
            : [
                ...new Set([
                  ...(typeof filter.status === 'string' ? [filter.status] : filter.status),
                  ...LIVE_STATUSES,
                ]),
              ];
        const result = await pool.query<{ id: string; record: string }>(
          `SELECT id, record FROM ${table}
            WHERE ($1::text IS NULL OR subject = $1)
              AND ($2::text IS NULL OR target = $2)
              AND ($3::text IS NULL OR request_hash = $3)
              AND ($4::text[] IS NULL OR status = ANY($4::text[]))
            ORDER BY n`,
          [filter.subject ?? null, filter.target ?? null, filter.requestHash ?? null, statuses],
        );
        const out: ApprovalRequest[] = [];
        for (const row of result.rows) {
          let record: ApprovalRequest | undefined = parseRecord(row.id, row.record);
          if (settleApproval(record, at) !== record) record = await persistSettled(row.id, at);
          if (record !== undefined && matchesFilter(record, filter)) out.push(record);
        }
        return out;
      });
    },

    async vote(id: string, vote: ApprovalVoteInput, at: Date) {
      assertId(id);
      return await guard(id, async () => {
        const outcome = await inTransaction(pool, async (client, after) => {
          const locked = await readRow(client, id, true);
          if (locked === undefined) {
            throw new ApprovalError('ERR_APPROVAL_NOT_FOUND', `no approval request ${id}`, id);
          }
          const current = settleApproval(locked, at);
          if (current !== locked) {
            await update(client, current, 'settled');
            after(announce(current, 'settled'));
          }
          let next: ApprovalRequest;
          try {
            next = applyVote(current, vote, at);
          } catch (err) {
            // A refused vote still commits the expiry it found, as the memory store does.
            if (err instanceof ApprovalError) return { refused: err };
            throw err;
          }
          if (next !== current) {
            await update(client, next, 'voted');
            after(announce(next, 'voted'));
          }
          return { record: next };
        });
        if ('refused' in outcome) throw outcome.refused;
        return outcome.record;
      });
    },

    consume(query: GrantQuery) {
      return guard(undefined, () =>
        inTransaction(pool, async (client, after) => {
          // Only a row stored as `approved` can be a usable grant (see LIVE_STATUSES); the lock
          // makes every other consumer of it wait, then see it consumed.
          const rows = await client.query<{ id: string; record: string }>(
            `SELECT id, record FROM ${table} WHERE request_hash = $1 AND status = 'approved' ORDER BY n FOR UPDATE`,
            [query.requestHash],
          );
          for (const row of rows.rows) {
            const used = consumeGrant(parseRecord(row.id, row.record), query);
            if (used === undefined) continue;
            // A reservation is not a use yet: subscribers hear `consumed` when it is spent.
            const kind = used.status === 'consumed' ? 'consumed' : 'settled';
            await update(client, used, kind);
            after(announce(used, kind));
            return used;
          }
          return undefined;
        }),
      );
    },

    async endReservation(id: string, holder: string, outcome: ReservationOutcome, at: Date) {
      assertId(id);
      return await guard(id, () =>
        inTransaction(pool, async (client, after) => {
          const locked = await readRow(client, id, true);
          const ended = locked === undefined ? undefined : endReservation(locked, holder, outcome, at);
          if (ended === undefined) return undefined;
          const kind = ended.status === 'consumed' ? 'consumed' : 'settled';
          await update(client, ended, kind);
          after(announce(ended, kind));
          return ended;
        }),
      );
    },

    findWindowGrant(query: GrantQuery) {
      return guard(undefined, async () => {
        const rows = await pool.query<{ id: string; record: string }>(
          `SELECT id, record FROM ${table} WHERE scope_hash = $1 AND status = 'approved' ORDER BY n`,
          [query.scopeHash],
        );
        for (const row of rows.rows) {
          const record = parseRecord(row.id, row.record);
          if (grantCovers(record, query, 'window')) return record;
        }
        return undefined;
      });
    },

    async waitFor(id: string, signal?: AbortSignal) {
      assertId(id);
      if (closed)
        throw new ApprovalError('ERR_APPROVAL_STORE', 'the PostgreSQL approval store is closed', id);
      if (signal?.aborted === true) throw abortReason(signal);
      let settle!: Waiter;
      const woken = new Promise<ApprovalRequest>((resolve, reject) => {
        settle = { resolve, reject };
      });
      // It may settle (an abort, a failure) before it is awaited below; it is awaited there.
      woken.catch(() => undefined);
      // Registered before LISTEN and before the first read, so no change can slip between.
      let set = waiters.get(id);
      if (set === undefined) waiters.set(id, (set = new Set()));
      set.add(settle);
      const onAbort = (): void => {
        settle.reject(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      let listening = false;
      let timer: NodeJS.Timeout | undefined;
      try {
        try {
          await listener.acquire();
          listening = true;
        } catch (err) {
          throw toStoreError(err, schema, id);
        }
        void recheck(id);
        if (pollIntervalMs > 0) {
          timer = setInterval(() => {
            void recheck(id);
          }, pollIntervalMs);
        }
        return await woken;
      } finally {
        if (timer !== undefined) clearInterval(timer);
        signal?.removeEventListener('abort', onAbort);
        const remaining = waiters.get(id);
        remaining?.delete(settle);
        if (remaining?.size === 0) waiters.delete(id);
        if (listening) listener.release();
      }
    },

    subscribe(subscriber: (change: ApprovalChange) => void) {
      if (typeof subscriber !== 'function') throw new TypeError('subscribe() takes a function');
      listeners.add(subscriber);
      let held = false;
      let done = false;
      // Other processes' changes arrive through the listening connection; without it this
      // process's own changes are still told. Subscribers are observers: a failure to listen
      // does not throw.
      listener.acquire().then(
        () => {
          if (done) listener.release();
          else held = true;
        },
        () => undefined,
      );
      return () => {
        if (done) return;
        done = true;
        listeners.delete(subscriber);
        if (held) listener.release();
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      failWaiters(new ApprovalError('ERR_APPROVAL_STORE', 'the PostgreSQL approval store was closed'));
      await listener.close();
    },
  };
}

function assertId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.length === 0)
    throw new TypeError('approval id must be a non-empty string');
}

function parseNotification(payload: string): { origin: string; id: string; type: ChangeKind } | undefined {
  try {
    const value = JSON.parse(payload) as { o?: unknown; id?: unknown; t?: unknown };
    if (typeof value.o !== 'string' || typeof value.id !== 'string') return undefined;
    const type = value.t;
    if (type !== 'created' && type !== 'voted' && type !== 'consumed' && type !== 'settled') return undefined;
    return { origin: value.o, id: value.id, type };
  } catch {
    return undefined;
  }
}

// A client made the way pg-pool makes its own: the pool's Client class and options.
function defaultListenConnection(pool: Pool): () => Promise<ListenConnection> {
  const shape = pool as unknown as { Client?: typeof pg.Client; options?: pg.ClientConfig };
  const Client = shape.Client ?? pg.Client;
  return async () => {
    const client = new Client(shape.options);
    // Errors after a drop are handled by the listener; never let one crash the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    return client;
  };
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error('the wait was aborted', { cause: reason });
}
