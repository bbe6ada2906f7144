import { LruCache } from '../classify/sql/cache.js';
import { engineParts } from '../engine/engine-registry.js';
import type { Portcullis, ReviewOptions } from '../engine/types.js';
import type { Principal, PrincipalInput } from '../types.js';
import { openGateSession, type GateShared, type Plan } from './lib/gate-session.js';
import { createMaskingPlan } from './masking-plan.js';
import { maskerFor } from './masker-for.js';
import { resolveCaps } from './result-caps.js';
import type { Gate, GateOptions, GateSessionOptions, MaskingPlan } from './types.js';

/**
 * Builds the gate runtime for one adapter on one target: sessions bound to a principal, each
 * with its ordered queue and the pipeline classify → decide → approve → execute → mask →
 * record, failing closed at each step; result caps enforced while results stream; errors made
 * safe with the result's masking plan; the recording started at a session's first request, and
 * only when the engine has a recorder. Decisions are cached per plan (same principal, target,
 * request key, session state and policy): a repeated request is not classified or evaluated
 * again, while approvals, credential expiry and recording run every time.
 *
 * The adapter supplies `toRequest`, `execute` (the only code that touches the driver) and
 * `shape`; see docs/gate-runtime.md.
 *
 * @example
 * ```ts
 * const gate = createGate({ portcullis, target: 'bastion', adapter: { toRequest, execute, shape }, caps: { maxBytes: 1 << 20 } });
 * const session = gate.open(principal);
 * const result = await session.run({ command: 'uptime' });
 * ```
 * @throws TypeError when the engine, target or adapter is missing, a cap is not a positive
 * whole number, `resultRows` or `planCacheSize` is not a whole number, or a masking profile of
 * the policy cannot be compiled (for instance `hash` without a `hashKey`).
 */
export function createGate<Call, Raw, Result, Effects = undefined>(
  options: GateOptions<Call, Raw, Result, Effects>,
): Gate<Call, Result> {
  const given: unknown = options;
  if (typeof given !== 'object' || given === null)
    throw new TypeError('createGate() takes { portcullis, target, adapter }');
  const { portcullis, target, adapter } = options;
  if (typeof (portcullis as Partial<Portcullis> | undefined)?.authorize !== 'function') {
    throw new TypeError('createGate() needs the engine: { portcullis: createPortcullis(…) }');
  }
  if (typeof target !== 'string' || !portcullis.policy.targets.has(target)) {
    throw new TypeError(`target ${JSON.stringify(target)} is not a target of the policy`);
  }
  const a = adapter as Partial<typeof adapter> | undefined;
  if (
    typeof a?.toRequest !== 'function' ||
    typeof a.execute !== 'function' ||
    typeof a.shape !== 'function'
  ) {
    throw new TypeError('the adapter supplies toRequest(), execute() and shape()');
  }
  const caps = resolveCaps(options.caps);
  const resultRows = wholeNumber(options.resultRows, 100, 'resultRows');
  const planCacheSize = wholeNumber(options.planCacheSize, 1000, 'planCacheSize');
  const review = checkReview(options.review ?? { mode: 'defer' });
  const hashKey = options.hashKey;
  const maskingFor = (profile: string | undefined): MaskingPlan => {
    let plan = plans.get(profile);
    if (plan === undefined) {
      plan = createMaskingPlan(
        maskerFor(portcullis.policy, profile, hashKey === undefined ? {} : { hashKey }),
      );
      plans.set(profile, plan);
    }
    return plan;
  };
  const plans = new Map<string | undefined, MaskingPlan>();
  // Compile every profile now, so a misconfiguration shows when the gate is built.
  for (const name of portcullis.policy.masking.profiles.keys()) maskingFor(name);
  maskingFor(undefined);

  const shared: GateShared<Call, Raw, Result, Effects> = Object.freeze({
    portcullis,
    parts: engineParts(portcullis),
    target,
    adapter,
    caps,
    resultRows,
    hint: adapter.capsHint ?? 'the adapter options (caps)',
    plans: planCacheSize === 0 ? undefined : new LruCache<string, Plan>(planCacheSize),
    maskingFor,
  });

  return Object.freeze({
    target,
    caps,
    open(principal: PrincipalInput, sessionOptions?: GateSessionOptions) {
      const given = withKind(principal);
      const sessionReview =
        sessionOptions?.review === undefined ? review : checkReview(sessionOptions.review);
      return openGateSession(shared, given, sessionReview);
    },
    maskingFor,
  });
}

function wholeNumber(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`${name} must be a whole number`);
  return value;
}

function checkReview(review: ReviewOptions): ReviewOptions {
  const given = review as Partial<ReviewOptions> | null;
  if (typeof given !== 'object' || given === null || (given.mode !== 'defer' && given.mode !== 'wait')) {
    throw new TypeError("review.mode must be 'defer' or 'wait'");
  }
  if (given.timeoutMs !== undefined && !(typeof given.timeoutMs === 'number' && given.timeoutMs >= 0)) {
    throw new TypeError('review.timeoutMs must be a number of milliseconds');
  }
  return Object.freeze({ ...review });
}

/**
 * The principal with its kind (`human` when it names none), for a session of a gate; `who` names
 * what was handed it in the error (an adapter's `as()`, say).
 *
 * @example
 * ```ts
 * withKind({ subject: 'alice', groups: ['analysts'] }).kind; // 'human'
 * ```
 * @throws TypeError when it is not `{ subject, groups, kind? }` with a non-empty subject, an array
 *   of groups and a known kind.
 */
export function withKind(principal: PrincipalInput, who = 'a session'): Principal {
  const p = principal as Partial<Principal> | null;
  if (
    typeof p !== 'object' ||
    p === null ||
    typeof p.subject !== 'string' ||
    p.subject === '' ||
    !Array.isArray(p.groups) ||
    !(p.kind === undefined || ['human', 'agent', 'service'].includes(p.kind))
  ) {
    throw new TypeError(
      `${who} takes a principal { subject, groups, kind? } (kind: human, agent or service; default 'human')`,
    );
  }
  return { ...principal, kind: principal.kind ?? 'human' };
}
