// PostgreSQL classification (docs/ §3): the real PostgreSQL parser (libpg-query, WASM) turns
// an SQL text into a parse tree, and a generic walk of that tree turns it into actions. What it
// cannot resolve is `unknown`; docs/classification-sql.md lists exactly what that is.
import type { Action, ClassifyContext } from '../types.js';
import { LruCache } from './sql/cache.js';
import { explainItems } from './sql/explain.js';
import { byteToIndex } from './sql/offsets.js';
import { unreadableText } from './sql/input.js';
import { loadParser, parseSql, parserLoaded, scanSql } from './sql/parser.js';
import { offSettingReading } from './sql/strings.js';
import { walkParseTree, type SqlItem, type StatementMeta, type WalkedStatement } from './sql/walk.js';

/** Why a whole SQL text classified as `unknown`. */
export type SqlFailure =
  /**
   * The text does not parse (or is not a string, or contains a NUL character, a lone UTF-16
   * surrogate or a run of operator characters the parser would take seconds to read).
   */
  | 'parse'
  /** The text holds no statement: empty, whitespace, comments or bare semicolons. */
  | 'empty'
  /** The classifier itself failed on the tree (a bug, or a tree too deep to walk). */
  | 'internal';

interface SqlStatementBase {
  /** Where the statement starts in the text (a string index, as libpg-query delimits it). */
  readonly start: number;
  /** Where it ends (exclusive). */
  readonly end: number;
  /** `text.slice(start, end)`. */
  readonly text: string;
  /** The statement's actions, deduplicated, `EXECUTE` resolved against the context. */
  readonly actions: readonly Action[];
}

/**
 * One statement of an analysed text. `kind` tells an adapter what session state it changes:
 * `prepare` (its `actions` are those of the prepared statement, to remember under `name`),
 * `execute`, `deallocate` (one `name`, or `all`, which `DISCARD ALL` also does) and
 * `transaction` (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, …).
 */
export type SqlStatement =
  | (SqlStatementBase & { readonly kind: 'statement' })
  | (SqlStatementBase & { readonly kind: 'prepare'; readonly name: string })
  | (SqlStatementBase & { readonly kind: 'execute'; readonly name: string })
  | (SqlStatementBase & { readonly kind: 'deallocate'; readonly name?: string; readonly all: boolean })
  | (SqlStatementBase & {
      readonly kind: 'transaction';
      /** `begin`, `start`, `commit`, `rollback`, `savepoint`, `release`, `rollback_to`, `prepare`, `commit_prepared` or `rollback_prepared`. */
      readonly transaction: string;
    });

/** Everything {@link analyzeSql} found in one SQL text. */
export interface SqlAnalysis {
  /** Every action of the text, deduplicated, in order: exactly what {@link classifySql} returns. */
  readonly actions: readonly Action[];
  /** The statements, in order (empty when the text failed). */
  readonly statements: readonly SqlStatement[];
  /** Present when the whole text is `unknown`, saying why. */
  readonly failure?: SqlFailure;
  /** The parser's message, for a parse failure. */
  readonly message?: string;
  /**
   * True when the text means more with `standard_conforming_strings` off (a backslash before a
   * quote in a '…' literal): `actions` then also holds what that reading does.
   */
  readonly ambiguousStrings: boolean;
  /**
   * The prepared statements the text runs, by name, in order and without repeats: `EXECUTE p`,
   * `EXPLAIN EXECUTE p`, `CREATE TABLE … AS EXECUTE p` (in either reading of its strings).
   */
  readonly executes: readonly string[];
}

/** Options of the SQL classifier's parse cache. */
export interface SqlClassifierOptions {
  /** How many distinct texts to keep (least recently used first out). Default 1000; 0 disables. */
  readonly cacheSize?: number;
  /** Texts longer than this many characters are classified but not cached. Default 65536. */
  readonly maxCachedLength?: number;
}

interface CachedStatement {
  readonly start: number;
  readonly end: number;
  readonly meta: StatementMeta;
  readonly items: readonly SqlItem[];
}

interface Entry {
  readonly statements: readonly CachedStatement[];
  /** Items of the standard_conforming_strings=off reading, when it differs from the default. */
  readonly alternate: readonly SqlItem[] | undefined;
  /** Whether that reading prepares other statements than the default one (see {@link toStatement}). */
  readonly alternatePrepares: boolean;
  readonly failure: SqlFailure | undefined;
  readonly message: string | undefined;
  /** The flat result when nothing depends on the context (no EXECUTE), computed once. */
  readonly fixed: readonly Action[] | undefined;
}

const UNKNOWN: Action = Object.freeze({ operation: 'unknown' });
const UNKNOWN_ONLY: readonly Action[] = Object.freeze([UNKNOWN]);

const cache = new LruCache<string, Entry>(1000);
let maxCachedLength = 65_536;

/**
 * Loads the libpg-query WebAssembly module. Idempotent and safe to call concurrently: every
 * caller waits for the one load. Must resolve before {@link classifySql} or {@link analyzeSql}.
 *
 * @example
 * ```ts
 * await loadSqlClassifier();
 * classifySql('SELECT 1; DROP TABLE t'); // [{ operation: 'select' }, { operation: 'drop', resource: 't' }]
 * ```
 * @throws rejects if the WebAssembly module cannot be loaded (a later call retries).
 */
export function loadSqlClassifier(): Promise<void> {
  return loadParser();
}

/**
 * Sets the parse cache's size and the longest text it keeps. The cache is keyed by the exact
 * text and holds context-free results, so `EXECUTE` is still resolved per call.
 *
 * @example
 * ```ts
 * configureSqlClassifier({ cacheSize: 5000 });
 * ```
 * @throws TypeError if a value is not a non-negative integer.
 */
export function configureSqlClassifier(options: SqlClassifierOptions): void {
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && (!Number.isSafeInteger(value) || (value as number) < 0)) {
      throw new TypeError(`configureSqlClassifier: ${key} must be a non-negative integer`);
    }
  }
  if (options.cacheSize !== undefined) cache.capacity = options.cacheSize;
  if (options.maxCachedLength !== undefined) maxCachedLength = options.maxCachedLength;
}

/**
 * Classifies an SQL text (any number of statements) into actions (docs/ §3). Synchronous once
 * {@link loadSqlClassifier} has resolved. Never throws for any input: text that does not parse,
 * holds no statement, or contains anything the classifier does not recognise yields an
 * `unknown` action. `EXECUTE p` is the actions of `p` in `context.preparedStatements`, else
 * `unknown`.
 *
 * @example
 * ```ts
 * classifySql('INSERT INTO a SELECT * FROM b');
 * // [{ operation: 'insert', resource: 'a' }, { operation: 'select', resource: 'b' }]
 * ```
 * @throws TypeError if called before {@link loadSqlClassifier} resolved.
 */
export function classifySql(sql: string, context?: ClassifyContext): readonly Action[] {
  const entry = lookup(sql);
  if (entry.fixed !== undefined) return entry.fixed;
  try {
    return flatActions(entry, context);
  } catch {
    return UNKNOWN_ONLY;
  }
}

/**
 * Classifies an SQL text statement by statement, for adapters that track session state: each
 * statement's span, actions and kind (PREPARE with its name, EXECUTE, DEALLOCATE, transaction
 * control). `actions` is the same list {@link classifySql} returns.
 *
 * @example
 * ```ts
 * const { statements } = analyzeSql('PREPARE p AS DELETE FROM t; EXECUTE p');
 * // statements[0]: { kind: 'prepare', name: 'p', actions: [{ operation: 'delete', resource: 't' }], … }
 * ```
 * @throws TypeError if called before {@link loadSqlClassifier} resolved.
 */
export function analyzeSql(sql: string, context?: ClassifyContext): SqlAnalysis {
  const entry = lookup(sql);
  const text = typeof sql === 'string' ? sql : '';
  try {
    const statements = entry.statements.map((s) => toStatement(s, text, context, entry.alternatePrepares));
    const actions = entry.fixed ?? flatActions(entry, context);
    const primary = resolve(
      entry.statements.flatMap((s) => s.items),
      context,
    );
    const executes = new Set<string>();
    for (const item of [...entry.statements.flatMap((s) => s.items), ...(entry.alternate ?? [])])
      if ('ref' in item) executes.add(item.ref);
    return {
      actions,
      statements,
      ...(entry.failure === undefined ? {} : { failure: entry.failure }),
      ...(entry.message === undefined ? {} : { message: entry.message }),
      ambiguousStrings: entry.alternate !== undefined && actions.length > primary.length,
      executes: [...executes],
    };
  } catch {
    return {
      actions: UNKNOWN_ONLY,
      statements: [],
      failure: 'internal',
      ambiguousStrings: false,
      executes: [],
    };
  }
}

function lookup(sql: string): Entry {
  if (!parserLoaded()) throw new TypeError('loadSqlClassifier() must resolve before SQL is classified');
  if (typeof sql !== 'string') return failed('parse', 'not a string');
  const hit = cache.get(sql);
  if (hit !== undefined) return hit;
  const entry = compute(sql);
  if (sql.length <= maxCachedLength) cache.set(sql, entry);
  return entry;
}

function failed(failure: SqlFailure, message?: string): Entry {
  return {
    statements: [],
    alternate: undefined,
    alternatePrepares: false,
    failure,
    message,
    fixed: UNKNOWN_ONLY,
  };
}

function compute(sql: string): Entry {
  // A NUL, a lone surrogate or a pathologically long operator run (see sql-input.ts).
  const unreadable = unreadableText(sql);
  if (unreadable !== undefined) return failed('parse', unreadable);
  let tree: unknown;
  try {
    tree = parseSql(sql);
  } catch (err) {
    return failed('parse', err instanceof Error ? err.message : String(err));
  }
  try {
    const walked = walkParseTree(tree);
    if (walked.length === 0) return failed('empty', 'the text holds no statement');
    const index = byteToIndex(sql);
    const statements: CachedStatement[] = [];
    let dependsOnContext = false;
    for (const s of walked) {
      statements.push({
        start: index(s.startByte),
        end: s.endByte === undefined ? sql.length : index(s.endByte),
        meta: s.meta,
        items: freezeItems(s.items),
      });
      dependsOnContext ||= s.items.some(isRef);
    }
    const other = otherReading(sql);
    const alternate = other?.items;
    if (alternate !== undefined) dependsOnContext ||= alternate.some(isRef);
    const alternatePrepares = other !== undefined && other.prepares !== preparedSignature(walked);
    return {
      statements,
      alternate,
      alternatePrepares,
      failure: undefined,
      message: undefined,
      fixed: dependsOnContext ? undefined : Object.freeze(resolveItems(statements, alternate, undefined)),
    };
  } catch {
    return failed('internal');
  }
}

function isRef(item: SqlItem): boolean {
  return 'ref' in item;
}

/**
 * Freezes each item: the actions are handed to every caller of a cached text (and are flat, so
 * this freezes all of them). The lists and the statement's meta never leave the cache entry
 * (callers get new arrays and copies), and freezing them too cost as much again.
 */
function freezeItems(items: readonly SqlItem[]): readonly SqlItem[] {
  for (const item of items) Object.freeze(item);
  return items;
}

/** The standard_conforming_strings=off reading, if it differs (see sql-strings.ts). */
function otherReading(
  sql: string,
): { readonly items: readonly SqlItem[]; readonly prepares: string } | undefined {
  const other = offSettingReading(sql, scanSql);
  if (other === undefined) return undefined;
  // Not worked out: nothing is known about what it prepares either.
  if (other === null) return { items: [UNKNOWN], prepares: '' };
  let tree: unknown;
  try {
    tree = parseSql(other);
  } catch {
    // That reading does not parse, so a server with the setting off rejects the whole text.
    return undefined;
  }
  const walked = walkParseTree(tree);
  return {
    items: freezeItems(walked.flatMap((s) => s.items)),
    prepares: preparedSignature(walked),
  };
}

/** What a reading prepares, in order (name and items), as one comparable string. */
function preparedSignature(walked: readonly WalkedStatement[]): string {
  return JSON.stringify(walked.filter((s) => s.meta.kind === 'prepare').map((s) => [s.meta, s.items]));
}

/**
 * One statement for {@link analyzeSql}. When the other reading of the text prepares other
 * statements than this one, a server with standard_conforming_strings off may prepare something else under
 * this name (`PREPARE p AS SELECT 'a\'' ; DEALLOCATE p; PREPARE p AS DELETE …`), so what an
 * adapter remembers for it carries `unknown`, and a later `EXECUTE p` fails closed.
 */
function toStatement(
  s: CachedStatement,
  text: string,
  context: ClassifyContext | undefined,
  alternatePrepares: boolean,
): SqlStatement {
  const actions = resolve(s.items, context);
  if (alternatePrepares && s.meta.kind === 'prepare') actions.push(UNKNOWN);
  return {
    start: s.start,
    end: s.end,
    text: text.slice(s.start, s.end),
    actions: dedupe(actions),
    ...s.meta,
  };
}

function flatActions(entry: Entry, context: ClassifyContext | undefined): Action[] {
  if (entry.failure !== undefined) return [UNKNOWN];
  return resolveItems(entry.statements, entry.alternate, context);
}

/** The actions of every statement, then of the other reading, resolved and deduplicated. */
function resolveItems(
  statements: readonly CachedStatement[],
  alternate: readonly SqlItem[] | undefined,
  context: ClassifyContext | undefined,
): Action[] {
  const items: SqlItem[] = [];
  for (const s of statements) for (const item of s.items) items.push(item);
  if (alternate !== undefined) for (const item of alternate) items.push(item);
  return resolve(items, context);
}

/** Lists up to this long are deduplicated by scanning (see {@link dedupe}). */
const SHORT_LIST = 16;

function holdsNul(a: Action): boolean {
  return a.operation.includes('\u0000') || (a.resource?.includes('\u0000') ?? false);
}

/** Resolves `EXECUTE` references against the context and removes duplicates. */
function resolve(items: readonly SqlItem[], context: ClassifyContext | undefined): Action[] {
  const out: Action[] = [];
  for (const item of items) {
    if (!('ref' in item)) {
      out.push(item);
      continue;
    }
    const prepared: unknown = context?.preparedStatements?.get(item.ref);
    if (!Array.isArray(prepared) || prepared.length === 0) {
      out.push(UNKNOWN);
      continue;
    }
    const actions = (prepared as readonly unknown[]).map(toAction);
    for (const a of item.explain ? explainItems(actions) : actions) if (!('ref' in a)) out.push(a);
  }
  return dedupe(out);
}

/** A context-supplied action, checked: anything malformed is `unknown`. */
function toAction(value: unknown): Action {
  if (typeof value !== 'object' || value === null) return UNKNOWN;
  const { operation, resource } = value as { operation?: unknown; resource?: unknown };
  if (typeof operation !== 'string') return UNKNOWN;
  if (resource === undefined) return { operation };
  return typeof resource === 'string' ? { operation, resource } : UNKNOWN;
}

function dedupe(actions: readonly Action[]): Action[] {
  if (actions.length <= SHORT_LIST && !actions.some(holdsNul)) {
    // Without a NUL in any name, two keys below are equal exactly when operation and resource
    // both are: a short list is scanned instead of building a key string per action.
    const out: Action[] = [];
    for (const a of actions) {
      if (!out.some((b) => b.operation === a.operation && b.resource === a.resource)) out.push(a);
    }
    return out;
  }
  const seen = new Set<string>();
  const out: Action[] = [];
  for (const a of actions) {
    const key = a.resource === undefined ? a.operation : `${a.operation}\u0000${a.resource}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(a);
  }
  return out;
}
