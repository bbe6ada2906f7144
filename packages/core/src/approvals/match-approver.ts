import { compileGlobList } from '../policy/glob.js';
import type { Matcher } from '../policy/glob.js';
import type { ApproverSpec } from '../types.js';

// Approver globs come from the policy, so this stays as small as the policy's set of lists.
const compiled = new Map<string, Matcher>();

function matcher(patterns: readonly string[]): Matcher {
  const key = JSON.stringify(patterns);
  let match = compiled.get(key);
  if (match === undefined) {
    // The same `flat` globs the policy uses for subjects and groups in `when`.
    match = compileGlobList(patterns, 'flat');
    compiled.set(key, match);
  }
  return match;
}

/**
 * Whether a person is named by an approver spec: their subject matches one of `subjects`, or
 * one of their groups matches one of `groups` (the policy's flat globs: `*` matches any run of
 * characters). A spec naming nobody matches nobody, so a review rule without approvers can
 * never be approved (fail closed).
 *
 * @example
 * ```ts
 * approverMatches({ groups: ['managers', 'sre-*'] }, { subject: 'bob', groups: ['sre-oncall'] }); // true
 * ```
 * @throws TypeError (`GlobSyntaxError`) when a pattern is not a valid glob.
 */
export function approverMatches(
  spec: ApproverSpec,
  person: { readonly subject: string; readonly groups: readonly string[] },
): boolean {
  if (spec.subjects !== undefined && spec.subjects.length > 0 && matcher(spec.subjects)(person.subject)) {
    return true;
  }
  if (spec.groups !== undefined && spec.groups.length > 0) {
    const match = matcher(spec.groups);
    for (const group of person.groups) if (match(group)) return true;
  }
  return false;
}
