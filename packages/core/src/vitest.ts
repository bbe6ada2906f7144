/**
 * Vitest matchers for unit-testing a policy in your own suite:
 *
 * ```ts
 * import '@portcullis/core/vitest';
 * const policy = await loadPolicyFile('portcullis.yaml');
 * await expect(policy).toAllow({ principal: { subject: 'alice', groups: ['analysts'] }, target: 'warehouse', sql: 'SELECT 1' });
 * await expect(policy).toRequireReview({ principal: …, target: 'warehouse', sql: 'DELETE FROM orders' });
 * await expect(policy).toDeny({ principal: …, target: 'bastion', command: 'rm -rf /', rule: 'no-destructive-shell' });
 * ```
 *
 * Each matcher decides the request exactly as the engine does for a live request
 * (`Portcullis.decide`), so they are async: always `await` them.
 *
 * @packageDocumentation
 */
import { expect } from 'vitest';
import { createPortcullis } from './engine/create-portcullis.js';
import type { Portcullis } from './engine/types.js';
import type { CompiledPolicy } from './policy/policy-types.js';
import type { Decision, Effect, KubeRequest, Principal, PrincipalKind, Request } from './types.js';

/** The request a matcher decides: a principal, a target and exactly one request. */
export interface PolicyExpectation {
  /** `kind` defaults to `human`; `actor` makes the principal an agent acting for `subject` unless `kind` says otherwise. */
  readonly principal: {
    readonly subject: string;
    readonly groups?: readonly string[];
    readonly kind?: PrincipalKind;
    readonly actor?: string;
  };
  readonly target: string;
  readonly sql?: string;
  readonly command?: string;
  readonly kube?: Omit<KubeRequest, 'type'>;
  /** Any other request shape (shell, sftp, forward). */
  readonly request?: Request;
  /** The rule expected among those that decided. */
  readonly rule?: string;
}

const engines = new WeakMap<CompiledPolicy, Promise<Portcullis>>();

function engineFor(received: unknown): Promise<Portcullis> {
  if (isPortcullis(received)) return Promise.resolve(received);
  if (!isCompiledPolicy(received))
    throw new TypeError(
      'expect(…) must be a compiled policy (loadPolicyFile, parsePolicy) or a Portcullis engine',
    );
  let engine = engines.get(received);
  if (engine === undefined) {
    engine = createPortcullis({ policy: received });
    engines.set(received, engine);
  }
  return engine;
}

function isPortcullis(value: unknown): value is Portcullis {
  return typeof value === 'object' && value !== null && 'decide' in value && 'authorize' in value;
}

function isCompiledPolicy(value: unknown): value is CompiledPolicy {
  return typeof value === 'object' && value !== null && 'document' in value && 'targets' in value;
}

function requestOf(input: PolicyExpectation): Request {
  const given = [input.sql, input.command, input.kube, input.request].filter((x) => x !== undefined);
  if (given.length !== 1) throw new TypeError('give exactly one of sql, command, kube or request');
  if (input.sql !== undefined) return { type: 'sql', sql: input.sql };
  if (input.command !== undefined) return { type: 'command', command: input.command };
  if (input.kube !== undefined) return { type: 'kube', ...input.kube };
  if (input.request !== undefined) return input.request;
  throw new TypeError('give exactly one of sql, command, kube or request');
}

function principalOf(p: PolicyExpectation['principal']): Principal {
  const kind = p.kind ?? (p.actor === undefined ? 'human' : 'agent');
  return {
    subject: p.subject,
    groups: p.groups ?? [],
    kind,
    ...(p.actor === undefined ? {} : { actor: p.actor, actorChain: [p.actor] }),
  };
}

function describeRequest(request: Request): string {
  switch (request.type) {
    case 'sql':
      return JSON.stringify(request.sql);
    case 'command':
      return JSON.stringify(request.command);
    case 'kube':
      return `${request.method} ${request.path}`;
    case 'shell':
      return 'an interactive shell';
    case 'sftp':
      return `sftp ${request.mode} ${request.path}`;
    case 'forward':
      return `a forward to ${request.host}:${request.port}`;
  }
}

async function decideExpectation(received: unknown, input: PolicyExpectation, expected: Effect) {
  const engine = await engineFor(received);
  const request = requestOf(input);
  const principal = principalOf(input.principal);
  const decision: Decision = engine.decide({ principal, target: input.target, request });
  const ruleOk = input.rule === undefined || decision.rules.includes(input.rule);
  const who =
    principal.actor === undefined ? principal.subject : `${principal.actor} for ${principal.subject}`;
  const what = `${describeRequest(request)} on ${input.target} by ${who}`;
  const got = `${decision.effect}${decision.rules.length > 0 ? ` by ${decision.rules.join(', ')}` : ''}`;
  const reasons = decision.reasons.map((r) => `\n  - ${r}`).join('');
  return {
    pass: decision.effect === expected && ruleOk,
    message: () =>
      decision.effect === expected && ruleOk
        ? `expected ${what} not to be ${expected}, but it was (${got})`
        : `expected ${what} to be ${expected}${input.rule === undefined ? '' : ` by rule ${input.rule}`}, but it was ${got}${reasons}`,
  };
}

expect.extend({
  toAllow(received: unknown, input: PolicyExpectation) {
    return decideExpectation(received, input, 'allow');
  },
  toDeny(received: unknown, input: PolicyExpectation) {
    return decideExpectation(received, input, 'deny');
  },
  toRequireReview(received: unknown, input: PolicyExpectation) {
    return decideExpectation(received, input, 'review');
  },
});

/** The matchers this module adds to vitest's `expect`. */
export interface PolicyMatchers<R = unknown> {
  /** The request is allowed (optionally by `rule`). Async: `await` it. */
  toAllow(input: PolicyExpectation): Promise<R>;
  /** The request is denied (optionally by `rule`). Async: `await` it. */
  toDeny(input: PolicyExpectation): Promise<R>;
  /** The request needs review (optionally by `rule`). Async: `await` it. */
  toRequireReview(input: PolicyExpectation): Promise<R>;
}

declare module 'vitest' {
  // The augmentation must repeat vitest's own declaration, `any` default included.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-explicit-any
  interface Matchers<T = any> extends PolicyMatchers<T> {}
}
