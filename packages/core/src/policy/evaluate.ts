import type { Action, ActionDecision, Decision, Effect, Principal, ReviewRequirement } from '../types.js';
import { internalsOf, NO_RULES, type CompiledRule, type PolicyInternals } from './compiled-rules.js';
import type { CompiledPolicy } from './policy-types.js';

/** What {@link evaluate} decides on: who asks, on which target, for which actions. */
export interface EvaluateInput {
  readonly principal: Principal;
  /** The target's name, as defined under `targets:`. */
  readonly target: string;
  /** The request's actions, as the classifier produced them. */
  readonly actions: readonly Action[];
}

const RANK: Readonly<Record<Effect, number>> = { allow: 0, review: 1, deny: 2 };

// Resources in generated reasons are cut so one huge command line cannot flood a message.
const MAX_SHOWN_RESOURCE = 160;

/**
 * Decides a request (docs/ §4): for each action, any matching `deny` rule denies it; else
 * every matching `review` rule must be satisfied; else any matching `allow` rule allows it;
 * else it is denied. The request's effect is the strictest of its actions'. `unknown` is only
 * matched by rules that name it literally.
 *
 * Pure and total: no I/O, and it never throws — an empty action list, an undefined target,
 * malformed input or any internal failure is a `deny` with a reason.
 *
 * @example
 * ```ts
 * const decision = evaluate(policy, {
 *   principal: { subject: 'alice', groups: ['analysts'], kind: 'human' },
 *   target: 'warehouse',
 *   actions: [{ operation: 'select', resource: 'orders' }],
 * });
 * if (decision.effect === 'allow') run(decision.mask);
 * ```
 */
export function evaluate(policy: CompiledPolicy, input: EvaluateInput): Decision {
  try {
    return decide(internalsOf(policy), input);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const actions = (input as EvaluateInput | undefined)?.actions;
    return denied(Array.isArray(actions) ? actions : [], `policy evaluation failed: ${message}`);
  }
}

function decide(policy: PolicyInternals, input: EvaluateInput): Decision {
  const { principal, target, actions } = input;
  if (actions.length === 0) return denied(actions, 'request has no actions', policy.recordingRequired);
  const index = policy.targets.get(target);
  if (index === undefined) {
    return denied(
      actions,
      `target ${JSON.stringify(target)} is not defined in the policy`,
      policy.recordingRequired,
    );
  }
  const path = index.path;
  const decisions: ActionDecision[] = new Array<ActionDecision>(actions.length);
  const deciding: (readonly CompiledRule[] | undefined)[] = new Array<readonly CompiledRule[] | undefined>(
    actions.length,
  );
  let worst = 0;
  for (let i = 0; i < actions.length; i++) {
    const action = actions[i];
    if (action === undefined) throw new TypeError(`actions[${i}] is missing`);
    const buckets = index.byOperation.get(action.operation) ?? NO_RULES;
    const tree = !path && isTreeResource(action);
    let effect: Effect = 'deny';
    let matched = collect(buckets.deny, principal, action.resource, path, tree ? 'some' : undefined);
    if (matched === undefined) {
      effect = 'review';
      matched = collect(buckets.review, principal, action.resource, path, tree ? 'some' : undefined);
    }
    if (matched === undefined) {
      effect = 'allow';
      matched = collect(buckets.allow, principal, action.resource, path, tree ? 'every' : undefined);
    }
    if (matched === undefined) {
      decisions[i] = {
        action,
        effect: 'deny',
        rules: [],
        reasons: [`no rule allows ${describe(action)} on ${target}`],
      };
      worst = 2;
      continue;
    }
    deciding[i] = matched;
    decisions[i] = {
      action,
      effect,
      rules: matched.map((r) => r.id),
      reasons: matched.map((r) => r.reason ?? generatedReason(r, action, target)),
    };
    if (RANK[effect] > worst) worst = RANK[effect];
  }

  const effect: Effect = worst === 2 ? 'deny' : worst === 1 ? 'review' : 'allow';
  const rules: string[] = [];
  const reasons: string[] = [];
  for (const d of decisions) {
    if (d.effect !== effect) continue;
    for (const id of d.rules) if (!rules.includes(id)) rules.push(id);
    for (const r of d.reasons) if (!reasons.includes(r)) reasons.push(r);
  }

  // Recording and masking look at every rule that decided an action; for a review, also at
  // the allow rules that would apply once approved.
  let recordingRequired = policy.recordingRequired;
  let mask: CompiledRule | undefined;
  const consider = (rule: CompiledRule): void => {
    if (rule.record) recordingRequired = true;
    if (rule.mask !== undefined && (mask === undefined || rule.index < mask.index)) mask = rule;
  };
  let review: ReviewRequirement[] | undefined;
  for (let i = 0; i < actions.length; i++) {
    const d = decisions[i];
    const matched = deciding[i];
    if (d === undefined || matched === undefined) continue;
    for (const rule of matched) consider(rule);
    if (effect === 'review' && d.effect === 'review') {
      review ??= [];
      for (const rule of matched) {
        if (rule.review !== undefined && !review.some((r) => r.ruleId === rule.id)) review.push(rule.review);
      }
      const buckets = index.byOperation.get(d.action.operation) ?? NO_RULES;
      const under = !path && isTreeResource(d.action) ? 'every' : undefined;
      const allows = collect(buckets.allow, principal, d.action.resource, path, under);
      if (allows !== undefined) for (const rule of allows) consider(rule);
    }
  }

  const maskName = effect === 'deny' ? undefined : (mask?.mask ?? policy.maskDefault);
  return {
    effect,
    rules,
    reasons,
    actions: decisions,
    ...(review === undefined ? {} : { review }),
    ...(maskName === undefined ? {} : { mask: maskName }),
    recordingRequired,
  };
}

/**
 * Whether the action is on a directory and everything in it: a shell `write` whose path ends
 * with `/` (`rm -rf /etc` writes `/etc` and `/etc/`; docs/classification.md). Such a resource
 * meets a deny or review rule that matches any path under it, and an allow rule only when the
 * rule matches every path under it. (SFTP paths are normalised without a trailing `/`: an SFTP
 * operation names one file or directory.)
 */
function isTreeResource(action: Action): boolean {
  return action.operation === 'write' && action.resource?.endsWith('/') === true;
}

/**
 * The rules among `candidates` that match, or undefined when none does (no allocation then).
 * `under`: the resource is a directory and everything in it, and a rule must match some
 * (`some`) or every (`every`) path under it.
 */
function collect(
  candidates: readonly CompiledRule[],
  principal: Principal,
  resource: string | undefined,
  path: boolean,
  under: 'some' | 'every' | undefined,
): CompiledRule[] | undefined {
  let out: CompiledRule[] | undefined;
  for (const rule of candidates) {
    if (matches(rule, principal, resource, path, under)) (out ??= []).push(rule);
  }
  return out;
}

function matches(
  rule: CompiledRule,
  principal: Principal,
  resource: string | undefined,
  path: boolean,
  under: 'some' | 'every' | undefined,
): boolean {
  if (rule.subjects !== undefined && !rule.subjects(principal.subject)) return false;
  if (rule.kinds !== undefined && !rule.kinds(principal.kind)) return false;
  if (rule.actors !== undefined) {
    const actor = principal.actor;
    if (actor === undefined || !rule.actors(actor)) return false;
  }
  if (rule.groups !== undefined) {
    let any = false;
    for (const group of principal.groups) {
      if (rule.groups(group)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  if (rule.hasResources) {
    if (resource === undefined) return false;
    if (under !== undefined) return rule.resourcesUnder?.[under](resource) === true;
    const matcher = path ? rule.resourcesPath : rule.resourcesFlat;
    if (matcher === undefined || !matcher(resource)) return false;
  }
  return true;
}

function denied(actions: readonly Action[], reason: string, recordingRequired = false): Decision {
  return {
    effect: 'deny',
    rules: [],
    reasons: [reason],
    actions: actions.map((action) => ({ action, effect: 'deny', rules: [], reasons: [reason] })),
    recordingRequired,
  };
}

function generatedReason(rule: CompiledRule, action: Action, target: string): string {
  const verb = rule.effect === 'allow' ? 'allows' : rule.effect === 'deny' ? 'denies' : 'requires review for';
  return `rule ${rule.id} ${verb} ${describe(action)} on ${target}`;
}

function describe(action: Action): string {
  const resource = action.resource;
  if (resource === undefined) return action.operation;
  const shown = resource.length > MAX_SHOWN_RESOURCE ? `${resource.slice(0, MAX_SHOWN_RESOURCE)}…` : resource;
  return `${action.operation} ${shown}`;
}
