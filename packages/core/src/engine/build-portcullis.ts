import type { ApprovalStore } from '../approvals/types.js';
import { ApprovalError, PortcullisError, RecordingError, TokenError } from '../errors.js';
import type { IdentityResolver } from '../identity/resolve-identity.js';
import type { Principal, Recorder } from '../types.js';
import { authorizeRequest } from './authorize.js';
import { decideRequest, messageOf } from './decide-request.js';
import type { DecideDeps } from './decide-request.js';
import { registerEngine } from './engine-registry.js';
import type { Portcullis } from './types.js';

/** Everything the engine runs on, with every default already chosen. */
export interface EngineDeps extends DecideDeps {
  readonly identity?: IdentityResolver;
  readonly store: ApprovalStore;
  readonly recorder?: Recorder;
  readonly now: () => Date;
  readonly pendingTtlMs?: number;
}

/**
 * Assembles a {@link Portcullis} from resolved parts. `createPortcullis` chooses the defaults
 * and calls it; tests call it with stand-ins.
 *
 * @example
 * ```ts
 * const portcullis = buildPortcullis({ policy, classify: classifyRequest, evaluate, store, now: () => new Date() });
 * ```
 */
export function buildPortcullis(deps: EngineDeps): Portcullis {
  const { store, now, policy } = deps;
  const sessionTargets = new WeakMap<object, string>();
  const authorizeDeps = { ...deps, sessionTargets };

  const vote = async (
    verdict: 'approve' | 'deny',
    id: string,
    approver: Principal,
    comment: string | undefined,
  ) => {
    if (typeof (id as unknown) !== 'string' || id.length === 0)
      throw new TypeError('approval id must be a non-empty string');
    assertPrincipal(approver, 'approver');
    return fromStore(id, () =>
      store.vote(id, { approver, verdict, ...(comment === undefined ? {} : { comment }) }, now()),
    );
  };

  const portcullis: Portcullis = {
    policy,

    async resolvePrincipal(token, options) {
      if (deps.identity === undefined) {
        throw new TypeError(
          'no identity is configured: add an identity section to the policy or pass an identity resolver to createPortcullis',
        );
      }
      try {
        return await deps.identity.resolve(token, options);
      } catch (cause) {
        if (cause instanceof TokenError || cause instanceof TypeError) throw cause;
        throw new TokenError('ERR_TOKEN_INVALID', `the token could not be verified: ${messageOf(cause)}`, {
          cause,
        });
      }
    },

    decide(input) {
      return decideRequest(deps, input).decision;
    },

    authorize(input) {
      return authorizeRequest(authorizeDeps, input);
    },

    approvals: {
      approve: (id, approver, comment) => vote('approve', id, approver, comment),
      deny: (id, approver, comment) => vote('deny', id, approver, comment),
      get: (id) => fromStore(id, () => store.get(id, now())),
      list: (filter = {}) => fromStore(undefined, () => store.list(filter, now())),
    },

    async startSession(principal, target) {
      assertPrincipal(principal, 'principal');
      const known = policy.targets.get(target);
      if (known === undefined) throw new TypeError(`unknown target "${target}": the policy does not name it`);
      if (deps.recorder === undefined) return undefined;
      try {
        const session = await deps.recorder.start({ principal, target: known });
        sessionTargets.set(session, target);
        return session;
      } catch (cause) {
        if (cause instanceof RecordingError || cause instanceof TypeError) throw cause;
        throw new RecordingError(`the session could not be started: ${messageOf(cause)}`, { cause });
      }
    },
  };
  registerEngine(portcullis, { deps: authorizeDeps, recorder: deps.recorder !== undefined });
  return portcullis;
}

// Store calls made for people (approve, deny, inspect): rule refusals pass through, anything
// else is an ERR_APPROVAL_STORE with the cause chained.
async function fromStore<T>(id: string | undefined, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (cause) {
    if (
      cause instanceof ApprovalError ||
      (cause instanceof TypeError && !(cause instanceof PortcullisError))
    ) {
      throw cause;
    }
    throw new ApprovalError('ERR_APPROVAL_STORE', `the approval store failed: ${messageOf(cause)}`, id, {
      cause,
    });
  }
}

function assertPrincipal(p: Principal, name: string): void {
  const v = p as Partial<Principal> | null | undefined;
  if (typeof v !== 'object' || v === null || typeof v.subject !== 'string' || !Array.isArray(v.groups)) {
    throw new TypeError(`${name} must be a Principal ({ subject, groups, kind })`);
  }
}
