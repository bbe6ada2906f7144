import type { Effect, Protocol, ReviewRequirement, Target } from '../types.js';
import type { Matcher, PrefixMatcher } from './glob.js';
import type { CompiledPolicy, PolicyRule } from './policy-types.js';

/** One rule, compiled: every glob list turned into a matcher once, at load. Internal. */
export interface CompiledRule {
  /** Position in the file (rules[index]). */
  readonly index: number;
  readonly id: string;
  readonly effect: Effect;
  readonly source: PolicyRule;
  readonly reason: string | undefined;
  readonly subjects: Matcher | undefined;
  readonly groups: Matcher | undefined;
  readonly kinds: Matcher | undefined;
  readonly actors: Matcher | undefined;
  /** Resource matchers by glob flavour: flat for postgres and ssh, path for kubernetes. */
  readonly resourcesFlat: Matcher | undefined;
  readonly resourcesPath: Matcher | undefined;
  /** The flat patterns asked about every path under a directory (see isTreeResource). */
  readonly resourcesUnder: PrefixMatcher | undefined;
  readonly hasResources: boolean;
  readonly review: ReviewRequirement | undefined;
  readonly mask: string | undefined;
  readonly record: boolean;
  /** Target name → the operations this rule applies to on that target. */
  readonly applies: ReadonlyMap<string, ReadonlySet<string>>;
  /** Target names matched by `when.targets` (every target when absent). */
  readonly matchedTargets: readonly string[];
}

/** The candidate rules for one (target, operation), by effect, in file order. */
export interface RuleBuckets {
  readonly deny: readonly CompiledRule[];
  readonly review: readonly CompiledRule[];
  readonly allow: readonly CompiledRule[];
}

/** Per target: its protocol and the candidate rules per operation. */
export interface TargetIndex {
  readonly target: Target;
  readonly path: boolean;
  readonly byOperation: ReadonlyMap<string, RuleBuckets>;
}

/** Everything `evaluate` and `lintPolicy` need beyond the public {@link CompiledPolicy}. */
export interface PolicyInternals {
  readonly rules: readonly CompiledRule[];
  readonly targets: ReadonlyMap<string, TargetIndex>;
  readonly recordingRequired: boolean;
  readonly maskDefault: string | undefined;
  /** Target name globs that matched no target, per rule index, for lint. */
  readonly emptyTargetGlobs: ReadonlyMap<number, readonly number[]>;
}

/** Empty buckets, shared: an operation no rule names. */
export const NO_RULES: RuleBuckets = Object.freeze({
  deny: Object.freeze([]),
  review: Object.freeze([]),
  allow: Object.freeze([]),
});

// A WeakMap rather than a property: internals cannot be forged or altered through the public
// object, and the public type stays plain.
const registry = new WeakMap<CompiledPolicy, PolicyInternals>();

/** Records the internals of a policy built by `compilePolicy`. */
export function registerInternals(policy: CompiledPolicy, internals: PolicyInternals): void {
  registry.set(policy, internals);
}

/**
 * The internals of a compiled policy.
 *
 * @throws {TypeError} when the object did not come from `compilePolicy`/`parsePolicy`/`loadPolicyFile`.
 */
export function internalsOf(policy: CompiledPolicy): PolicyInternals {
  const internals = registry.get(policy);
  if (internals === undefined) {
    throw new TypeError('not a compiled policy: build it with parsePolicy, loadPolicyFile or compilePolicy');
  }
  return internals;
}

/** The glob flavour for resources of a protocol. */
export function isPathProtocol(protocol: Protocol): boolean {
  return protocol === 'kubernetes';
}
