/** The fields of a server error that can carry text, which the gate masks. */
export interface PgErrorFields {
  /** The SQLSTATE (`23505`, `42P01`, …). */
  readonly code?: string;
  readonly severity?: string;
  readonly detail?: string;
  readonly hint?: string;
  readonly position?: string;
  readonly internalPosition?: string;
  readonly internalQuery?: string;
  readonly where?: string;
  readonly schema?: string;
  readonly table?: string;
  readonly column?: string;
  readonly dataType?: string;
  readonly constraint?: string;
  readonly routine?: string;
}

/**
 * An error the PostgreSQL server (or the driver) returned for a gated request, re-created as a
 * plain error: the same field names as pg's `DatabaseError`, every text field masked, and no
 * reference to the connection, its parameters or the driver's error (no `cause`).
 *
 * @example
 * ```ts
 * try { await session.query('SELECT * FROM missing') } catch (err) {
 *   if (err instanceof PgDatabaseError && err.code === '42P01') console.log(err.message);
 * }
 * ```
 */
export class PgDatabaseError extends Error implements PgErrorFields {
  declare readonly code?: string;
  declare readonly severity?: string;
  declare readonly detail?: string;
  declare readonly hint?: string;
  declare readonly position?: string;
  declare readonly internalPosition?: string;
  declare readonly internalQuery?: string;
  declare readonly where?: string;
  declare readonly schema?: string;
  declare readonly table?: string;
  declare readonly column?: string;
  declare readonly dataType?: string;
  declare readonly constraint?: string;
  declare readonly routine?: string;

  constructor(message: string, fields: PgErrorFields = {}) {
    super(message);
    this.name = 'PgDatabaseError';
    for (const [key, value] of Object.entries(fields)) {
      if (typeof value === 'string') Object.defineProperty(this, key, { value, enumerable: true });
    }
  }
}
