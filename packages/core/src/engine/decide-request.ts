import type { CompiledPolicy } from '../policy/policy-types.js';
import type { Action, Decision, Principal } from '../types.js';
import { denyDecision } from './deny-decision.js';
import { protocolOf } from './protocol-of.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Classify, DecideInput } from './types.js';

/** The policy evaluator's shape (`evaluate` of the policy module). */
export type Evaluate = (
  policy: CompiledPolicy,
  input: { readonly principal: Principal; readonly target: string; readonly actions: readonly Action[] },
) => Decision;

/** What {@link decideRequest} needs. */
export interface DecideDeps {
  readonly policy: CompiledPolicy;
  readonly classify: Classify;
  readonly evaluate: Evaluate;
  /** Spans, metrics and logs (absent: none). */
  readonly telemetry?: Telemetry;
}

/** A decision with the actions it was made on and, when it is a failure's deny, why. */
export interface Decided {
  readonly decision: Decision;
  readonly actions: readonly Action[];
  /** Present when the deny comes from a failure rather than from the policy. */
  readonly failure?: { readonly reason: string; readonly cause?: unknown };
}

const EFFECTS: ReadonlySet<string> = new Set(['allow', 'deny', 'review']);

/**
 * Checks the target, classifies and evaluates one request. Never throws for a failure of the
 * classifier or evaluator: those, an unknown target, a request of another protocol than the
 * target's and an evaluator answer that makes no sense all become a `deny` (fail closed).
 * A request that classifies into no action at all is decided as one `unknown` action, so it is
 * allowed only where the policy allows `unknown` literally.
 *
 * @example
 * ```ts
 * decideRequest({ policy, classify: classifyRequest, evaluate }, { principal, target: 'warehouse', request }).decision.effect;
 * ```
 * @throws TypeError when the input is not a principal, a target name and a request.
 */
export function decideRequest(deps: DecideDeps, input: DecideInput): Decided {
  assertDecideInput(input);
  const { policy } = deps;
  const { principal, target, request } = input;
  const fail = (reason: string, actions: readonly Action[], cause?: unknown): Decided => ({
    decision: denyDecision(reason, actions, policy.recordingRequired),
    actions,
    failure: cause === undefined ? { reason } : { reason, cause },
  });

  const known = policy.targets.get(target);
  if (known === undefined) {
    const names = [...policy.targets.keys()];
    return fail(
      `unknown target "${target}"; the policy names ${names.length === 0 ? 'no targets' : names.map((n) => `"${n}"`).join(', ')}`,
      [],
    );
  }
  const protocol = protocolOf(request);
  if (known.protocol !== protocol) {
    return fail(`a ${request.type} request cannot go to "${target}", a ${known.protocol} target`, []);
  }

  let actions: readonly Action[];
  try {
    const started = performance.now();
    actions = deps.classify(request, input.context);
    deps.telemetry?.classified(protocol, performance.now() - started);
    if (!Array.isArray(actions)) throw new TypeError('the classifier did not return a list of actions');
  } catch (cause) {
    return fail(`the request could not be classified (${messageOf(cause)}); nothing ran`, [], cause);
  }
  if (actions.length === 0) actions = [{ operation: 'unknown' }];

  let decision: Decision;
  try {
    decision = deps.evaluate(policy, { principal, target, actions });
  } catch (cause) {
    return fail(`the policy could not be evaluated (${messageOf(cause)}); nothing ran`, actions, cause);
  }
  if (typeof (decision as unknown) !== 'object' || !EFFECTS.has(decision.effect)) {
    return fail('the policy evaluator returned no valid decision; nothing ran', actions);
  }
  if (decision.effect === 'review' && (decision.review === undefined || decision.review.length === 0)) {
    return fail('the policy asked for review without saying who approves; nothing ran', actions);
  }
  return { decision, actions };
}

function assertDecideInput(input: DecideInput): void {
  if (typeof (input as unknown) !== 'object' || (input as unknown) === null) {
    throw new TypeError('expected { principal, target, request }');
  }
  const p = input.principal as Partial<Principal> | null | undefined;
  if (typeof p !== 'object' || p === null || typeof p.subject !== 'string' || !Array.isArray(p.groups)) {
    throw new TypeError('principal must be a Principal ({ subject, groups, kind })');
  }
  if (typeof (input.target as unknown) !== 'string') throw new TypeError('target must be a target name');
  const r = input.request as { type?: unknown } | null | undefined;
  if (typeof r !== 'object' || r === null || typeof r.type !== 'string') {
    throw new TypeError('request must be a Request ({ type: "sql" | "command" | … })');
  }
}

/** A failure's message, for reasons people read. */
export function messageOf(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return typeof cause === 'string' ? cause : 'unknown error';
}
