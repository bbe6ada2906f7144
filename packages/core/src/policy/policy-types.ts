import type { Effect, IdentityConfig, MaskingProfileConfig, Protocol, Target } from '../types.js';

/** A duration as written in a policy: seconds, or a string such as `90s`, `30m`, `1h`, `2d`. */
export type PolicyDuration = string | number;

/** `when`: every field is a list of globs; an absent field matches anything (docs/ §4). */
export interface PolicyWhen {
  readonly subjects?: readonly string[];
  readonly groups?: readonly string[];
  readonly kinds?: readonly string[];
  readonly actors?: readonly string[];
  readonly targets?: readonly string[];
  readonly operations?: readonly string[];
  readonly resources?: readonly string[];
}

/** A review rule's approval requirement as written (`review:`). */
export interface PolicyReview {
  readonly approvers: { readonly subjects?: readonly string[]; readonly groups?: readonly string[] };
  /** Distinct people needed (default 1). */
  readonly minApprovals?: number;
  /** How long an approval can be used (default `30m`). */
  readonly ttl?: PolicyDuration;
  /** `once` (default): the exact request, one time; `window`: the same operations until `ttl` ends. */
  readonly grant?: 'once' | 'window';
}

/** One rule as written. */
export interface PolicyRule {
  readonly id: string;
  readonly effect: Effect;
  readonly when?: PolicyWhen;
  /** Shown to people in decisions and errors. */
  readonly reason?: string;
  /** Only with `effect: review`. */
  readonly review?: PolicyReview;
  /** Only with `effect: allow`: the masking profile for results. */
  readonly mask?: string;
  /** Only with `allow` or `review`: the request may only run if it can be recorded. */
  readonly record?: boolean;
}

/** `identity:` as written: like {@link IdentityConfig}, but a secret is only ever named. */
export interface PolicyIdentity extends Omit<IdentityConfig, 'hmacSecret' | 'jwks'> {
  readonly jwks?:
    | { readonly keys: readonly Readonly<Record<string, unknown>>[] }
    | { readonly file: string }
    | { readonly uri: string };
  /** The environment variable holding the HMAC secret. */
  readonly hmacSecret?: { readonly env: string };
}

/** A policy document (docs/ §4, version 1), as written in YAML/JSON or built in code. */
export interface PolicyDocument {
  /** A JSON Schema reference for editors; ignored. */
  readonly $schema?: string;
  readonly version: 1;
  readonly identity?: PolicyIdentity;
  readonly targets: Readonly<Record<string, { readonly protocol: Protocol }>>;
  readonly rules?: readonly PolicyRule[];
  readonly masking?: {
    /** The profile used when no deciding allow rule names one. */
    readonly default?: string;
    readonly profiles?: Readonly<Record<string, MaskingProfileConfig>>;
  };
  readonly recording?: { readonly required?: boolean };
}

/** Where something is in a policy file (1-based). */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/**
 * A validated policy, compiled into matchers. Build it with `parsePolicy`, `loadPolicyFile` or
 * `compilePolicy`, then decide with `evaluate`. The compiled rules are internal.
 */
export interface CompiledPolicy {
  /** The validated document, with defaults filled in. Never holds a secret (only env names). */
  readonly document: PolicyDocument;
  /** The file it came from, as given, for messages. */
  readonly file?: string;
  readonly targets: ReadonlyMap<string, Target>;
  /** The identity configuration, with `hmacSecret` read from the environment and `jwks.file` resolved. */
  readonly identity?: IdentityConfig;
  readonly masking: {
    readonly profiles: ReadonlyMap<string, MaskingProfileConfig>;
    /** `masking.default`, when set. */
    readonly default?: string;
  };
  /** `recording.required` (default false). */
  readonly recordingRequired: boolean;
  /** Rule ids in file order. */
  readonly ruleIds: readonly string[];
  /**
   * Where a path is in the file, when the policy came from text: a dotted string
   * (`rules.2.when`) or segments (`['targets', 'db.prod']`, for keys that contain dots).
   */
  readonly locate: (path: string | readonly (string | number)[]) => SourcePosition | undefined;
}

/** How serious a lint finding is. */
export type LintSeverity = 'error' | 'warning' | 'info';

/** One finding of `lintPolicy`. */
export interface LintFinding {
  /** The lint check that found it, e.g. `shadowed-rule`. */
  readonly check: string;
  readonly severity: LintSeverity;
  readonly message: string;
  /** The policy rule concerned, when there is one. */
  readonly ruleId?: string;
  /** A dotted path into the document, e.g. `rules.2.when.targets.0`. */
  readonly path: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}
