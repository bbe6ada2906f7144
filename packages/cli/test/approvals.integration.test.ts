// `portcullis approvals` against a PostgreSQL store: listing and showing what waits for review,
// and voting as the person a token names — so separation of duties holds on the command line.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import {
  createPortcullis,
  parsePolicy,
  ReviewRequiredError,
  type ApprovalRequest,
  type Portcullis,
  type Principal,
} from '@portcullis/core';
import { runCli } from '@portcullis/cli';
import { createPgApprovalStore, migrate, type PgApprovalStore } from '@portcullis/pg';
import {
  configuredServerUrl,
  createTestDatabase,
  NEEDS_MULTI_SESSION,
  type TestDatabase,
} from '@portcullis/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './run-cli.js';

const issuer = 'https://idp.test/';
const POLICY = `version: 1
identity:
  issuer: ${issuer}
  audience: portcullis
  jwks: { file: ./jwks.json }
targets: { warehouse: { protocol: postgres } }
rules:
  - id: analysts-read
    effect: allow
    when: { groups: [analysts], operations: [select] }
  - id: analysts-write-needs-manager
    effect: review
    when: { groups: [analysts], operations: [update, delete] }
    review: { approvers: { groups: [managers] }, minApprovals: 1, ttl: 30m }
    reason: Writes to the warehouse need a manager
`;

let db: TestDatabase;
let pool: pg.Pool;
let store: PgApprovalStore;
let engine: Portcullis;
let dir: string;
const tokens: Record<'alice' | 'agent' | 'bob' | 'carol', string> = {
  alice: '',
  agent: '',
  bob: '',
  carol: '',
};

const alice: Principal = { subject: 'alice', groups: ['analysts'], kind: 'human' };
const agent: Principal = { subject: 'alice', groups: ['analysts'], kind: 'agent', actor: 'copilot' };

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  pool.on('error', () => undefined);
  await migrate(pool);
  store = createPgApprovalStore(pool);
  engine = await createPortcullis({ policy: parsePolicy(POLICY, { file: 'inline.yaml' }), approvals: store });

  dir = await mkdtemp(path.join(tmpdir(), 'portcullis-cli-approvals-'));
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  await writeFile(
    path.join(dir, 'jwks.json'),
    JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] }),
  );
  await writeFile(path.join(dir, 'policy.yaml'), POLICY);
  const sign = (subject: string, claims: Record<string, unknown>) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(issuer)
      .setAudience('portcullis')
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(privateKey);
  tokens.alice = await sign('alice', { groups: ['analysts'] });
  tokens.agent = await sign('alice', { groups: ['analysts'], act: { sub: 'copilot' } });
  tokens.bob = await sign('bob', { groups: ['managers'] });
  tokens.carol = await sign('carol', { groups: ['analysts'] });
});

afterAll(async () => {
  await store.close();
  await pool.end();
  await db.close();
});

/** Holds a request for review the way an adapter would, and returns its approval id. */
async function held(principal: Principal, sql: string): Promise<string> {
  const err = await engine
    .authorize({ principal, target: 'warehouse', request: { type: 'sql', sql } })
    .catch((e: unknown) => e);
  if (!(err instanceof ReviewRequiredError)) throw new Error(`expected a review, got ${String(err)}`);
  return err.approvalId;
}

const cli = (args: readonly string[], stdin?: string) =>
  run([...args, '--store', db.url], { cwd: dir, ...(stdin === undefined ? {} : { stdin }) });
const vote = (verdict: 'approve' | 'deny', id: string, who: keyof typeof tokens, ...more: string[]) =>
  cli(['approvals', verdict, id, '--policy', 'policy.yaml', '--token', tokens[who], ...more]);

describe('portcullis approvals', () => {
  it('lists pending requests as a table, and as JSON', async () => {
    const id = await held(agent, 'UPDATE orders SET total = 0 WHERE id = 1');
    const table = await cli(['approvals', 'list']);
    expect(table.code).toBe(0);
    const [head, ...rows] = table.stdout.trimEnd().split('\n');
    expect(head).toMatch(/^ID\s+STATUS\s+REQUESTER\s+TARGET\s+REQUEST\s+VOTES\s+UNTIL$/);
    const row = rows.find((r) => r.startsWith(id));
    expect(row).toMatch(
      new RegExp(
        `^${id}\\s+pending\\s+alice via copilot\\s+warehouse\\s+UPDATE orders SET total = 0 WHERE id = 1\\s+0/1\\s+\\d{4}-`,
      ),
    );
    const json = await cli(['approvals', 'list', '--json']);
    const parsed = JSON.parse(json.stdout) as { approvals: ApprovalRequest[] };
    expect(parsed.approvals.find((a) => a.id === id)).toMatchObject({
      status: 'pending',
      actors: ['copilot'],
    });
  });

  it('shows one request in full; an unknown id fails with 1', async () => {
    const id = await held(alice, 'DELETE FROM orders WHERE id = 2');
    const shown = await cli(['approvals', 'show', id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`id:         ${id}`);
    expect(shown.stdout).toContain('requester:  alice (human; groups analysts)');
    expect(shown.stdout).toContain('actions:    delete orders');
    expect(shown.stdout).toContain('request:\n  DELETE FROM orders WHERE id = 2');
    expect(shown.stdout).toContain('why review:\n  - Writes to the warehouse need a manager');
    expect(shown.stdout).toContain('  - 1 of [group managers] (rule analysts-write-needs-manager): 0 so far');
    const missing = await cli(['approvals', 'show', 'no-such-id']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ERR_APPROVAL_NOT_FOUND: no approval request no-such-id');
  });

  it('shows the bound values of a parameterised request, masked by the detectors', async () => {
    const email = 'carol' + '@' + 'example.com';
    const err = await engine
      .authorize({
        principal: alice,
        target: 'warehouse',
        request: { type: 'sql', sql: 'DELETE FROM orders WHERE id = $1 OR note = $2', params: ['7', email] },
      })
      .catch((e: unknown) => e);
    if (!(err instanceof ReviewRequiredError)) throw new Error(`expected a review, got ${String(err)}`);
    const shown = await cli(['approvals', 'show', err.approvalId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(
      'request:\n  DELETE FROM orders WHERE id = $1 OR note = $2\n    $1 = 7\n    $2 = ',
    );
    expect(shown.stdout).not.toContain(email);
  });

  it('refuses the requester, their agent and a non-approver (exit 1); the manager approves; a second vote is refused', async () => {
    const id = await held(agent, 'UPDATE orders SET total = 5 WHERE id = 3');
    const cases = [
      ['alice', 'alice cannot approve their own request'],
      ['agent', 'alice cannot approve through an agent (copilot)'],
      ['carol', 'carol is not an approver for this request'],
    ] as const;
    for (const [who, message] of cases) {
      const refused = await vote('approve', id, who);
      expect(refused.code, who).toBe(1);
      expect(refused.stderr).toContain(`ERR_APPROVAL_FORBIDDEN: ${message}`);
    }
    expect((await store.get(id, new Date()))?.status).toBe('pending');

    const approved = await vote('approve', id, 'bob', '--comment', 'looks right');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(`${id} is now approved (approved by bob)`);
    expect(approved.stdout).toMatch(/votes:\n {2}- \S+ bob approve: looks right/);
    expect(await store.get(id, new Date())).toMatchObject({ status: 'approved' });

    const again = await vote('deny', id, 'bob');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`ERR_APPROVAL_CLOSED: approval ${id} is already approved`);
    // The approved request now runs once for the agent.
    await expect(
      engine.authorize({
        principal: agent,
        target: 'warehouse',
        request: { type: 'sql', sql: 'UPDATE orders SET total = 5 WHERE id = 3' },
      }),
    ).resolves.toMatchObject({ approvalId: id });
  });

  it('denies, reading the token from stdin, with JSON output', async () => {
    const id = await held(alice, 'UPDATE orders SET total = 9 WHERE id = 4');
    const denied = await cli(
      ['approvals', 'deny', id, '--policy', 'policy.yaml', '--token', '-', '--json'],
      `Bearer ${tokens.bob}\n`,
    );
    expect(denied.code).toBe(0);
    expect(JSON.parse(denied.stdout)).toMatchObject({ ok: true, approval: { id, status: 'denied' } });
    const list = await cli(['approvals', 'list', '--status', 'denied,approved', '--subject', 'alice']);
    expect(list.stdout).toContain(`${id}  denied`);
  });

  it('rejects a forged token with 1 and never votes', async () => {
    const id = await held(alice, 'UPDATE orders SET total = 1 WHERE id = 5');
    const [h, p] = tokens.bob.split('.');
    const forged = `${h}.${p}.${'A'.repeat(86)}`;
    const result = await cli(['approvals', 'approve', id, '--policy', 'policy.yaml', '--token', forged]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('ERR_TOKEN_SIGNATURE');
    expect((await store.get(id, new Date()))?.votes).toEqual([]);
  });

  it('escapes control characters an agent put in its request, so the approver’s terminal shows them', async () => {
    const id = await held(
      agent,
      "UPDATE orders SET total = 2 WHERE note = '\u001b[2J\u001b[32mharmless\u202e'",
    );
    const shown = await cli(['approvals', 'show', id]);
    expect(shown.stdout.includes('\u001b') || shown.stdout.includes('\u202e')).toBe(false);
    expect(shown.stdout).toContain("note = '\\u001b[2J\\u001b[32mharmless\\u202e'");
    const listed = await cli(['approvals', 'list']);
    expect(listed.stdout.includes('\u001b') || listed.stdout.includes('\u202e')).toBe(false);
  });

  it.each([
    [['approvals'], 'name an action'],
    [['approvals', 'frobnicate'], 'unknown action "frobnicate"'],
    [['approvals', 'approve', 'x'], '--policy is required'],
    [['approvals', 'approve', 'x', '--policy', 'policy.yaml'], '--token is required'],
    [['approvals', 'list', '--status', 'waiting'], 'unknown status "waiting"'],
    [['approvals', 'list', '--token', 't'], '--token does not apply to approvals list'],
    [['approvals', 'show'], 'name the approval id'],
  ])('usage errors exit 2: %j', async (args, message) => {
    const result = await cli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('needs a store: --store or PORTCULLIS_STORE_URL', async () => {
    const none = await run(['approvals', 'list'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('give the store with --store URL or PORTCULLIS_STORE_URL');
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await runCli(['approvals', 'list', '--status', 'all', '--json'], {
      stdout,
      stderr: new PassThrough(),
      stdin: Readable.from(['']),
      cwd: dir,
      env: { PORTCULLIS_STORE_URL: db.url },
    });
    expect(code).toBe(0);
    expect((JSON.parse(out) as { approvals: unknown[] }).approvals.length).toBeGreaterThan(0);
  });

  it('a store that cannot be reached fails with 1', async () => {
    const result = await run(['approvals', 'list', '--store', 'postgres://nobody@127.0.0.1:1/none'], {
      cwd: dir,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('ERR_APPROVAL_STORE');
  });

  it.skipIf(configuredServerUrl() === undefined)(
    `an agent waiting in wait mode in this process runs once the CLI approves (${NEEDS_MULTI_SESSION})`,
    async () => {
      const waiter = createPgApprovalStore(pool, { pollIntervalMs: 0 });
      const waitingEngine = await createPortcullis({
        policy: parsePolicy(POLICY, { file: 'inline.yaml' }),
        approvals: waiter,
      });
      const sql = 'UPDATE orders SET total = 77 WHERE id = 6';
      const waiting = waitingEngine.authorize({
        principal: agent,
        target: 'warehouse',
        request: { type: 'sql', sql },
        review: { mode: 'wait', timeoutMs: 20_000 },
      });
      let id: string | undefined;
      while (id === undefined) {
        id = (await store.list({ status: 'pending' }, new Date())).find(
          (a) => a.request.type === 'sql' && a.request.sql === sql,
        )?.id;
      }
      expect((await vote('approve', id, 'bob')).code).toBe(0);
      await expect(waiting).resolves.toMatchObject({ approvalId: id });
      await waiter.close();
    },
  );
});
