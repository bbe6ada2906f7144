// The read-only oracle: replays statements on a real server and, for every statement the SQL
// classifier calls read-only, first runs it in a READ ONLY transaction (or a READ ONLY savepoint
// inside the replay's own transaction), checking that it neither fails for trying to write
// (SQLSTATE 25006) nor gives the transaction an id; that probe is rolled back, then the
// statement runs for real so the replay's state stays the one the corpus expects.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { classifySql, type Action } from '@portcullis/core';
import pg from 'pg';
import type { ScratchCluster } from './scratch-cluster.js';

/**
 * The operations a statement may classify into and still be judged read-only: reads (`select`),
 * reading settings (`show`), planning without running (`explain`), and changing a session
 * setting (`set`: session state, not data; rolled back with the transaction). Everything else
 * (`lock` from `FOR UPDATE`, `function`, `transaction`, `listen`, `other`, `unknown`, …) is not.
 */
export const READ_ONLY_OPERATIONS: ReadonlySet<string> = new Set(['select', 'show', 'explain', 'set']);

/** Whether the classifier calls these actions read-only. */
export function judgedReadOnly(actions: readonly Action[]): boolean {
  return actions.length > 0 && actions.every((a) => READ_ONLY_OPERATIONS.has(a.operation));
}

/** One statement of a corpus. */
export interface OracleStatement {
  readonly sql: string;
  readonly params?: readonly unknown[];
  /** The rows of a `COPY … FROM stdin`. */
  readonly copyData?: string;
}

/** One file of a corpus: its statements run in order on one session. */
export interface OracleFile {
  readonly name: string;
  readonly statements: readonly OracleStatement[];
  readonly searchPath?: string;
  /** Only probe the read-only statements; never run anything for real. */
  readonly probeOnly?: boolean;
}

/** A statement judged read-only that wrote. */
export interface Finding {
  readonly file: string;
  readonly sql: string;
  readonly actions: readonly Action[];
  /** `transaction id assigned`, or the 25006 error message. */
  readonly evidence: string;
}

/** What a replay did. */
export interface OracleReport {
  files: number;
  statements: number;
  /** Statements the classifier judged read-only. */
  readOnly: number;
  /** Of those, probed in a READ ONLY transaction (not when the replay's transaction had failed). */
  probed: number;
  /** Probes that ran cleanly (no error, no transaction id). */
  clean: number;
  /** Probes that failed for a reason other than writing (the corpus's deliberate errors, …). */
  otherErrors: number;
  /** Probes inside a transaction that already had an id: only the 25006 check applies. */
  xidUnverifiable: number;
  findings: Finding[];
  /** Files not reached before the time budget ran out. */
  notReached: string[];
}

interface Options {
  readonly cluster: ScratchCluster;
  readonly database: string;
  /** Stop starting new files after this many milliseconds. */
  readonly budgetMs: number;
  /** Per-statement timeout on the server. */
  readonly statementTimeout?: string;
}

/** Replays `files` in order and reports what the probes found. */
export async function runReadOnlyOracle(
  files: readonly OracleFile[],
  options: Options,
): Promise<OracleReport> {
  const report: OracleReport = {
    files: 0,
    statements: 0,
    readOnly: 0,
    probed: 0,
    clean: 0,
    otherErrors: 0,
    xidUnverifiable: 0,
    findings: [],
    notReached: [],
  };
  const started = Date.now();
  let copies = 0;
  for (const file of files) {
    if (Date.now() - started > options.budgetMs) {
      report.notReached.push(file.name);
      continue;
    }
    report.files++;
    const session = new Session(options);
    try {
      await session.open(file.searchPath);
      for (const statement of file.statements) {
        report.statements++;
        const actions = classifySql(statement.sql);
        const readOnly = judgedReadOnly(actions);
        let sql = statement.sql;
        if (statement.copyData !== undefined) {
          // COPY FROM stdin: the same rows from a server-side file (the driver has no COPY IN).
          const data = path.join(options.cluster.shared, `copy-${String(copies++)}.data`);
          writeFileSync(data, statement.copyData);
          options.cluster.handOver(data);
          sql = sql.replace(/\bfrom\s+stdin\b/i, `FROM '${data}'`);
        }
        let done = false;
        if (readOnly) {
          report.readOnly++;
          const outcome = await session.probe(sql, statement.params, file.probeOnly !== true);
          if (outcome.kind !== 'skipped') report.probed++;
          if (outcome.kind === 'clean') report.clean++;
          else if (outcome.kind === 'error') report.otherErrors++;
          else if (outcome.kind === 'unverifiable') report.xidUnverifiable++;
          else if (outcome.kind === 'wrote') {
            report.findings.push({
              file: file.name,
              sql: statement.sql,
              actions,
              evidence: outcome.evidence,
            });
          }
          done = outcome.kept === true;
        }
        if (file.probeOnly !== true && !done) await session.run(sql, statement.params);
      }
    } finally {
      await session.close();
    }
  }
  return report;
}

/** What a probe saw; `kept` when its clean run was committed as the statement's real run. */
type Probe = (
  | { kind: 'clean' }
  | { kind: 'skipped' }
  | { kind: 'error' }
  | { kind: 'unverifiable' }
  | { kind: 'wrote'; evidence: string }
) & { kept?: boolean };

/** One replay session: a connection that reconnects if the server drops it. */
class Session {
  private client: pg.Client | undefined;
  private status: string = 'I';
  private searchPath: string | undefined;

  constructor(private readonly options: Options) {}

  async open(searchPath?: string): Promise<void> {
    this.searchPath = searchPath;
    const client = new pg.Client({ connectionString: this.options.cluster.url(this.options.database) });
    client.on('error', () => undefined);
    client.on('notice', () => undefined);
    // The transaction status of each ReadyForQuery: idle, in a transaction, or in a failed one.
    const connection = (
      client as unknown as { connection: { on(e: string, f: (m: { status: string }) => void): void } }
    ).connection;
    connection.on('readyForQuery', (message) => {
      this.status = message.status;
    });
    await client.connect();
    this.client = client;
    this.status = 'I';
    await client.query(`SET statement_timeout = '${this.options.statementTimeout ?? '5s'}'`);
    if (searchPath !== undefined) await client.query(`SET search_path TO ${searchPath}`);
  }

  private transactionStatus(): string {
    return this.status;
  }

  async close(): Promise<void> {
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  /** Runs a statement for real; its errors are the corpus's business. */
  async run(sql: string, params?: readonly unknown[]): Promise<void> {
    await this.query(sql, params).catch(() => undefined);
  }

  /**
   * Runs `sql` read-only and checks it. Outside a transaction block: `BEGIN READ ONLY`, the
   * statement and the transaction id check go in one round trip when there are no parameters;
   * a clean run is committed when `keep` (it is then the statement's real run: a read-only
   * statement that assigned no id changed nothing a rollback would undo, and a `SET` keeps its
   * effect as in autocommit), else rolled back. Inside the replay's own transaction: a savepoint
   * made read-only, always rolled back (releasing it would keep the transaction read-only).
   */
  async probe(sql: string, params: readonly unknown[] | undefined, keep: boolean): Promise<Probe> {
    await this.ensureOpen();
    if (this.status === 'E') return { kind: 'skipped' };
    if (this.status === 'I') {
      let outcome: Probe;
      if (params === undefined || params.length === 0) {
        outcome = await this.batch(sql);
      } else {
        await this.query('BEGIN READ ONLY');
        outcome = await this.check(sql, params, false);
      }
      // The status as the last ReadyForQuery left it (the awaits above changed it).
      const commit = keep && outcome.kind === 'clean' && this.transactionStatus() === 'T';
      await this.query(commit ? 'COMMIT' : 'ROLLBACK').catch(() => undefined);
      return commit ? { ...outcome, kept: true } : outcome;
    }
    let before: string | null;
    try {
      before = await this.xid();
      await this.query('SAVEPOINT portcullis_oracle');
      await this.query('SET TRANSACTION READ ONLY');
    } catch {
      // The status was stale (the transaction ended with an error): nothing was probed.
      await this.query('ROLLBACK TO SAVEPOINT portcullis_oracle').catch(() => undefined);
      return { kind: 'skipped' };
    }
    try {
      return await this.check(sql, params, before !== null);
    } finally {
      await this.query('ROLLBACK TO SAVEPOINT portcullis_oracle').catch(() => undefined);
      await this.query('RELEASE SAVEPOINT portcullis_oracle').catch(() => undefined);
    }
  }

  /** BEGIN READ ONLY, the statement and the id check as one simple-protocol round trip. */
  private async batch(sql: string): Promise<Probe> {
    let results: unknown;
    try {
      results = await this.query(
        `BEGIN READ ONLY;\n${sql}\n;SELECT pg_current_xact_id_if_assigned()::text AS portcullis_xid`,
      );
    } catch (err) {
      const { code, message } = err as { code?: string; message?: string };
      if (code === '25006') return { kind: 'wrote', evidence: `25006 ${message ?? ''}` };
      return { kind: 'error' };
    }
    const last = Array.isArray(results) ? (results.at(-1) as pg.QueryResult | undefined) : undefined;
    const row = last?.rows[0] as { portcullis_xid?: string | null } | undefined;
    // The statement text swallowed the check (an unterminated comment, …): read it as an error.
    if (row === undefined || !('portcullis_xid' in row)) return { kind: 'error' };
    return row.portcullis_xid === null
      ? { kind: 'clean' }
      : { kind: 'wrote', evidence: 'transaction id assigned' };
  }

  private async check(sql: string, params: readonly unknown[] | undefined, hadXid: boolean): Promise<Probe> {
    try {
      await this.query(sql, params);
    } catch (err) {
      const { code, message } = err as { code?: string; message?: string };
      if (code === '25006') return { kind: 'wrote', evidence: `25006 ${message ?? ''}` };
      return { kind: 'error' };
    }
    if (hadXid) return { kind: 'unverifiable' };
    const xid = await this.xid().catch(() => null);
    return xid === null ? { kind: 'clean' } : { kind: 'wrote', evidence: 'transaction id assigned' };
  }

  private async xid(): Promise<string | null> {
    const result = await this.query('SELECT pg_current_xact_id_if_assigned()::text AS xid');
    return (result.rows[0] as { xid: string | null } | undefined)?.xid ?? null;
  }

  private async ensureOpen(): Promise<void> {
    if (this.client === undefined) await this.open(this.searchPath);
  }

  private async query(sql: string, params?: readonly unknown[]): Promise<pg.QueryResult> {
    await this.ensureOpen();
    const client = this.client as pg.Client;
    try {
      return params === undefined || params.length === 0
        ? await client.query(sql)
        : await client.query(sql, [...params]);
    } catch (err) {
      // A dropped connection (pg_terminate_backend, a crash): the next statement reconnects.
      if ((err as { code?: string }).code === undefined) {
        await this.close();
        this.status = 'I';
      }
      throw err;
    }
  }
}
