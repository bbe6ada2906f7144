// Sessions from bearer tokens: the gated pool resolves them through the engine's identity
// resolver. Keys are generated at run time; the token is signed with node:crypto.
import { generateKeyPairSync, sign } from 'node:crypto';
import { TokenError } from '@portcullis/core';
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGatedPool, type GatedPool } from '../src/index.js';
import { engine, POLICY } from './fixtures.js';

const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' };
const ISSUER = 'https://idp.test/';

function token(claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${part({ alg: 'ES256', kid: 'k1', typ: 'JWT' })}.${part({ iss: ISSUER, aud: 'portcullis', iat: now, exp: now + 300, ...claims })}`;
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

let db: TestDatabase;
let gated: GatedPool;

beforeAll(async () => {
  db = await createTestDatabase();
  const policy = POLICY.replace(
    'version: 1\n',
    `version: 1\nidentity:\n  issuer: ${ISSUER}\n  audience: portcullis\n  jwks: { keys: [${JSON.stringify(jwk)}] }\n`,
  );
  gated = createGatedPool({
    config: { connectionString: db.url, max: 2 },
    portcullis: await engine({ policy }),
    target: 'warehouse',
  });
});

afterAll(async () => {
  await gated.end();
  await db.close();
});

it('withToken: a session for the principal the token names, agent and all', async () => {
  const session = await gated.withToken(
    token({ sub: 'alice', groups: ['analysts'], act: { sub: 'copilot' } }),
  );
  expect(session.principal).toMatchObject({
    subject: 'alice',
    groups: ['analysts'],
    kind: 'agent',
    actor: 'copilot',
  });
  expect((await session.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  await expect(session.query('DROP TABLE t')).rejects.toMatchObject({ code: 'ERR_DENIED' });
});

it('withToken: a rejected token is a TokenError and no session', async () => {
  const forged = `${token({ sub: 'mallory', groups: ['admins'] }).slice(0, -4)}AAAA`;
  await expect(gated.withToken(forged)).rejects.toBeInstanceOf(TokenError);
  await expect(gated.withToken('not a token')).rejects.toBeInstanceOf(TokenError);
});
