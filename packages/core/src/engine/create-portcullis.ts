import { createTelemetry } from '../telemetry/telemetry.js';
import { createMemoryApprovalStore } from '../approvals/memory-store.js';
import { classifyRequest, loadClassifiers } from '../classify/classify.js';
import { createIdentityResolver } from '../identity/resolve-identity.js';
import { evaluate } from '../policy/evaluate.js';
import { buildPortcullis } from './build-portcullis.js';
import type { Portcullis, PortcullisOptions } from './types.js';

/**
 * Creates the enforcement engine: identity → classify → evaluate → approvals → recording, with
 * every step failing closed. Async because the built-in classifiers load their WebAssembly
 * grammars first (skipped when `options.classify` is given).
 *
 * Adapters build on it like this: resolve the caller once (`resolvePrincipal`), start a
 * session per facade (`startSession`), then for every request call `authorize` with the
 * session and the adapter's classify context, run the request only when it resolves, mask
 * results with `authorization.mask`, and record `result`/`output`/`error` events with
 * `requestSeq: authorization.requestSeq`. Denials and pending reviews arrive as
 * `DeniedError` / `ReviewRequiredError` to pass on to the caller unchanged.
 *
 * @example
 * ```ts
 * const portcullis = await createPortcullis({ policy: await loadPolicyFile('portcullis.yaml'), recorder });
 * const principal = await portcullis.resolvePrincipal(bearerToken);
 * const session = await portcullis.startSession(principal, 'warehouse');
 * const { mask, requestSeq } = await portcullis.authorize({
 *   principal, target: 'warehouse', request: { type: 'sql', sql }, session, review: { mode: 'wait', timeoutMs: 60_000 },
 * });
 * ```
 * @throws TypeError when the options are invalid (no compiled policy, a bad identity
 * configuration, a non-positive `pendingTtlMs`). Rejects when the classifiers cannot load.
 */
export async function createPortcullis(options: PortcullisOptions): Promise<Portcullis> {
  if (typeof (options as unknown) !== 'object' || (options as unknown) === null) {
    throw new TypeError('createPortcullis needs { policy }');
  }
  const { policy } = options;
  if (
    typeof (policy as unknown) !== 'object' ||
    (policy as unknown) === null ||
    !((policy.targets as unknown) instanceof Map)
  ) {
    throw new TypeError('policy must be a compiled policy: use loadPolicyFile, parsePolicy or compilePolicy');
  }
  if (
    options.pendingTtlMs !== undefined &&
    !(
      typeof options.pendingTtlMs === 'number' &&
      Number.isFinite(options.pendingTtlMs) &&
      options.pendingTtlMs > 0
    )
  ) {
    throw new TypeError('pendingTtlMs must be a positive number of milliseconds');
  }
  const now = options.now ?? ((): Date => new Date());
  const identity =
    options.identity ??
    (policy.identity === undefined ? undefined : createIdentityResolver(policy.identity, { now }));
  if (options.classify === undefined) await loadClassifiers();
  return buildPortcullis({
    policy,
    classify: options.classify ?? classifyRequest,
    evaluate,
    store: options.approvals ?? createMemoryApprovalStore(),
    now,
    ...(identity === undefined ? {} : { identity }),
    ...(options.recorder === undefined ? {} : { recorder: options.recorder }),
    ...(options.pendingTtlMs === undefined ? {} : { pendingTtlMs: options.pendingTtlMs }),
    telemetry: createTelemetry(options.telemetry),
  });
}
