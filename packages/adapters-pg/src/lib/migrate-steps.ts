// The schema of the PostgreSQL approval store and recording sink, one step per version. A
// released step never changes; a change is a new step. Every step runs in the transaction of
// `migrate()`, so a failed step leaves nothing behind.

/** One version of the schema. */
export interface MigrationStep {
  readonly version: number;
  readonly description: string;
  /** The SQL of the step, for the schema `s` (already checked: a bare identifier). */
  readonly sql: (s: string) => string;
}

export const MIGRATION_STEPS: readonly MigrationStep[] = [
  {
    version: 1,
    description: 'approvals and the append-only recording',
    sql: (s) => `
      CREATE TABLE ${s}.approvals (
        n bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        id text PRIMARY KEY,
        request_hash text NOT NULL,
        scope_hash text NOT NULL,
        status text NOT NULL,
        subject text NOT NULL,
        target text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        -- The whole ApprovalRequest as JSON text: exact, and unlike jsonb it takes any string.
        record text NOT NULL
      );
      -- One live pending request per exact request; the store also serialises creators.
      CREATE UNIQUE INDEX approvals_one_pending ON ${s}.approvals (request_hash) WHERE status = 'pending';
      CREATE INDEX approvals_by_hash ON ${s}.approvals (request_hash, n);
      CREATE INDEX approvals_by_scope ON ${s}.approvals (scope_hash, n);
      CREATE INDEX approvals_by_status ON ${s}.approvals (status, n);

      CREATE TABLE ${s}.recording (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        session text NOT NULL,
        seq integer NOT NULL,
        ts timestamptz NOT NULL,
        type text NOT NULL,
        hash text NOT NULL,
        -- The event exactly as the file sink writes it (one JSON Lines line, no newline).
        line text NOT NULL,
        UNIQUE (session, seq)
      );

      CREATE FUNCTION ${s}.recording_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        RAISE EXCEPTION 'the Portcullis recording is append-only: % is not allowed', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END
      $fn$;
      CREATE TRIGGER recording_no_update BEFORE UPDATE OR DELETE ON ${s}.recording
        FOR EACH ROW EXECUTE FUNCTION ${s}.recording_is_append_only();
      CREATE TRIGGER recording_no_truncate BEFORE TRUNCATE ON ${s}.recording
        FOR EACH STATEMENT EXECUTE FUNCTION ${s}.recording_is_append_only();
      -- Other roles the host grants access to get no way to change history either.
      REVOKE UPDATE, DELETE, TRUNCATE ON ${s}.recording FROM PUBLIC;
    `,
  },
  {
    version: 2,
    description: 'recording retention: pruning whole sessions, with a tombstone',
    // Deleting stays refused unless the transaction says it is a prune (pruneRecording sets
    // the flag with SET LOCAL and writes the tombstone in the same transaction). The flag is a
    // guard against accidents, not a permission: DELETE is still revoked from PUBLIC, so only
    // roles the host grants DELETE to (the owner) can prune.
    sql: (s) => `
      CREATE OR REPLACE FUNCTION ${s}.recording_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        IF TG_OP = 'DELETE' AND current_setting('portcullis.pruning', true) = 'on' THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'the Portcullis recording is append-only: % is not allowed', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END
      $fn$;
      CREATE INDEX recording_by_session_ts ON ${s}.recording (session, ts);
    `,
  },
];
