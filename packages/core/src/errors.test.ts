import { describe, expect, it } from 'vitest';
import {
  ApprovalError,
  DeniedError,
  PortcullisError,
  portcullisErrorOf,
  ReviewRequiredError,
  TokenError,
} from './errors.js';
import type { Decision } from './types.js';

const decision: Decision = {
  effect: 'deny',
  rules: ['no-ddl'],
  reasons: ['Destructive DDL is never allowed'],
  actions: [{ action: { operation: 'drop', resource: 't' }, effect: 'deny', rules: ['no-ddl'], reasons: [] }],
  recordingRequired: false,
};

describe('errors', () => {
  it('carry a stable code, their class name and the decision', () => {
    const err = new DeniedError('DROP on warehouse is denied', decision);
    expect(err).toBeInstanceOf(PortcullisError);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('ERR_DENIED');
    expect(err.name).toBe('DeniedError');
    expect(err.decision.rules).toEqual(['no-ddl']);
  });

  it('chain causes', () => {
    const cause = new Error('socket closed');
    const err = new TokenError('ERR_JWKS_UNAVAILABLE', 'the JWKS could not be fetched', { cause });
    expect(err.cause).toBe(cause);
    expect(new TokenError('ERR_TOKEN_INVALID', 'garbage')).not.toHaveProperty('cause');
  });

  it('are found behind the wrappers of query builders, and nowhere else', () => {
    const denied = new DeniedError('DROP on warehouse is denied: no', decision);
    expect(portcullisErrorOf(denied)).toBe(denied);
    const wrapped = new Error('Failed query: DROP TABLE t', {
      cause: new Error('driver', { cause: denied }),
    });
    expect(portcullisErrorOf(wrapped)).toBe(denied);
    expect(portcullisErrorOf(new Error('plain', { cause: 'text' }))).toBeUndefined();
    const cycle: { cause?: unknown } = {};
    cycle.cause = { cause: cycle };
    expect(portcullisErrorOf(cycle)).toBeUndefined();
    expect(portcullisErrorOf(undefined)).toBeUndefined();
    expect(portcullisErrorOf('ERR_DENIED')).toBeUndefined();
  });

  it('distinguish a review that timed out from one still pending', () => {
    const review = { ...decision, effect: 'review' as const };
    expect(new ReviewRequiredError('needs approval', review, 'ab12').code).toBe('ERR_REVIEW_REQUIRED');
    const timedOut = new ReviewRequiredError('no approval in time', review, 'ab12', { timedOut: true });
    expect(timedOut.code).toBe('ERR_REVIEW_TIMEOUT');
    expect(timedOut.approvalId).toBe('ab12');
  });

  it('keep the approval id only when given', () => {
    expect(new ApprovalError('ERR_APPROVAL_FORBIDDEN', 'self-approval', 'x1').approvalId).toBe('x1');
    expect(new ApprovalError('ERR_APPROVAL_STORE', 'down')).not.toHaveProperty('approvalId');
  });
});
