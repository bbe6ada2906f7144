import type { Decision } from './types.js';

/**
 * Every stable error code Portcullis throws. Codes never change meaning once released; match
 * on them, not on messages.
 */
export type PortcullisErrorCode =
  // enforcement outcomes
  | 'ERR_DENIED'
  | 'ERR_REVIEW_REQUIRED'
  | 'ERR_REVIEW_TIMEOUT'
  // identity
  | 'ERR_TOKEN_INVALID'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_NOT_YET_VALID'
  | 'ERR_TOKEN_TOO_OLD'
  | 'ERR_TOKEN_SIGNATURE'
  | 'ERR_TOKEN_ISSUER'
  | 'ERR_TOKEN_AUDIENCE'
  | 'ERR_TOKEN_ALGORITHM'
  | 'ERR_TOKEN_KEY_NOT_FOUND'
  | 'ERR_TOKEN_CLAIM'
  | 'ERR_DPOP_INVALID'
  | 'ERR_JWKS_UNAVAILABLE'
  // policy
  | 'ERR_POLICY_INVALID'
  // approvals
  | 'ERR_APPROVAL_NOT_FOUND'
  | 'ERR_APPROVAL_FORBIDDEN'
  | 'ERR_APPROVAL_EXPIRED'
  | 'ERR_APPROVAL_CLOSED'
  | 'ERR_APPROVAL_STORE'
  // recording
  | 'ERR_RECORDING_FAILED'
  // adapters
  | 'ERR_BYPASS'
  | 'ERR_HOST_KEY'
  // gate runtime
  | 'ERR_RESULT_TOO_LARGE';

/** Options every Portcullis error accepts. */
export interface PortcullisErrorOptions {
  readonly cause?: unknown;
}

/**
 * The base class of every error that is an outcome of enforcement (a denial, a rejected token,
 * an invalid policy). Misuse of the API throws a plain `TypeError` instead.
 *
 * @example
 * ```ts
 * try { await db.query('DROP TABLE t') } catch (err) {
 *   if (err instanceof PortcullisError && err.code === 'ERR_DENIED') console.log(err.decision.reasons);
 * }
 * ```
 */
export class PortcullisError extends Error {
  /** A stable machine-readable code. */
  readonly code: PortcullisErrorCode;

  constructor(code: PortcullisErrorCode, message: string, options?: PortcullisErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** A request was denied by policy (or because something failed, which also denies). */
export class DeniedError extends PortcullisError {
  declare readonly code: 'ERR_DENIED';
  readonly decision: Decision;

  constructor(message: string, decision: Decision, options?: PortcullisErrorOptions) {
    super('ERR_DENIED', message, options);
    this.decision = decision;
  }
}

/** A request needs approval by other people before it may run. */
export class ReviewRequiredError extends PortcullisError {
  declare readonly code: 'ERR_REVIEW_REQUIRED' | 'ERR_REVIEW_TIMEOUT';
  readonly decision: Decision;
  /** The approval request created (or found) for this exact request. */
  readonly approvalId: string;

  constructor(
    message: string,
    decision: Decision,
    approvalId: string,
    options?: PortcullisErrorOptions & { readonly timedOut?: boolean },
  ) {
    super(options?.timedOut === true ? 'ERR_REVIEW_TIMEOUT' : 'ERR_REVIEW_REQUIRED', message, options);
    this.decision = decision;
    this.approvalId = approvalId;
  }
}

/** Codes of {@link TokenError}. */
export type TokenErrorCode = Extract<
  PortcullisErrorCode,
  `ERR_TOKEN_${string}` | 'ERR_DPOP_INVALID' | 'ERR_JWKS_UNAVAILABLE'
>;

/**
 * A bearer token (or its DPoP proof) was rejected. The message says why; it never contains the
 * token itself.
 */
export class TokenError extends PortcullisError {
  declare readonly code: TokenErrorCode;

  // Narrows the accepted codes to token codes; not useless to callers.
  // eslint-disable-next-line @typescript-eslint/no-useless-constructor
  constructor(code: TokenErrorCode, message: string, options?: PortcullisErrorOptions) {
    super(code, message, options);
  }
}

/** One problem found in a policy file, with where it is and what to do. */
export interface PolicyIssue {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** A dotted path into the document, e.g. `rules.2.when.operations.0`. */
  readonly path: string;
  readonly message: string;
}

/** A policy file or object is invalid. `issues` lists every problem found. */
export class PolicyError extends PortcullisError {
  declare readonly code: 'ERR_POLICY_INVALID';
  readonly issues: readonly PolicyIssue[];

  constructor(message: string, issues: readonly PolicyIssue[], options?: PortcullisErrorOptions) {
    super('ERR_POLICY_INVALID', message, options);
    this.issues = issues;
  }
}

/** Codes of {@link ApprovalError}. */
export type ApprovalErrorCode = Extract<PortcullisErrorCode, `ERR_APPROVAL_${string}`>;

/** An approval operation was refused (self-approval, not an eligible approver, expired, …) or the store failed. */
export class ApprovalError extends PortcullisError {
  declare readonly code: ApprovalErrorCode;
  declare readonly approvalId?: string;

  constructor(
    code: ApprovalErrorCode,
    message: string,
    approvalId?: string,
    options?: PortcullisErrorOptions,
  ) {
    super(code, message, options);
    if (approvalId !== undefined) this.approvalId = approvalId;
  }
}

/** A required recording could not be written, so the request was not run. */
export class RecordingError extends PortcullisError {
  declare readonly code: 'ERR_RECORDING_FAILED';

  constructor(message: string, options?: PortcullisErrorOptions) {
    super('ERR_RECORDING_FAILED', message, options);
  }
}

/** Something tried to reach the target around the gate; the connection was destroyed. */
export class BypassError extends PortcullisError {
  declare readonly code: 'ERR_BYPASS';

  constructor(message: string, options?: PortcullisErrorOptions) {
    super('ERR_BYPASS', message, options);
  }
}

/**
 * The SSH server did not present the pinned host key: the connection was closed during key
 * exchange, before any credential was offered.
 */
export class HostKeyError extends PortcullisError {
  declare readonly code: 'ERR_HOST_KEY';

  constructor(message: string, options?: PortcullisErrorOptions) {
    super('ERR_HOST_KEY', message, options);
  }
}

/** Which result cap a request ran into (see `ResultCaps`). */
export type ResultCap = 'maxRows' | 'maxBytes' | 'maxDurationMs';

/**
 * A result passed one of the gate's caps (rows, bytes or duration) while it streamed: the
 * request was stopped there and nothing more was read. The message names the cap and how to
 * raise it.
 */
export class ResultTooLargeError extends PortcullisError {
  declare readonly code: 'ERR_RESULT_TOO_LARGE';
  /** The cap that was passed. */
  readonly cap: ResultCap;
  /** Its value (rows, bytes or milliseconds). */
  readonly limit: number;

  constructor(message: string, cap: ResultCap, limit: number, options?: PortcullisErrorOptions) {
    super('ERR_RESULT_TOO_LARGE', message, options);
    this.cap = cap;
    this.limit = limit;
  }
}

/** The discriminated union of every Portcullis error, for `switch (err.code)`. */
export type AnyPortcullisError =
  | DeniedError
  | ReviewRequiredError
  | TokenError
  | PolicyError
  | ApprovalError
  | RecordingError
  | BypassError
  | HostKeyError
  | ResultTooLargeError;

/**
 * The Portcullis error behind `error`: `error` itself, or the first Portcullis error in its
 * `cause` chain. Query builders differ in what they throw: Kysely passes the error through,
 * knex prefixes its `message` with the SQL, and drizzle-orm wraps it in a `DrizzleQueryError`
 * whose `message` is only "Failed query: …" (the denial, its reasons and the approval id are in
 * `cause`). This finds the typed error in all three; `undefined` when there is none.
 *
 * @example
 * ```ts
 * try { await db.delete(orders) } catch (err) {
 *   const why = portcullisErrorOf(err);
 *   if (why?.code === 'ERR_REVIEW_REQUIRED') console.log(`ask for approval ${why.approvalId}`);
 * }
 * ```
 */
export function portcullisErrorOf(error: unknown): AnyPortcullisError | undefined {
  const seen = new Set<unknown>();
  let current = error;
  // A short walk: causes can form a cycle, and no library wraps more than a few levels deep.
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    if (current instanceof PortcullisError) return current as AnyPortcullisError;
    if (seen.has(current)) return undefined;
    seen.add(current);
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
