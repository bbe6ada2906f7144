import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from './run-cli.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const examplePolicy = path.join(root, 'examples/policies/portcullis.yaml');

const policy = `version: 1
targets:
  warehouse: { protocol: postgres }
  prod-cluster: { protocol: kubernetes }
rules:
  - id: analysts-read
    effect: allow
    when: { groups: [analysts], targets: [warehouse], operations: [select] }
  - id: analysts-write
    effect: review
    when: { groups: [analysts], targets: [warehouse], operations: [update] }
    review: { approvers: { groups: [managers] } }
  - id: no-drop
    effect: deny
    when: { operations: [drop] }
    reason: Never drop
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portcullis-cli-'));
  await writeFile(path.join(dir, 'policy.yaml'), policy);
  await writeFile(
    path.join(dir, 'ok.test.yaml'),
    `policy: ./policy.yaml
cases:
  - name: read
    principal: { subject: alice, groups: [analysts] }
    target: warehouse
    sql: SELECT * FROM orders
    expect: allow
  - name: drop
    principal: { subject: alice, groups: [analysts] }
    target: warehouse
    sql: DROP TABLE orders
    expect: deny
    expectRule: no-drop
`,
  );
  await writeFile(
    path.join(dir, 'bad.test.yaml'),
    `policy: ./policy.yaml
cases:
  - name: update is wrongly expected to be allowed
    principal: { subject: alice, groups: [analysts] }
    target: warehouse
    sql: UPDATE orders SET total = 0
    expect: allow
  - name: right rule, wrong expectation of the rule
    principal: { subject: alice, groups: [analysts] }
    target: warehouse
    sql: DROP TABLE orders
    expect: deny
    expectRule: analysts-read
`,
  );
  await writeFile(
    path.join(dir, 'invalid.test.yaml'),
    `policy: ./policy.yaml
cases:
  - name: two requests
    principal: { subject: alice }
    target: warehouse
    sql: SELECT 1
    command: ls
    expect: allow
`,
  );
});

describe('portcullis test', () => {
  it('runs the example policy suite through the CLI, every case passing', async () => {
    const result = await run(['test', 'examples/policies/*.test.yaml'], { cwd: root });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+ passed, 0 failed$/);
    expect(Number(/^(\d+) passed/.exec(result.stdout.trim())?.[1])).toBeGreaterThanOrEqual(30);
  });

  it('passes a suite and ends with the N passed, N failed line', async () => {
    const result = await run(['test', 'ok.test.yaml'], { cwd: dir });
    expect(result).toEqual({ code: 0, stdout: '2 passed, 0 failed\n', stderr: '' });
  });

  it('prints each failure with file, name, expected, actual and reasons, and exits 1', async () => {
    const result = await run(['test', '*.test.yaml'], { cwd: dir });
    expect(result.code).toBe(2); // invalid.test.yaml is an input error, which wins
    const onlyBad = await run(['test', 'bad.test.yaml', 'ok.test.yaml'], { cwd: dir });
    expect(onlyBad.code).toBe(1);
    expect(onlyBad.stdout).toContain('FAIL bad.test.yaml:3 update is wrongly expected to be allowed');
    expect(onlyBad.stdout).toContain('  expected: allow\n  actual:   review by analysts-write');
    expect(onlyBad.stdout).toContain('FAIL bad.test.yaml:8 right rule, wrong expectation of the rule');
    expect(onlyBad.stdout).toContain('  expected: deny by rule analysts-read\n  actual:   deny by no-drop');
    expect(onlyBad.stdout).toContain('  reason:   Never drop');
    expect(onlyBad.stdout.trim().split('\n').at(-1)).toBe('2 passed, 2 failed');
  });

  it('prints the SPEC §5 JSON report', async () => {
    const result = await run(['test', '--reporter', 'json', 'bad.test.yaml', 'ok.test.yaml'], { cwd: dir });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as {
      passed: number;
      failed: number;
      cases: {
        file: string;
        name: string;
        expected: string;
        actual: string;
        passed: boolean;
        reasons: string[];
      }[];
    };
    expect(report.passed).toBe(2);
    expect(report.failed).toBe(2);
    expect(report.cases[0]).toMatchObject({
      file: 'bad.test.yaml',
      name: 'update is wrongly expected to be allowed',
      expected: 'allow',
      actual: 'review',
      passed: false,
    });
    expect(report.cases.map((c) => c.passed)).toEqual([false, false, true, true]);
  });

  it('prints JUnit XML with a failure element per failed case', async () => {
    const result = await run(['test', '--reporter', 'junit', 'bad.test.yaml'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('<testsuites name="portcullis" tests="2" failures="2">');
    expect(result.stdout.match(/<failure /g)).toHaveLength(2);
    expect(result.stdout).toContain('message="expected allow, got review by analysts-write"');
  });

  it('rejects an invalid suite with file, line and what to fix (exit 2)', async () => {
    const result = await run(['test', 'invalid.test.yaml'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'invalid.test.yaml:3: cases[0]: expected exactly one of sql, command or kube',
    );
  });

  it('says when a glob matches nothing (exit 2)', async () => {
    const result = await run(['test', 'nothing/*.test.yaml'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no file matches nothing/*.test.yaml');
  });
});

describe('portcullis check', () => {
  const principal = JSON.stringify({ subject: 'alice', groups: ['analysts'] });

  it('explains an allow and exits 0', async () => {
    const result = await run(
      [
        'check',
        '--policy',
        'policy.yaml',
        '--target',
        'warehouse',
        '--sql',
        'SELECT 1 FROM orders',
        '--principal',
        principal,
      ],
      { cwd: dir },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('decision: allow');
    expect(result.stdout).toContain('select orders → allow (analysts-read)');
  });

  it('explains a review with its approvers and exits 1', async () => {
    const result = await run(
      [
        'check',
        '--policy',
        'policy.yaml',
        '--target',
        'warehouse',
        '--sql',
        'UPDATE orders SET a = 1',
        '--principal',
        principal,
      ],
      { cwd: dir },
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('decision: review');
    expect(result.stdout).toContain('review:   1 approval(s) by group managers');
  });

  it('prints the decision as JSON', async () => {
    const result = await run(
      [
        'check',
        '--json',
        '--policy',
        'policy.yaml',
        '--target',
        'prod-cluster',
        '--kube-method',
        'GET',
        '--kube-path',
        '/api/v1/pods',
        '--principal',
        principal,
      ],
      { cwd: dir },
    );
    expect(result.code).toBe(1);
    const out = JSON.parse(result.stdout) as { decision: { effect: string; actions: { action: unknown }[] } };
    expect(out.decision.effect).toBe('deny');
    expect(out.decision.actions[0]?.action).toEqual({ operation: 'list', resource: 'pods' });
  });

  it('refuses two requests at once and a principal that is not JSON (exit 2)', async () => {
    const two = await run(
      [
        'check',
        '--policy',
        'policy.yaml',
        '--target',
        'warehouse',
        '--sql',
        'SELECT 1',
        '--command',
        'ls',
        '--principal',
        principal,
      ],
      { cwd: dir },
    );
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('give exactly one of --sql, --command or --kube-method/--kube-path');
    const bad = await run(
      [
        'check',
        '--policy',
        'policy.yaml',
        '--target',
        'warehouse',
        '--sql',
        'SELECT 1',
        '--principal',
        '{subject',
      ],
      {
        cwd: dir,
      },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--principal is not JSON');
  });
});

describe('portcullis schema and lint', () => {
  it('prints a JSON Schema for the policy file', async () => {
    const result = await run(['schema']);
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout) as { title?: string; properties?: Record<string, unknown> };
    expect(schema.title).toBe('Portcullis policy');
    expect(Object.keys(schema.properties ?? {})).toEqual(
      expect.arrayContaining(['version', 'targets', 'rules']),
    );
  });

  it('passes the example policy and reports a shadowed rule in another', async () => {
    expect((await run(['lint', examplePolicy])).code).toBe(0);
    await writeFile(
      path.join(dir, 'shadowed.yaml'),
      `version: 1
targets: { warehouse: { protocol: postgres } }
rules:
  - id: everything-denied
    effect: deny
    when: { targets: [warehouse] }
  - id: analysts-read
    effect: allow
    when: { groups: [analysts], targets: [warehouse], operations: [select] }
`,
    );
    const result = await run(['lint', '--strict', 'shadowed.yaml'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('analysts-read');
    expect(result.stdout).toMatch(/shadow/i);
  });

  it('rejects an invalid policy naming file and line (exit 2)', async () => {
    await writeFile(
      path.join(dir, 'typo.yaml'),
      `version: 1
targets: { warehouse: { protocol: postgres } }
rules:
  - id: analysts-read
    effect: allow
    when: { operations: [selct] }
`,
    );
    const result = await run(['lint', 'typo.yaml'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/typo\.yaml:6:\d+: .*selct.*did you mean "select"/);
  });
});

describe('portcullis (no command, unknown command)', () => {
  it('prints usage and exits 2', async () => {
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('usage: portcullis <command>');
    const unknown = await run(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  });
});
