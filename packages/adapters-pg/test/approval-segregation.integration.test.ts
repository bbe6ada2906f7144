// Red-team tests of the approval flow on the PostgreSQL approval store: segregation of duties
// (spellings, second tokens, agents, two issuers, group rules that include the requester),
// binding of a grant to exactly one request (replay, changed values, other target, expiry,
// twice, concurrently), restarts, finality of denial/expiry, and failing closed.
// Keys are generated at run time; tokens are signed by two local "issuers" (inline JWKS).
import { createSign, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import {
  ApprovalError,
  createPortcullis,
  DeniedError,
  parsePolicy,
  ReviewRequiredError,
  type Portcullis,
  type Principal,
  type Request,
} from '@portcullis/core';
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgApprovalStore, type PgApprovalStore } from '../src/index.js';
import { freshSchema } from './fixtures/store-fixtures.js';

const ISS_A = 'https://login.redteam.test/';
const ISS_B = 'https://ci.redteam.test/';
const AUD = 'portcullis';

interface Signer {
  readonly iss: string;
  readonly key: KeyObject;
  readonly jwk: Record<string, unknown>;
}

// ES256 keys and JWS made with node:crypto at run time (jose is not a dependency here).
function signer(iss: string): Signer {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomBytes(6).toString('hex');
  return {
    iss,
    key: privateKey,
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' },
  };
}

function signJwt(s: Signer, payload: Record<string, unknown>): string {
  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: 'ES256', kid: s.jwk['kid'], typ: 'JWT' })}.${b64(payload)}`;
  const sig = createSign('SHA256').update(input).sign({ key: s.key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

let db: TestDatabase;
let pool: pg.Pool;
let A: Signer;
let B: Signer;
const stores: PgApprovalStore[] = [];
let clockOffset = 0;
const now = (): Date => new Date(Date.now() + clockOffset);

function policyText(): string {
  return JSON.stringify({
    version: 1,
    identity: {
      issuers: [
        { issuer: ISS_A, jwks: { keys: [A.jwk] } },
        { issuer: ISS_B, jwks: { keys: [B.jwk] } },
      ],
      audience: AUD,
    },
    targets: { warehouse: { protocol: 'postgres' }, archive: { protocol: 'postgres' } },
    rules: [
      { id: 'read', effect: 'allow', when: { operations: ['select'] } },
      {
        id: 'writes-need-a-manager',
        effect: 'review',
        when: { operations: ['insert', 'update', 'delete'] },
        review: { approvers: { groups: ['managers'] }, minApprovals: 1, ttl: '30m' },
        reason: 'Writes need a manager',
      },
      {
        id: 'ddl-needs-two',
        effect: 'review',
        when: { operations: ['create'] },
        review: { approvers: { groups: ['managers'] }, minApprovals: 2, ttl: '30m' },
        reason: 'DDL needs two managers',
      },
    ],
  });
}

function token(s: Signer, sub: string, groups: string[], extra: Record<string, unknown> = {}): string {
  const iat = Math.floor(now().getTime() / 1000);
  return signJwt(s, {
    groups,
    ...extra,
    iss: s.iss,
    aud: AUD,
    sub,
    iat,
    exp: iat + 4 * 3600,
    jti: randomBytes(8).toString('hex'),
  });
}

async function engine(store?: PgApprovalStore): Promise<{ p: Portcullis; store: PgApprovalStore }> {
  const s = store ?? createPgApprovalStore(pool, { schema: await freshSchema(pool, 'zzrt') });
  stores.push(s);
  const p = await createPortcullis({
    policy: parsePolicy(policyText(), { format: 'json' }),
    approvals: s,
    now,
  });
  return { p, store: s };
}

const sql = (text: string, params?: string[]): Request =>
  params === undefined ? { type: 'sql', sql: text } : { type: 'sql', sql: text, params };

/** Runs the request as `principal`: 'allow' | 'review:<id>' | 'deny'. */
async function run(
  p: Portcullis,
  principal: Principal,
  request: Request,
  target = 'warehouse',
): Promise<string> {
  try {
    await p.authorize({ principal, target, request });
    return 'allow';
  } catch (err) {
    if (err instanceof ReviewRequiredError) return `review:${err.approvalId}`;
    if (err instanceof DeniedError) return 'deny';
    throw err;
  }
}

async function pendingId(
  p: Portcullis,
  principal: Principal,
  request: Request,
  target = 'warehouse',
): Promise<string> {
  const r = await run(p, principal, request, target);
  expect(r).toMatch(/^review:/);
  return r.slice('review:'.length);
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (err) {
    if (err instanceof ApprovalError) return err.code;
    return `other:${(err as Error).message}`;
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 30 });
  pool.on('error', () => undefined);
  A = signer(ISS_A);
  B = signer(ISS_B);
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await pool.end();
  await db.close();
});

describe('red team: segregation of duties (pg store, tokens from two issuers)', () => {
  it('refuses every other spelling / token / issuer of the requester, and the agent', async () => {
    const { p } = await engine();
    // alice is a manager too: the group rule includes the requester.
    const agent = await p.resolvePrincipal(
      token(A, 'alice', ['analysts', 'managers'], { act: { sub: 'copilot' } }),
    );
    const id = await pendingId(p, agent, sql('UPDATE t SET x = 1 WHERE id = 7'));
    const attempts: Record<string, string> = {
      // a second, fresh human token of the same person
      'alice (own human token)': token(A, 'alice', ['managers']),
      'Alice (case)': token(A, 'Alice', ['managers']),
      'ALICE (upper)': token(A, 'ALICE', ['managers']),
      'ａｌｉｃｅ (full width)': token(A, '\uff41\uff4c\uff49\uff43\uff45', ['managers']),
      'alice+ZWSP': token(A, 'ali\u200bce', ['managers']),
      'alice+soft hyphen': token(A, 'al\u00adice', ['managers']),
      'alice+CGJ': token(A, 'alice\u034f', ['managers']),
      'alice+MVS': token(A, 'alice\u180e', ['managers']),
      'alice+tag chars': token(A, 'alice\u{e0061}', ['managers']),
      'alice+NBSP': token(A, 'alice\u00a0', ['managers']),
      'alıce (dotless i)': token(A, 'al\u0131ce', ['managers']),
      'alice (issuer B)': token(B, 'alice', ['managers']),
      'ALICE (issuer B)': token(B, 'ALICE', ['managers']),
      // the agent itself, as a "human" manager
      'copilot (human)': token(A, 'copilot', ['managers']),
      'Copilot (issuer B)': token(B, 'COPILOT', ['managers']),
      // a manager acting through an agent
      'bob via helper': token(A, 'bob', ['managers'], { act: { sub: 'helper' } }),
      // a manager whose agent is the same as the requester's: still an agent token
      'bob via copilot': token(A, 'bob', ['managers'], { act: { sub: 'copilot' } }),
    };
    const outcomes: Record<string, string> = {};
    for (const [name, t] of Object.entries(attempts)) {
      const approver = await p.resolvePrincipal(t);
      outcomes[name] = await refusal(p.approvals.approve(id, approver));
    }
    for (const name of Object.keys(attempts))
      expect.soft(outcomes[name], name).toBe('ERR_APPROVAL_FORBIDDEN');
    expect((await p.approvals.get(id))?.status).toBe('pending');
    // and a different person can
    const bob = await p.resolvePrincipal(token(A, 'bob', ['managers']));
    expect((await p.approvals.approve(id, bob)).status).toBe('approved');
  });

  it('counts one person once across spellings and issuers (minApprovals 2)', async () => {
    const { p } = await engine();
    const alice = await p.resolvePrincipal(token(A, 'alice', ['analysts']));
    const id = await pendingId(p, alice, sql('CREATE TABLE z (a int)'));
    for (const t of [
      token(A, 'bob', ['managers']),
      token(A, 'BOB', ['managers']),
      token(B, 'bob', ['managers']),
      token(A, 'b\u200bob', ['managers']),
      token(A, '\uff42\uff4f\uff42', ['managers']),
    ]) {
      const r = await p.approvals.approve(id, await p.resolvePrincipal(t));
      expect(r.status).toBe('pending');
    }
    const carol = await p.resolvePrincipal(token(A, 'carol', ['managers']));
    expect((await p.approvals.approve(id, carol)).status).toBe('approved');
  });

  it('a grant asked from issuer A is not usable by the same sub from issuer B', async () => {
    const { p } = await engine();
    const aliceA = await p.resolvePrincipal(token(A, 'alice', ['analysts']));
    const aliceB = await p.resolvePrincipal(token(B, 'alice', ['analysts']));
    const req = sql('DELETE FROM t WHERE id = 1');
    const id = await pendingId(p, aliceA, req);
    await p.approvals.approve(id, await p.resolvePrincipal(token(A, 'bob', ['managers'])));
    expect(await run(p, aliceB, req)).toMatch(/^review:/);
    expect(await run(p, aliceA, req)).toBe('allow');
  });
});

describe('red team: a grant binds exactly one request', () => {
  it('does not carry to a changed value, another target, another agent; is single use; dies with expiry', async () => {
    const { p } = await engine();
    const agent = await p.resolvePrincipal(token(A, 'alice', ['analysts'], { act: { sub: 'copilot' } }));
    const otherAgent = await p.resolvePrincipal(
      token(A, 'alice', ['analysts'], { act: { sub: 'other-bot' } }),
    );
    const human = await p.resolvePrincipal(token(A, 'alice', ['analysts']));
    const bob = await p.resolvePrincipal(token(A, 'bob', ['managers']));
    const req = sql('UPDATE accounts SET balance = $1 WHERE id = $2', ['10', '1']);
    const id = await pendingId(p, agent, req);
    await p.approvals.approve(id, bob);

    expect(
      await run(p, agent, sql('UPDATE accounts SET balance = $1 WHERE id = $2', ['1000000', '1'])),
    ).toMatch(/^review:/);
    expect(await run(p, agent, sql('UPDATE accounts SET balance = $1 WHERE id = $2', ['10', '2']))).toMatch(
      /^review:/,
    );
    expect(await run(p, agent, sql('UPDATE accounts SET balance = $1 WHERE id = $2 ', ['10', '1']))).toMatch(
      /^review:/,
    );
    expect(await run(p, agent, req, 'archive')).toMatch(/^review:/);
    expect(await run(p, otherAgent, req)).toMatch(/^review:/);
    expect(await run(p, human, req)).toMatch(/^review:/);
    // once
    expect(await run(p, agent, req)).toBe('allow');
    expect(await run(p, agent, req)).toMatch(/^review:/);
    expect((await p.approvals.get(id))?.status).toBe('consumed');
    // a consumed approval takes no more votes
    const carol = await p.resolvePrincipal(token(A, 'carol', ['managers']));
    expect(await refusal(p.approvals.approve(id, carol))).toBe('ERR_APPROVAL_CLOSED');
  });

  it('exactly one of many concurrent identical requests (two engines on one store) uses a once grant', async () => {
    const first = await engine();
    const second = await engine(createPgApprovalStore(pool, { schema: first.store.schema }));
    const agent = await first.p.resolvePrincipal(
      token(A, 'alice', ['analysts'], { act: { sub: 'copilot' } }),
    );
    const req = sql('DELETE FROM orders WHERE id = 99');
    const id = await pendingId(first.p, agent, req);
    await first.p.approvals.approve(id, await first.p.resolvePrincipal(token(A, 'bob', ['managers'])));
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) => run(i % 2 === 0 ? first.p : second.p, agent, req)),
    );
    expect(results.filter((r) => r === 'allow')).toHaveLength(1);
  });

  it('expiry is final: no vote after the pending ttl, no use after the grant ttl', async () => {
    const { p } = await engine();
    try {
      const agent = await p.resolvePrincipal(token(A, 'alice', ['analysts'], { act: { sub: 'copilot' } }));
      const bob = await p.resolvePrincipal(token(A, 'bob', ['managers']));
      const req1 = sql('DELETE FROM t WHERE id = 10');
      const id1 = await pendingId(p, agent, req1);
      clockOffset = 31 * 60_000;
      const bobLater = await p.resolvePrincipal(token(A, 'bob', ['managers']));
      expect(await refusal(p.approvals.approve(id1, bobLater))).toBe('ERR_APPROVAL_EXPIRED');
      expect((await p.approvals.get(id1))?.status).toBe('expired');
      clockOffset = 0;
      expect(await refusal(p.approvals.approve(id1, bob))).not.toBe('accepted');

      const req2 = sql('DELETE FROM t WHERE id = 11');
      const id2 = await pendingId(p, agent, req2);
      await p.approvals.approve(id2, bob);
      clockOffset = 31 * 60_000;
      const agentLater = await p.resolvePrincipal(
        token(A, 'alice', ['analysts'], { act: { sub: 'copilot' } }),
      );
      expect(await run(p, agentLater, req2)).toMatch(/^review:/);
      expect((await p.approvals.get(id2))?.status).toBe('expired');
    } finally {
      clockOffset = 0;
    }
  });

  it('denial is final: no later approval turns it around, and the request does not run', async () => {
    const { p } = await engine();
    const agent = await p.resolvePrincipal(token(A, 'alice', ['analysts'], { act: { sub: 'copilot' } }));
    const req = sql('DELETE FROM t WHERE id = 12');
    const id = await pendingId(p, agent, req);
    await p.approvals.deny(id, await p.resolvePrincipal(token(A, 'carol', ['managers'])));
    expect(
      await refusal(p.approvals.approve(id, await p.resolvePrincipal(token(A, 'bob', ['managers'])))),
    ).toBe('ERR_APPROVAL_CLOSED');
    const again = await run(p, agent, req);
    expect(again).not.toBe('allow');
    expect(again).not.toBe(`review:${id}`);
  });

  it('survives a restart as stored: an approved grant is used once by a new engine, never by the old one after', async () => {
    const first = await engine();
    const agent = await first.p.resolvePrincipal(
      token(A, 'alice', ['analysts'], { act: { sub: 'copilot' } }),
    );
    const req = sql('DELETE FROM t WHERE id = 13');
    const id = await pendingId(first.p, agent, req);
    await first.p.approvals.approve(id, await first.p.resolvePrincipal(token(A, 'bob', ['managers'])));
    await first.store.close();
    const restarted = await engine(createPgApprovalStore(pool, { schema: first.store.schema }));
    expect(await run(restarted.p, agent, req)).toBe('allow');
    expect(await run(restarted.p, agent, req)).toMatch(/^review:/);
    // the closed store fails closed
    expect(await run(first.p, agent, req)).toBe('deny');
  });
});

describe('red team: fail closed on approval-store trouble', () => {
  it('denies when the store database is unreachable', async () => {
    const dead = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/nothing', max: 1 });
    dead.on('error', () => undefined);
    const s = createPgApprovalStore(dead, { reconnectAttempts: 0 });
    const p = await createPortcullis({
      policy: parsePolicy(policyText(), { format: 'json' }),
      approvals: s,
      now,
    });
    const agent = await p.resolvePrincipal(token(A, 'alice', ['analysts'], { act: { sub: 'copilot' } }));
    expect(await run(p, agent, sql('DELETE FROM t WHERE id = 1'))).toBe('deny');
    await s.close();
    await dead.end();
  });

  it('denies when the approvals table disappeared', async () => {
    const { p, store } = await engine();
    const agent = await p.resolvePrincipal(token(A, 'alice', ['analysts'], { act: { sub: 'copilot' } }));
    await pool.query(`DROP TABLE ${store.schema}.approvals CASCADE`);
    expect(await run(p, agent, sql('DELETE FROM t WHERE id = 1'))).toBe('deny');
  });

  it('does not run on a grant whose only approval is the requester (a tampered or faulty store row)', async () => {
    // "the engine checks what the store hands back against the same rules, so a faulty store
    // cannot turn into an allow" (docs/security-model.md). A row whose vote is the requester's
    // own must not be accepted as a grant.
    const { p, store } = await engine();
    const agent = await p.resolvePrincipal(token(A, 'alice', ['analysts'], { act: { sub: 'copilot' } }));
    const req = sql('DELETE FROM payroll');
    const id = await pendingId(p, agent, req);
    const { rows } = await pool.query<{ record: string }>(
      `SELECT record FROM ${store.schema}.approvals WHERE id = $1`,
      [id],
    );
    const record = JSON.parse(String(rows[0]?.record)) as Record<string, unknown>;
    const at = new Date().toISOString();
    const forged = {
      ...record,
      status: 'approved',
      decidedAt: at,
      grantExpiresAt: new Date(Date.now() + 10 * 60_000).toISOString(),
      votes: [{ subject: 'alice', issuer: ISS_A, groups: ['analysts'], verdict: 'approve', at }],
    };
    await pool.query(`UPDATE ${store.schema}.approvals SET status = 'approved', record = $2 WHERE id = $1`, [
      id,
      JSON.stringify(forged),
    ]);
    expect(await run(p, agent, req)).not.toBe('allow');
  });
});
