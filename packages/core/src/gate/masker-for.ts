import { createMasker } from '../mask/create-masker.js';
import type { Masker } from '../mask/types.js';
import type { CompiledPolicy } from '../policy/policy-types.js';
import type { MaskingProfileConfig } from '../types.js';

/** Options of {@link maskerFor}. */
export interface MaskerForOptions {
  /** The `hash` style's HMAC key (a string is taken as UTF-8). */
  readonly hashKey?: string | Uint8Array;
}

type ByName = Map<string | undefined, Masker>;

/** Compiled maskers of one policy, by hash key, by profile name. */
interface PolicyMaskers {
  readonly noKey: ByName;
  readonly byText: Map<string, ByName>;
  readonly byBytes: WeakMap<Uint8Array, ByName>;
}

// Compile once, mask many times; everything goes when the policy does.
const compiled = new WeakMap<CompiledPolicy, PolicyMaskers>();

/**
 * The masker for a decision's masking profile. This is the one place that holds the rule: a
 * request whose decision names no profile (and whose policy has no `masking.default`), or names
 * one the policy does not define, is masked with every built-in detector — a policy that says
 * nothing about masking must not show secrets. A policy opts out explicitly, with a profile
 * such as `{ style: keep }`. Maskers are compiled once per policy, key and profile.
 *
 * @example
 * ```ts
 * const masker = maskerFor(portcullis.policy, authorization.mask);
 * masker.maskText('key AKIA…').text; // 'key [REDACTED:aws-access-key-id]'
 * ```
 * @throws TypeError when the profile cannot be compiled (the `hash` style without a `hashKey`
 * of at least 16 bytes), naming the profile.
 */
export function maskerFor(
  policy: CompiledPolicy,
  profile: string | undefined,
  options: MaskerForOptions = {},
): Masker {
  const key = options.hashKey;
  let maskers = compiled.get(policy);
  if (maskers === undefined) {
    maskers = { noKey: new Map(), byText: new Map(), byBytes: new WeakMap() };
    compiled.set(policy, maskers);
  }
  const byName = namesFor(maskers, key);
  const defined = profile === undefined ? undefined : policy.masking.profiles.get(profile);
  const name = defined === undefined ? undefined : profile;
  let masker = byName.get(name);
  if (masker === undefined) {
    masker = build(name ?? 'every built-in detector', defined ?? {}, key);
    byName.set(name, masker);
  }
  return masker;
}

function namesFor(maskers: PolicyMaskers, key: string | Uint8Array | undefined): ByName {
  if (key === undefined) return maskers.noKey;
  let found = typeof key === 'string' ? maskers.byText.get(key) : maskers.byBytes.get(key);
  if (found === undefined) {
    found = new Map();
    if (typeof key === 'string') maskers.byText.set(key, found);
    else maskers.byBytes.set(key, found);
  }
  return found;
}

function build(name: string, profile: MaskingProfileConfig, key: string | Uint8Array | undefined): Masker {
  const hashKey = typeof key === 'string' ? new Uint8Array(Buffer.from(key, 'utf8')) : key;
  try {
    return createMasker(profile, hashKey === undefined ? {} : { hashKey });
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new TypeError(`masking profile ${JSON.stringify(name)} cannot be used: ${why}`, { cause });
  }
}
