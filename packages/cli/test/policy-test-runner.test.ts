// `portcullis test` on par with `opa test`: coverage per rule, a threshold, a filter, verbose
// explanations, assertions on masking, review and recording, YAML anchors.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from './run-cli.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portcullis-cli-tests-'));
  await writeFile(
    path.join(dir, 'policy.yaml'),
    `version: 1
targets: { warehouse: { protocol: postgres } }
recording: { required: true }
rules:
  - { id: analysts-read, effect: allow, when: { groups: [analysts], operations: [select] }, mask: strict }
  - id: writes-need-manager
    effect: review
    when: { groups: [analysts], operations: [insert, update, delete] }
    review: { approvers: { groups: [managers] }, minApprovals: 2 }
  - { id: no-drop, effect: deny, when: { operations: [drop] } }
  - { id: never-used, effect: allow, when: { groups: [nobody], operations: [select] } }
masking:
  profiles:
    strict: { detectors: [secrets] }
`,
  );
  await writeFile(
    path.join(dir, 'suite.test.yaml'),
    `policy: ./policy.yaml
x-analyst: &analyst { subject: alice, groups: [analysts] }
x-base: &base
  principal: *analyst
  target: warehouse
cases:
  - <<: *base
    name: analysts read, masked, recorded
    sql: SELECT * FROM orders
    expect: allow
    expectMask: strict
    expectRecording: true
  - <<: *base
    name: deletes need two managers
    sql: DELETE FROM orders WHERE id = 7
    expect: review
    expectReview: { approvers: { groups: [managers] }, minApprovals: 2 }
  - <<: *base
    name: drop is denied
    sql: DROP TABLE orders
    expect: deny
`,
  );
  await writeFile(
    path.join(dir, 'wrong.test.yaml'),
    `policy: ./policy.yaml
cases:
  - name: wrong review expectation
    principal: { subject: alice, groups: [analysts] }
    target: warehouse
    sql: UPDATE orders SET n = 1
    expect: review
    expectReview: { minApprovals: 1 }
  - name: wrong mask expectation
    principal: { subject: alice, groups: [analysts] }
    target: warehouse
    sql: SELECT 1
    expect: allow
    expectMask: null
`,
  );
});

describe('portcullis test', () => {
  it('runs a suite that shares principals and requests through YAML anchors', async () => {
    const result = await run(['test', 'suite.test.yaml'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('3 passed, 0 failed');
    expect(result.code).toBe(0);
  });

  it('reports coverage per rule: exercised or never', async () => {
    const result = await run(['test', '--coverage', 'suite.test.yaml'], { cwd: dir });
    expect(result.stdout).toMatch(/analysts-read\s+exercised \(1 action\)/);
    expect(result.stdout).toMatch(/writes-need-manager\s+exercised \(1 action\)/);
    expect(result.stdout).toMatch(/never-used\s+never/);
    expect(result.stdout).toContain('rule coverage: 75.0%');
  });

  it('--threshold fails the run when too few rules were exercised', async () => {
    expect((await run(['test', '--threshold', '70', 'suite.test.yaml'], { cwd: dir })).code).toBe(0);
    const below = await run(['test', '--threshold', '80', 'suite.test.yaml'], { cwd: dir });
    expect(below.code).toBe(1);
    expect(below.stdout).toContain('rule coverage 75.0% is below the threshold of 80%');
    expect((await run(['test', '--threshold', '150', 'suite.test.yaml'], { cwd: dir })).code).toBe(2);
  });

  it('--filter runs a subset', async () => {
    const result = await run(['test', '--filter', 'drop', 'suite.test.yaml'], { cwd: dir });
    expect(result.stdout).toContain('1 passed, 0 failed');
  });

  it('--verbose explains each action with the rules that matched', async () => {
    const result = await run(['test', '--verbose', 'suite.test.yaml'], { cwd: dir });
    expect(result.stdout).toContain('select orders: allow by analysts-read');
    expect(result.stdout).toContain('drop orders: deny by no-drop');
  });

  it('checks masking, review and recording expectations and says what differs', async () => {
    const result = await run(['test', 'wrong.test.yaml'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('0 passed, 2 failed');
    expect(result.stdout).toContain(
      'failed:   expected review {"minApprovals":1}, got 2 of [group managers]',
    );
    expect(result.stdout).toContain('failed:   expected masking profile null, got strict');
    const json = JSON.parse(
      (await run(['test', '--reporter', 'json', '--coverage', 'wrong.test.yaml'], { cwd: dir })).stdout,
    ) as {
      cases: { failures?: string[] }[];
      coverage: { percent: number };
    };
    expect(json.cases.map((c) => c.failures?.length)).toEqual([1, 1]);
    expect(json.coverage.percent).toBe(50);
  });

  it('rejects malformed expectations with the file and line', async () => {
    await writeFile(
      path.join(dir, 'bad.test.yaml'),
      `policy: ./policy.yaml
cases:
  - name: bad
    principal: { subject: alice }
    target: warehouse
    sql: SELECT 1
    expect: allow
    expectReview: { minApprovals: 0 }
`,
    );
    const result = await run(['test', 'bad.test.yaml'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'bad.test.yaml:8: cases[0].expectReview: minApprovals: expected an integer ≥ 1',
    );
  });
});
