// `portcullis console` as a user starts it: a child process serving the approval console on
// loopback against a PostgreSQL approval store, sending sign-ins to the policy's issuer, and
// stopping cleanly on SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate } from '@portcullis/pg';
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcIssuer, type OidcIssuer } from '../../approvals/test/lib/oidc-issuer.js';
import { run } from './run-cli.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
let db: TestDatabase;
let issuer: OidcIssuer;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url });
  await migrate(pool);
  await pool.end();
  issuer = await startOidcIssuer({ users: { bob: { groups: ['managers'] } } });
  dir = await mkdtemp(path.join(tmpdir(), 'portcullis-console-'));
  await writeFile(
    path.join(dir, 'policy.json'),
    JSON.stringify({
      version: 1,
      identity: { issuer: issuer.issuer, audience: issuer.audience, jwks: { keys: issuer.jwks.keys } },
      targets: { warehouse: { protocol: 'postgres' } },
      rules: [{ id: 'read', effect: 'allow', when: { operations: ['select'] } }],
    }),
  );
});

afterAll(async () => {
  await issuer.close();
  await db.close();
});

describe('portcullis console', () => {
  it('serves the sign-in page, sends sign-ins to the issuer, and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=portcullis-source',
        '--import',
        'tsx',
        'packages/cli/src/bin.ts',
        'console',
        '--policy',
        path.join(dir, 'policy.json'),
        '--client-id',
        issuer.clientId,
        '--store',
        db.url,
        '--listen',
        '127.0.0.1:0',
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString('utf8');
        const m = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m?.[1] !== undefined) resolve(m[1]);
      });
      child.once('exit', (code) => {
        reject(new Error(`console exited with ${String(code)}: ${err}`));
      });
    });
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`Sign in with ${issuer.issuer}`);
    const login = await fetch(`${url}login`, { redirect: 'manual' });
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toMatch(new RegExp(`^${issuer.issuer}/authorize\\?`));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);

  it('is a usage error without a client id, a store or an identity section', async () => {
    expect((await run(['console', '--policy', path.join(dir, 'policy.json'), '--store', db.url])).code).toBe(
      2,
    );
    expect((await run(['console', '--policy', path.join(dir, 'policy.json'), '--client-id', 'x'])).code).toBe(
      2,
    );
    await writeFile(
      path.join(dir, 'no-identity.json'),
      JSON.stringify({ version: 1, targets: { w: { protocol: 'postgres' } }, rules: [] }),
    );
    const r = await run([
      'console',
      '--policy',
      path.join(dir, 'no-identity.json'),
      '--client-id',
      'x',
      '--store',
      db.url,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no identity section');
  });
});
