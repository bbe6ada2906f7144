/**
 * Public types shared by every part of Portcullis (docs/ §2). Plain, serialisable data:
 * no classes, no functions, so decisions and recordings can be stored and compared.
 *
 * @packageDocumentation
 */

/** The protocol a target speaks. */
export type Protocol = 'postgres' | 'ssh' | 'kubernetes';

/** What kind of caller a principal is. */
export type PrincipalKind = 'human' | 'agent' | 'service';

/**
 * Who asks. The `subject` is the accountable human (or service); `actor` is the agent acting
 * on the subject's behalf, taken from the RFC 8693 `act` claim.
 *
 * @example
 * ```ts
 * const alice: Principal = { subject: 'alice', groups: ['analysts'], kind: 'human' };
 * const copilot: Principal = { subject: 'alice', groups: ['analysts'], kind: 'agent', actor: 'copilot' };
 * ```
 */
export interface Principal {
  /** The accountable subject (`sub`, or the configured subject claim). */
  readonly subject: string;
  /** Group names, from the configured groups claim. */
  readonly groups: readonly string[];
  /** `human`, `agent` or `service`. */
  readonly kind: PrincipalKind;
  /** The current actor (RFC 8693 `act.sub`), when an agent acts for the subject. */
  readonly actor?: string;
  /**
   * The whole delegation chain from RFC 8693 nested `act` claims, current actor first
   * (`act.sub`, then `act.act.sub`, …). Absent when there is no actor.
   */
  readonly actorChain?: readonly string[];
  /** The token issuer (`iss`), when the principal came from a token. */
  readonly issuer?: string;
  /** The token id (`jti`), when present. */
  readonly tokenId?: string;
  /** When the credential expires, in seconds since the epoch (`exp`). */
  readonly expiresAt?: number;
}

/**
 * A principal as a host hands it to an adapter (`db.as(…)`, `ssh.as(…)`, `kube.as(…)`,
 * `gate.open(…)`): a {@link Principal} whose `kind` may be left out, meaning `human` (as in
 * policy test suites and the CLI's `--principal`). The session's `principal` has it filled in.
 *
 * @example
 * ```ts
 * const alice: PrincipalInput = { subject: 'alice', groups: ['analysts'] }; // kind: 'human'
 * const bot: PrincipalInput = { subject: 'alice', groups: ['analysts'], kind: 'agent', actor: 'copilot' };
 * ```
 */
export type PrincipalInput = Omit<Principal, 'kind'> & { readonly kind?: PrincipalKind | undefined };

/** A named connection a request goes to (`warehouse`, `bastion`, `prod-cluster`). */
export interface Target {
  readonly name: string;
  readonly protocol: Protocol;
}

/** An SQL text, possibly several statements. */
export interface SqlRequest {
  readonly type: 'sql';
  readonly sql: string;
  /**
   * The values of `$1`, `$2`, … as they are sent (text form; `null` for SQL NULL), when the
   * request has any. An approval binds them: the same text with other values is another request.
   */
  readonly params?: readonly (string | null)[];
}

/** A shell command line to run over SSH exec. */
export interface CommandRequest {
  readonly type: 'command';
  readonly command: string;
  /**
   * Environment variables the exec asks the server to set. Classified as if the line began
   * with `env NAME=VALUE …`; an approval binds them.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** The stdin the caller gives the command (absent: stdin is closed at once). */
  readonly stdin?: CommandStdin;
  /** Whether the command runs on a pseudo-terminal; an approval binds it. */
  readonly pty?: boolean;
}

/** What is known of the stdin given to a command: an approval binds its hash. */
export interface CommandStdin {
  /** SHA-256 (hex) of the bytes sent. */
  readonly sha256: string;
  readonly bytes: number;
  /**
   * The stdin as text, when the command is a shell that reads its commands from stdin
   * (`bash`, `sh -s`): then it is classified as a command line.
   */
  readonly script?: string;
}

/** An interactive shell session. */
export interface ShellRequest {
  readonly type: 'shell';
  /** Whether the shell runs on a pseudo-terminal; an approval binds it. */
  readonly pty?: boolean;
}

/** An SFTP read or write of one path (a rename: of both paths). */
export interface SftpRequest {
  readonly type: 'sftp';
  readonly mode: 'read' | 'write';
  readonly path: string;
  /** The named SFTP operation (`readFile`, `rename`, …); an approval binds it. */
  readonly operation?: string;
  /** The second path of a rename (also written). */
  readonly to?: string;
  /** SHA-256 (hex) of the bytes a `writeFile` writes; an approval binds it. */
  readonly contentSha256?: string;
  /** The permission bits a `chmod` or `mkdir` sets; an approval binds them. */
  readonly permissions?: number;
}

/** A port forward to `host:port`. */
export interface ForwardRequest {
  readonly type: 'forward';
  readonly host: string;
  readonly port: number;
}

/** One Kubernetes API call: HTTP method, path with query string, and request headers. */
export interface KubeRequest {
  readonly type: 'kube';
  readonly method: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  /**
   * The request body as sent (JSON, YAML, a patch, or bytes such as kubectl's protobuf), when
   * the adapter has it. It does not change the classified actions, but an approval is bound to
   * its exact bytes (text counts as its UTF-8 bytes): an approved `PATCH` does not carry over to
   * another body.
   */
  readonly body?: string | Uint8Array;
}

/** One thing a caller wants done on a target (docs/ §2). */
export type Request = SqlRequest | CommandRequest | ShellRequest | SftpRequest | ForwardRequest | KubeRequest;

/**
 * The unit a request classifies into. Operation names are the normative vocabulary of
 * docs/ §3; `unknown` means the classifier could not resolve the request (fail closed).
 */
export interface Action {
  readonly operation: string;
  readonly resource?: string;
}

/** The effect of a rule and of a decision. */
export type Effect = 'allow' | 'deny' | 'review';

/** Who may approve a review: subjects and/or groups, each a list of globs. */
export interface ApproverSpec {
  readonly subjects?: readonly string[];
  readonly groups?: readonly string[];
}

/** What a `review` decision needs before the request may run. */
export interface ReviewRequirement {
  /** The review rule that asked for it. */
  readonly ruleId: string;
  readonly approvers: ApproverSpec;
  /** How many distinct people must approve. */
  readonly minApprovals: number;
  /** How long an approval can be used, in milliseconds. */
  readonly ttlMs: number;
  /** `once`: the approval runs the exact request one time; `window`: the operations for `ttlMs`. */
  readonly grant: 'once' | 'window';
  readonly reason?: string;
}

/** How one action of a request was decided. */
export interface ActionDecision {
  readonly action: Action;
  readonly effect: Effect;
  /** Ids of the rules that produced this effect (all deny rules, all review rules, or the allow rules). */
  readonly rules: readonly string[];
  readonly reasons: readonly string[];
}

/**
 * A decision (docs/ §2): the strictest effect over the request's actions, the rules that
 * produced it and reasons a person can read. For `review`, what approval is needed; for
 * `allow`, which masking profile applies and whether recording is required.
 */
export interface Decision {
  readonly effect: Effect;
  readonly rules: readonly string[];
  readonly reasons: readonly string[];
  readonly actions: readonly ActionDecision[];
  /** Present when `effect` is `review`: every requirement must be satisfied. */
  readonly review?: readonly ReviewRequirement[];
  /** The masking profile that applies once the request runs (for `allow`, and for `review` once approved). */
  readonly mask?: string;
  /** Whether the request may only run if it can be recorded. */
  readonly recordingRequired: boolean;
}

/**
 * What a classifier may know about the session a request runs in. Adapters fill it in; a
 * classifier never reaches for state of its own.
 */
export interface ClassifyContext {
  /**
   * SQL prepared statements the session knows (`PREPARE name AS …` or a named protocol-level
   * statement), by name, with the actions of the statement they prepared. `EXECUTE name` of a
   * name not in this map classifies as `unknown`.
   */
  readonly preparedStatements?: ReadonlyMap<string, readonly Action[]>;
}

/** How a masked value is shown. */
export type MaskStyle = 'redact' | 'partial' | 'hash' | 'keep';

/**
 * A column rule with options (`columns: { 'public.users.email': { style: hash, predicates: allow } }`).
 * A rule given as a bare style is `{ style, predicates: 'deny' }`.
 */
export interface ColumnRuleConfig {
  /** How the column's values are shown. */
  readonly style: MaskStyle;
  /**
   * Whether SQL may read the column where it chooses or orders rows without showing it — WHERE,
   * JOIN conditions, ORDER BY, GROUP BY, HAVING, CASE conditions, FILTER, window definitions,
   * LIMIT, subquery conditions (`allow`) — or only as a result column (`deny`, the default).
   * Allowing it lets a query infer values (`WHERE email = 'a@b.c'` says whether that address is
   * there); copying the column elsewhere stays denied either way.
   */
  readonly predicates?: 'allow' | 'deny';
}

/** A masking profile as written in a policy file (`masking.profiles.<name>`). */
export interface MaskingProfileConfig {
  /**
   * Which detectors run on content: categories (`secrets`, `pii`), detector ids, or `all`.
   * Absent means every built-in detector.
   */
  readonly detectors?: readonly string[];
  /** The style for content matches (default `redact`). */
  readonly style?: MaskStyle;
  /**
   * Rules by column: a glob over the column name as returned (`*password*`) or over its source
   * `schema.table.column` when the adapter knows it (`public.users.email`), to a style or a
   * {@link ColumnRuleConfig}.
   */
  readonly columns?: Readonly<Record<string, MaskStyle | ColumnRuleConfig>>;
  /** Rules by JSON field (key) name glob, to a style. */
  readonly fields?: Readonly<Record<string, MaskStyle>>;
}

/** The type of a recording event (docs/ §7). */
export type RecordEventType =
  | 'session.start'
  | 'request'
  | 'decision'
  | 'approval'
  | 'result'
  | 'output'
  | 'error'
  | 'session.end'
  /** Written by the recorder: a signed checkpoint of the chain so far (docs/recording.md). */
  | 'checkpoint';

/** One recorded event, as stored: one line of JSON Lines (docs/ §7). */
export interface RecordEvent {
  readonly v: 1;
  readonly session: string;
  readonly seq: number;
  /** ISO 8601 UTC timestamp. */
  readonly ts: string;
  readonly type: RecordEventType;
  readonly data: unknown;
  /** The previous event's hash, or the fixed genesis value for the session's first event. */
  readonly prev: string;
  /** SHA-256 (hex) over the canonical event without `hash`. */
  readonly hash: string;
}

/** Where recorded events go. Any rejection must reach the caller: required recording fails closed. */
export interface RecordingSink {
  /** Appends events in order; resolves once they are accepted (written or buffered per the sink's contract). */
  append(events: readonly RecordEvent[]): Promise<void>;
  /** Makes everything appended so far durable. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Records one session: chains events and hands them to a sink. */
export interface SessionRecorder {
  readonly session: string;
  /**
   * The `seq` the next recorded event gets, when the recorder knows it. The engine then records a
   * request and its decision (which names the request's seq) in one write instead of two.
   */
  readonly nextSeq?: number;
  /** Appends one event; rejects if the sink fails. */
  record(
    type: Exclude<RecordEventType, 'session.start' | 'session.end' | 'checkpoint'>,
    data: unknown,
  ): Promise<RecordEvent>;
  /** Writes `session.end` (signed when a sealing key is configured) and flushes. */
  end(data?: unknown): Promise<RecordEvent>;
}

/** Starts recorded sessions. */
export interface Recorder {
  /** Starts a session: writes `session.start` with `data` (principal, target, …). */
  start(data: unknown, options?: { readonly session?: string }): Promise<SessionRecorder>;
}

/** Where the identity resolver gets its verification keys. */
export type JwksSource =
  /** An inline JSON Web Key Set. */
  | { readonly keys: readonly Readonly<Record<string, unknown>>[] }
  /** A JWKS JSON file (a policy file's relative path is resolved against the policy file). */
  | { readonly file: string }
  /** A JWKS URI, fetched and cached (`createRemoteJWKSet`). */
  | { readonly uri: string };

/** One accepted issuer and the only keys its tokens are verified with. */
export interface IssuerKeys {
  /** The exact `iss` value. */
  readonly issuer: string;
  readonly jwks: JwksSource;
}

/**
 * How bearer tokens become principals (a policy file's `identity` section, after loading).
 * Durations are seconds or strings such as `90s`, `30m`, `1h`.
 */
export interface IdentityConfig {
  /**
   * Accepted `iss` value, verified with `jwks` (or `hmacSecret`). A list is accepted only with
   * one entry: several issuers sharing one key set would let each sign for the others — give
   * each its own keys with `issuers`. Exactly one of `issuer` and `issuers` is set.
   */
  readonly issuer?: string | readonly string[];
  /** Several accepted issuers, each verified only with its own key set. */
  readonly issuers?: readonly IssuerKeys[];
  /** Accepted `aud` value(s). */
  readonly audience: string | readonly string[];
  /** The key set of `issuer` (not allowed with `issuers`, whose entries carry their own). */
  readonly jwks?: JwksSource;
  /** Accepted JWS algorithms. Default: the asymmetric ones (RS*, PS*, ES*, EdDSA). `none` is never accepted. */
  readonly algorithms?: readonly string[];
  /**
   * A shared secret for HS256/384/512. HMAC is accepted only when this is set (policy files
   * name an environment variable: `hmacSecret: { env: NAME }`).
   */
  readonly hmacSecret?: string | Uint8Array;
  /** The claim naming the subject (default `sub`). */
  readonly subjectClaim?: string;
  /** Dotted path to the groups claim, an array or a space-separated string (default `groups`). */
  readonly groupsClaim?: string;
  /** Dotted path to a claim naming the kind (`human` | `agent` | `service`). */
  readonly kindClaim?: string;
  /** Kind when no claim says: default `human`, or `agent` when the token has an `act` claim. */
  readonly defaultKind?: 'human' | 'agent' | 'service';
  /** The oldest `iat` accepted. */
  readonly maxTokenAge?: string | number;
  /** Clock skew tolerated for `exp`, `nbf` and `iat` (default 30s). */
  readonly clockTolerance?: string | number;
  /** Tokens longer than this many bytes are rejected before any parsing (default 16384). */
  readonly maxTokenBytes?: number;
  /** DPoP (RFC 9449): when `required`, every token needs a proof; a `cnf.jkt`-bound token always does. */
  readonly dpop?: {
    readonly required?: boolean;
    /** How old a proof's `iat` may be (default 60s). */
    readonly maxAge?: string | number;
  };
}
