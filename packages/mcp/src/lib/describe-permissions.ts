import {
  evaluate,
  OPERATION_VOCABULARY,
  type CompiledPolicy,
  type Principal,
  type Protocol,
} from '@portcullis/core';

/**
 * What the policy lets `principal` do on `target`, in words for a model: the operations it may
 * run, those that need another person's approval, and those it may not — decided by the policy
 * itself for each operation of the target's vocabulary (rules that name resources may still
 * allow or refuse particular objects; the gate decides every request).
 */
export function describePermissions(
  policy: CompiledPolicy,
  principal: Principal,
  target: string,
  protocol: Protocol,
): string {
  const allowed: string[] = [];
  const review: string[] = [];
  for (const operation of OPERATION_VOCABULARY[protocol]) {
    if (operation === 'unknown') continue;
    const decision = evaluate(policy, { principal, target, actions: [{ operation }] });
    if (decision.effect === 'allow') allowed.push(operation);
    else if (decision.effect === 'review') review.push(operation);
  }
  const parts = [
    allowed.length > 0 ? `may ${allowed.join(', ')}` : 'may run nothing without approval',
    ...(review.length > 0 ? [`needs a person's approval for ${review.join(', ')}`] : []),
    'anything else is denied',
  ];
  return `On ${target} (${protocol}) you ${parts.join('; ')}. Some rules name particular objects, so the gate decides each request; a denial or a pending approval comes back as an error result with its reasons.`;
}
