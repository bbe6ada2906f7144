import { describe, expect, it } from 'vitest';
import './vitest.js';
import { createPortcullis } from './engine/create-portcullis.js';
import { parsePolicy } from './policy/load-policy.js';

const policy = parsePolicy(`version: 1
targets:
  warehouse: { protocol: postgres }
  bastion: { protocol: ssh }
rules:
  - id: analysts-read
    effect: allow
    when: { groups: [analysts], targets: [warehouse], operations: [select] }
  - id: writes-reviewed
    effect: review
    when: { targets: [warehouse], operations: [update] }
    review: { approvers: { groups: [managers] } }
  - id: no-agents-on-bastion
    effect: deny
    when: { kinds: [agent], targets: [bastion] }
`);
const alice = { subject: 'alice', groups: ['analysts'] };

describe('policy matchers', () => {
  it('assert allow, review and deny, with the deciding rule', async () => {
    await expect(policy).toAllow({ principal: alice, target: 'warehouse', sql: 'SELECT * FROM orders' });
    await expect(policy).toAllow({
      principal: alice,
      target: 'warehouse',
      sql: 'SELECT 1',
      rule: 'analysts-read',
    });
    await expect(policy).toRequireReview({
      principal: alice,
      target: 'warehouse',
      sql: 'UPDATE t SET a = 1',
    });
    await expect(policy).toDeny({
      principal: { ...alice, actor: 'copilot' },
      target: 'bastion',
      command: 'ls',
      rule: 'no-agents-on-bastion',
    });
    await expect(policy).not.toAllow({ principal: alice, target: 'warehouse', sql: 'DROP TABLE t' });
  });

  it('accept an engine as well as a policy', async () => {
    const engine = await createPortcullis({ policy });
    await expect(engine).toAllow({ principal: alice, target: 'warehouse', sql: 'SELECT 1' });
  });

  it('fail with the decision and its reasons', async () => {
    await expect(
      expect(policy).toAllow({ principal: alice, target: 'warehouse', sql: 'DELETE FROM orders' }),
    ).rejects.toThrow(
      /expected "DELETE FROM orders" on warehouse by alice to be allow, but it was deny\n {2}- no rule allows delete orders/,
    );
    await expect(
      expect(policy).toAllow({
        principal: alice,
        target: 'warehouse',
        sql: 'SELECT 1',
        rule: 'writes-reviewed',
      }),
    ).rejects.toThrow(/to be allow by rule writes-reviewed, but it was allow by analysts-read/);
  });

  it('refuse a case with no request or two', async () => {
    await expect(expect(policy).toAllow({ principal: alice, target: 'warehouse' })).rejects.toThrow(
      TypeError,
    );
    await expect(
      expect({}).toAllow({ principal: alice, target: 'warehouse', sql: 'SELECT 1' }),
    ).rejects.toThrow(/compiled policy/);
  });
});
