/**
 * Types that stay inside the adapter: the normalised call shapes and the duck types of the
 * driver objects. Never re-exported.
 *
 * @packageDocumentation
 */
import type { SqlRequest } from '@portcullis/core';
import type { GatedQueryResult } from './types.js';

/** What `types` in a query config must offer (pg's `CustomTypesConfig`). */
export interface TypeParsers {
  getTypeParser(oid: number, format?: string): (value: string) => unknown;
}

/** A node-style callback, as `pg` takes it. */
export type QueryCallback = (err: Error | null, result?: GatedQueryResult) => void;

/** The parts of a pg-cursor the adapter reads or replaces. */
export interface CursorLike {
  readonly text: unknown;
  readonly values: unknown;
  readonly state: unknown;
  readonly _conf: unknown;
  read: (...args: never[]) => unknown;
  close: (...args: never[]) => unknown;
  submit: (...args: never[]) => unknown;
  emit?: (event: string, ...args: unknown[]) => boolean;
  listenerCount?: (event: string) => number;
}

/** The parts of a pg-query-stream the adapter drives (a Readable whose `cursor` is a pg-cursor). */
export interface QueryStreamLike {
  readonly cursor: CursorLike;
  destroy(error?: Error): unknown;
  submit: (...args: never[]) => unknown;
}

/** The options every row-returning call shape shares. */
interface CallOptions {
  /** The values as they are sent: converted once to text (see toRequest). */
  readonly values: readonly (string | null)[] | undefined;
  readonly rowMode: 'array' | undefined;
  readonly types: TypeParsers | undefined;
}

/** `query(text)`, `query(text, values)`, `query(config)`, with or without a callback. */
export interface QueryCall extends CallOptions {
  readonly kind: 'query';
  /** Undefined only for a named statement re-used by name alone. */
  readonly text: string | undefined;
  readonly name: string | undefined;
  readonly queryMode: 'extended' | undefined;
  readonly callback: QueryCallback | undefined;
  /** What the gate classifies; undefined until the session fills a name-only call's text in. */
  readonly request: SqlRequest | undefined;
}

/** `query(new Cursor(text, values, config))`. */
export interface CursorCall extends CallOptions {
  readonly kind: 'cursor';
  readonly text: string;
  readonly cursor: CursorLike;
  readonly request: SqlRequest;
}

/** `query(new QueryStream(text, values, config))`. */
export interface StreamCall extends CallOptions {
  readonly kind: 'stream';
  readonly text: string;
  readonly stream: QueryStreamLike;
  readonly cursor: CursorLike;
  readonly request: SqlRequest;
}

/** Every call shape `query()` accepts, normalised. */
export type PgCall = QueryCall | CursorCall | StreamCall;
