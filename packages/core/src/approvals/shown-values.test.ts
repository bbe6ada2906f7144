import { randomBytes } from 'node:crypto';
// Approvers see a parameterised request's values, masked by the detectors; the record's hash
// keeps binding the real values.
import { describe, expect, it } from 'vitest';
import { describeRequest } from '../record/lib/describe.js';
import { hashRequest } from './hash-request.js';
import { newApprovalRequest } from './new-approval.js';

const requester = { subject: 'alice', groups: ['analysts'], kind: 'human' } as const;
const email = 'carol' + '@' + 'example.com';
// Drawn at random in the shape of a real key id (a fixed, sequential one reads as a doc example).
const key = 'AKIA' + Array.from(randomBytes(16), (b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[b % 32]).join('');

describe('an approval record shows the bound values, masked', () => {
  const request = {
    type: 'sql',
    sql: 'UPDATE users SET email = $1, note = $2 WHERE id = $3',
    params: [email, key, '7'],
  } as const;
  const record = newApprovalRequest(
    {
      requester,
      target: 'warehouse',
      request,
      actions: [{ operation: 'update', resource: 'users' }],
      requirements: [
        { ruleId: 'w', approvers: { groups: ['managers'] }, minApprovals: 1, ttlMs: 60_000, grant: 'once' },
      ],
      at: new Date('2030-01-01T00:00:00Z'),
    },
    'id-1',
  );

  it('keeps the values, each masked by the detectors', () => {
    expect(record.request.type).toBe('sql');
    const params = (record.request as { params?: readonly (string | null)[] }).params;
    expect(params).toHaveLength(3);
    expect(params?.[2]).toBe('7');
    expect(JSON.stringify(record)).not.toContain(email);
    expect(JSON.stringify(record)).not.toContain(key);
  });

  it('the hash binds the real values, not the shown ones', () => {
    expect(record.requestHash).toBe(hashRequest({ principal: requester, target: 'warehouse', request }));
    expect(record.requestHash).not.toBe(
      hashRequest({ principal: requester, target: 'warehouse', request: record.request }),
    );
  });

  it('describeRequest lists them under the SQL', () => {
    const text = describeRequest(record.request);
    expect(text.split('\n')[0]).toBe(`SQL ${request.sql}`);
    expect(text).toContain('$3 = 7');
    expect(text).not.toContain(email);
  });
});
