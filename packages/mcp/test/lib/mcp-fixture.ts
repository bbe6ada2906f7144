// A warehouse behind Portcullis for the MCP tests: a local issuer (alice, her agent, bob), a
// policy where analysts read, writes need a manager and DROP is denied, a gated pool on a test
// database with a customers table holding emails.
import { createMemoryApprovalStore, createPortcullis, parsePolicy, type Portcullis } from '@portcullis/core';
import { createGatedPool, type GatedPool } from '@portcullis/pg';
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import pg from 'pg';
import { startOidcIssuer, type OidcIssuer } from '../../../approvals/test/lib/oidc-issuer.js';

export const EMAIL = ['maya', 'lin'].join('.') + '@example.org';

export interface McpFixture {
  readonly issuer: OidcIssuer;
  readonly db: TestDatabase;
  readonly portcullis: Portcullis;
  readonly pool: GatedPool;
  readonly policyText: string;
  close(): Promise<void>;
}

export function policyFor(issuer: OidcIssuer, audience: string): string {
  return JSON.stringify({
    version: 1,
    identity: { issuer: issuer.issuer, audience, jwks: { keys: issuer.jwks.keys } },
    targets: { warehouse: { protocol: 'postgres' } },
    rules: [
      { id: 'analysts-read', effect: 'allow', when: { groups: ['analysts'], operations: ['select'] } },
      {
        id: 'writes-need-a-manager',
        effect: 'review',
        when: { operations: ['insert', 'update', 'delete'] },
        review: { approvers: { groups: ['managers'] } },
        reason: 'Writes need a manager',
      },
      {
        id: 'no-drop',
        effect: 'deny',
        when: { operations: ['drop', 'truncate'] },
        reason: 'Never drop tables',
      },
    ],
  });
}

export async function startMcpFixture(audience: string): Promise<McpFixture> {
  // Tokens are minted for `audience`: the MCP endpoint's URL over HTTP.
  const issuer = await startOidcIssuer({
    users: { alice: { groups: ['analysts'] }, bob: { groups: ['managers'] }, eve: { groups: ['analysts'] } },
    audience,
  });
  const db = await createTestDatabase();
  const raw = new pg.Client({ connectionString: db.url });
  await raw.connect();
  await raw.query('CREATE TABLE customers (id int PRIMARY KEY, email text, tier int)');
  await raw.query('INSERT INTO customers VALUES (1, $1, 1)', [EMAIL]);
  await raw.end();
  const policyText = policyFor(issuer, audience);
  const portcullis = await createPortcullis({
    policy: parsePolicy(policyText, { format: 'json' }),
    approvals: createMemoryApprovalStore(),
  });
  const pool = createGatedPool({
    config: { connectionString: db.url, max: 4 },
    portcullis,
    target: 'warehouse',
  });
  return {
    issuer,
    db,
    portcullis,
    pool,
    policyText,
    async close() {
      await pool.end();
      await db.close();
      await issuer.close();
    },
  };
}
