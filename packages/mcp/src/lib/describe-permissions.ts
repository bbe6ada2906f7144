import {
  evaluate,
  OPERATION_VOCABULARY,
  type CompiledPolicy,
  type Effect,
  type Principal,
  type Protocol,
} from '@portcullis/core';

const MAX_SHOWN = 6;

/**
 * What the policy lets `principal` do on `target`, in words for a model: the operations it may
 * run, those that need another person's approval, and that anything else is denied. Each
 * operation of the target's vocabulary is decided by the policy itself — once without a
 * resource, and once for each resource pattern the rules name for it, so that "exec, only
 * `cat /var/log/*`" reads as such. The gate still decides every request.
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
    const decide = (resource?: string): Effect =>
      evaluate(policy, {
        principal,
        target,
        actions: [resource === undefined ? { operation } : { operation, resource }],
      }).effect;
    const whole = decide();
    if (whole === 'allow') {
      allowed.push(operation);
      continue;
    }
    const some: Record<'allow' | 'review', string[]> = { allow: [], review: [] };
    for (const resource of resourcesNamedFor(policy, operation)) {
      const effect = decide(resource);
      if (effect !== 'deny') some[effect].push(resource);
    }
    if (some.allow.length > 0) allowed.push(`${operation} (only ${shown(some.allow)})`);
    if (whole === 'review') review.push(operation);
    else if (some.review.length > 0) review.push(`${operation} (${shown(some.review)})`);
  }
  const parts = [
    allowed.length > 0 ? `may ${allowed.join(', ')}` : 'may run nothing without approval',
    ...(review.length > 0 ? [`needs a person's approval for ${review.join(', ')}`] : []),
    'anything else is denied',
  ];
  return `On ${target} (${protocol}) you ${parts.join('; ')}. The gate decides each request; a denial or a pending approval comes back as an error result with its reasons.`;
}

/** The resource patterns, as written, of rules whose operations name `operation` (or `*`). */
function resourcesNamedFor(policy: CompiledPolicy, operation: string): string[] {
  const found = new Set<string>();
  for (const rule of policy.document.rules ?? []) {
    const ops = rule.when?.operations;
    if (ops !== undefined && !ops.includes(operation) && !ops.includes('*')) continue;
    for (const r of rule.when?.resources ?? []) found.add(r);
  }
  return [...found];
}

function shown(items: readonly string[]): string {
  const head = items.slice(0, MAX_SHOWN).map((i) => `"${i}"`);
  return items.length > MAX_SHOWN ? `${head.join(', ')}, …` : head.join(', ');
}
