import type { Pool } from 'pg';
import { checkSchemaName } from './lib/migrate-schema-name.js';
import { grantsSql } from './lib/migrate-grants.js';
import { MIGRATION_STEPS } from './lib/migrate-steps.js';

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /**
   * The schema to create the tables in (default `portcullis`): a lower-case identifier of at
   * most 48 characters. Pass the same name to the approval store and the recording sink.
   */
  readonly schema?: string;
  /**
   * The role the approval store and recording sink connect as, when it is not the role running
   * `migrate()`: it gets exactly what they need (approvals: read, create, settle; recording:
   * read, append), nothing else. A lower-case identifier; the role must exist. Every other role
   * but the schema's owner loses all access to the schema (grants to `PUBLIC` are revoked on
   * every run), so an agent's role cannot reach the gate's own state.
   */
  readonly storeRole?: string;
}

/** What {@link migrate} did. */
export interface MigrateResult {
  readonly schema: string;
  /** The schema version now in the database. */
  readonly version: number;
  /** The versions this call applied (empty when the schema was already current). */
  readonly applied: readonly number[];
}

/**
 * Creates or upgrades the tables of the PostgreSQL approval store and recording sink in their
 * own schema, recording each applied version in `<schema>.schema_version`. Idempotent, and safe
 * to run from several processes at once: the migration takes a transaction-scoped advisory lock,
 * and a failed step rolls back entirely. Nothing else creates tables — the store and the sink
 * fail (closed) until this has run.
 *
 * The role running it needs `CREATE` on the database (for the schema) and owns it; the recording
 * table refuses `UPDATE`, `DELETE` and `TRUNCATE` through triggers, for every role. Every run
 * revokes all access to the schema from `PUBLIC`, so only its owner and `storeRole` reach it.
 *
 * @example
 * ```ts
 * const pool = new pg.Pool({ connectionString: process.env.PORTCULLIS_STORE_URL });
 * await migrate(pool);                        // { schema: 'portcullis', version: 1, applied: [1] }
 * await migrate(pool, { schema: 'audit' });   // another, independent set of tables
 * ```
 * @throws TypeError for an invalid schema or role name. Rejects with the database's error (as `cause`)
 * when a step fails, and when the database holds a newer schema version than this library knows.
 */
export async function migrate(pool: Pool, options: MigrateOptions = {}): Promise<MigrateResult> {
  const schema = checkSchemaName(options.schema);
  const storeRole = options.storeRole === undefined ? undefined : checkRoleName(options.storeRole);
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    try {
      await client.query("SELECT pg_advisory_xact_lock(hashtextextended('portcullis.migrate:' || $1, 0))", [
        schema,
      ]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${schema}.schema_version (
           version integer PRIMARY KEY,
           description text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const current = await client.query<{ version: number | null }>(
        `SELECT max(version) AS version FROM ${schema}.schema_version`,
      );
      const from = current.rows[0]?.version ?? 0;
      const latest = MIGRATION_STEPS.at(-1)?.version ?? 0;
      if (from > latest) {
        throw new Error(
          `schema ${schema} is at version ${from}, newer than this @portcullis/pg knows (${latest}); upgrade the library`,
        );
      }
      const applied: number[] = [];
      for (const step of MIGRATION_STEPS) {
        if (step.version <= from) continue;
        await client.query(step.sql(schema));
        await client.query(`INSERT INTO ${schema}.schema_version (version, description) VALUES ($1, $2)`, [
          step.version,
          step.description,
        ]);
        applied.push(step.version);
      }
      await client.query(grantsSql(schema, storeRole));
      await client.query('COMMIT');
      return { schema, version: Math.max(from, latest), applied };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err instanceof Error && err.message.startsWith(`schema ${schema} is at version`)
        ? err
        : new Error(`migrating the Portcullis schema ${schema} failed: ${messageOf(err)}`, { cause: err });
    }
  } finally {
    client.release(broken);
  }
}

function checkRoleName(role: string): string {
  if (typeof (role as unknown) !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(role)) {
    throw new TypeError(`storeRole must be a lower-case identifier, got ${JSON.stringify(role)}`);
  }
  return role;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
