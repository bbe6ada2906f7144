import type { Action, Decision } from '../types.js';

/**
 * A `deny` decision for a request that could not be decided or may not run because something
 * failed (fail closed, docs/ §4 item 4): every action denied for `reason`, no rule named.
 * When an earlier decision exists, its rules and actions are kept so the record shows what the
 * policy said before the failure.
 *
 * @example
 * ```ts
 * denyDecision('unknown target "warehuose"', [], false).effect; // 'deny'
 * ```
 */
export function denyDecision(
  reason: string,
  actions: readonly Action[],
  recordingRequired: boolean,
  previous?: Decision,
): Decision {
  return {
    effect: 'deny',
    rules: previous?.rules ?? [],
    reasons: [reason],
    actions:
      previous?.actions ??
      actions.map((action) => ({ action, effect: 'deny', rules: [], reasons: [reason] })),
    recordingRequired: previous?.recordingRequired ?? recordingRequired,
  };
}
