import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../policy/load-policy.js';
import type { Decision, Principal } from '../types.js';
import { decideRequest } from './decide-request.js';
import type { Evaluate } from './decide-request.js';

const policy = parsePolicy(`
version: 1
targets: { warehouse: { protocol: postgres } }
rules:
  - { id: read, effect: allow, when: { operations: [select] } }
`);
const alice: Principal = { subject: 'alice', groups: [], kind: 'human' };
const input = { principal: alice, target: 'warehouse', request: { type: 'sql', sql: 'SELECT 1' } } as const;
const classify = () => [{ operation: 'select' }];

describe('decideRequest', () => {
  const bad = new Error('evaluator bug');
  it.each<[string, Evaluate, string]>([
    [
      'an evaluator that throws',
      () => {
        throw bad;
      },
      'the policy could not be evaluated (evaluator bug); nothing ran',
    ],
    [
      'an evaluator answering nonsense',
      () => ({ effect: 'maybe' }) as unknown as Decision,
      'the policy evaluator returned no valid decision; nothing ran',
    ],
    [
      'a review without requirements',
      () => ({ effect: 'review', rules: [], reasons: [], actions: [], recordingRequired: false }),
      'the policy asked for review without saying who approves; nothing ran',
    ],
  ])('denies on %s', (_name, evaluate, reason) => {
    const decided = decideRequest({ policy, classify, evaluate }, input);
    expect(decided.decision).toEqual({
      effect: 'deny',
      rules: [],
      reasons: [reason],
      actions: [{ action: { operation: 'select' }, effect: 'deny', rules: [], reasons: [reason] }],
      recordingRequired: false,
    });
    expect(decided.failure?.reason).toBe(reason);
  });

  it('passes the classify context to the classifier', () => {
    const prepared = new Map([['p1', [{ operation: 'delete', resource: 't' }]]]);
    let seen: unknown;
    decideRequest(
      {
        policy,
        classify: (_request, context) => {
          seen = context?.preparedStatements;
          return [{ operation: 'select' }];
        },
        evaluate: () => ({ effect: 'allow', rules: [], reasons: [], actions: [], recordingRequired: false }),
      },
      { ...input, context: { preparedStatements: prepared } },
    );
    expect(seen).toBe(prepared);
  });
});
