import { createMasker, type CompiledPolicy, type Masker, type MaskingProfileConfig } from '@portcullis/core';
import type { MaskColumn, Masking } from './masking.js';

/**
 * Compiles every masking profile of the policy once and returns the masking for a decision's
 * profile name. No name (no deciding rule names one and the policy has no `masking.default`)
 * and a name the policy does not define both mask with every built-in detector: a policy that
 * says nothing about masking must not show secrets (docs/policy.md). A policy opts out of
 * masking explicitly, with a profile such as `{ style: keep }`.
 *
 * @example
 * ```ts
 * const maskingFor = createMaskingFor(portcullis.policy, hashKey);
 * maskingFor('default').text('key AKIA…'); // 'key [REDACTED:aws-access-key-id]'
 * ```
 * @throws TypeError when a profile cannot be compiled (for instance the `hash` style without a
 * `hashKey`), so a misconfiguration shows when the gate is built, not on a request.
 */
export function createMaskingFor(
  policy: CompiledPolicy,
  hashKey: string | Uint8Array | undefined,
): (profile: string | undefined) => Masking {
  const key = typeof hashKey === 'string' ? Buffer.from(hashKey, 'utf8') : hashKey;
  const options = key === undefined ? {} : { hashKey: key };
  const compiled = new Map<string, Masking>();
  for (const [name, profile] of policy.masking.profiles) {
    compiled.set(name, fromMasker(build(name, profile, options)));
  }
  let fallback: Masking | undefined;
  return (profile) => {
    const found = profile === undefined ? undefined : compiled.get(profile);
    if (found !== undefined) return found;
    fallback ??= fromMasker(build(profile ?? 'every built-in detector', {}, options));
    return fallback;
  };
}

function build(
  name: string,
  profile: MaskingProfileConfig,
  options: { readonly hashKey?: Uint8Array },
): Masker {
  try {
    return createMasker(profile, options);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new TypeError(`masking profile ${JSON.stringify(name)} cannot be used: ${why}`, { cause });
  }
}

function fromMasker(masker: Masker): Masking {
  return Object.freeze({
    row(row: unknown, columns: readonly MaskColumn[], arrayMode: boolean) {
      if (arrayMode) {
        const input = row as readonly unknown[];
        const out = masker.maskRow(input, columns);
        return { row: [...out], masked: changed(input, out) };
      }
      const input = row as Readonly<Record<string, unknown>>;
      const out = masker.maskRow(input, columns);
      let masked = 0;
      for (const column of columns) if (out[column.name] !== input[column.name]) masked++;
      return { row: out === input ? { ...out } : out, masked };
    },
    text: (text: string) => masker.maskText(text).text,
  });
}

function changed(before: readonly unknown[], after: readonly unknown[]): number {
  let n = 0;
  for (let i = 0; i < before.length; i++) if (before[i] !== after[i]) n++;
  return n;
}
