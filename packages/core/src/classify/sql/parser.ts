// The libpg-query WebAssembly module: loaded once, on first use (importing @portcullis/core
// does not instantiate it), then used synchronously.
import type * as PgQueryModule from 'libpg-query';

type PgQuery = typeof PgQueryModule;

/** One lexical token, with UTF-8 byte offsets as libpg-query reports them. */
export interface SqlToken {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly tokenName: string;
}

let module: PgQuery | undefined;
let loading: Promise<void> | undefined;

/** Loads the module once; concurrent callers share one load; a failed load can be retried. */
export function loadParser(): Promise<void> {
  if (module !== undefined) return Promise.resolve();
  loading ??= (async () => {
    const mod = await import('libpg-query');
    await mod.loadModule();
    module = mod;
  })().catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

/** Whether {@link loadParser} has completed. */
export function parserLoaded(): boolean {
  return module !== undefined;
}

function loaded(): PgQuery {
  if (module === undefined) throw new TypeError('loadSqlClassifier() must resolve before SQL is classified');
  return module;
}

/** The raw parse tree (`{ version, stmts }`); throws on a syntax error. */
export function parseSql(sql: string): unknown {
  return loaded().parseSync(sql);
}

/** The tokens of `sql`; throws when it does not lex. */
export function scanSql(sql: string): readonly SqlToken[] {
  return loaded().scanSync(sql).tokens;
}
