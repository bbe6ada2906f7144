import type { Action, ClassifyContext, Portcullis, SessionRecorder } from '@portcullis/core';
import type { PoolClient } from 'pg';
import type { GatedReviewOptions } from '../types.js';
import type { ColumnCatalog } from './column-catalog.js';
import type { Masking } from './masking.js';

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
  /** `PREPARE name AS …`: the actions to remember under the name. */
  readonly prepares: readonly { readonly name: string; readonly actions: readonly Action[] }[];
  /** `DEALLOCATE name`. */
  readonly deallocates: readonly string[];
  /** `DEALLOCATE ALL` or `DISCARD ALL`. */
  readonly deallocatesAll: boolean;
}

/** What every session of one gated pool shares. Internal: never reachable from a facade. */
export interface PoolContext {
  readonly portcullis: Portcullis;
  readonly target: string;
  readonly review: GatedReviewOptions;
  readonly catalog: ColumnCatalog;
  readonly resultRows: number;
  /** The masking for a decision's profile (undefined: the policy masks nothing here). */
  masking(profile: string | undefined): Masking;
  /** A guarded client from the pool, owned by `owner` until released. */
  acquire(owner: BypassListener): Promise<PoolClient>;
  /** Returns a client; `destroy` closes its connection instead of keeping it. */
  release(client: PoolClient, destroy: boolean): void;
  /** What an SQL text does to session state. */
  effects(text: string, context: ClassifyContext): SqlEffects;
  /** pg-cursor, loaded when a caller first passes a cursor or a stream. */
  cursorClass(): Promise<CursorConstructor>;
  /** Forgets a session that ended. */
  forget(session: object): void;
}

/** Told when the backstop destroyed the connection a session was using. */
export interface BypassListener {
  noteBypass(error: Error): void;
}

/** A started recording session, or none. */
export type MaybeRecorder = SessionRecorder | undefined;
