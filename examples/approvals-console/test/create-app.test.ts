// The Express example as a host would run it: the console mounted under /approvals/ of an
// existing app, signing bob in through a local issuer and showing what waits in the store.
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPortcullis, loadPolicyFile, ReviewRequiredError } from '@portcullis/core';
import { createPgApprovalStore, migrate } from '@portcullis/pg';
import { createTestDatabase, type TestDatabase } from '@portcullis/testing';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestBrowser } from '../../../packages/approvals/test/lib/console-fixture.js';
import { startOidcIssuer, type OidcIssuer } from '../../../packages/approvals/test/lib/oidc-issuer.js';
import { createApp, type ExampleApp } from '../src/create-app.js';

let db: TestDatabase;
let issuer: OidcIssuer;
let example: ExampleApp;
let server: Server;
let base: string;
let policyFile: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url });
  await migrate(pool);
  await pool.end();
  issuer = await startOidcIssuer({
    users: { bob: { groups: ['managers'] }, alice: { groups: ['analysts'] } },
  });
  const dir = await mkdtemp(path.join(tmpdir(), 'portcullis-example-'));
  policyFile = path.join(dir, 'portcullis.json');
  await writeFile(
    policyFile,
    JSON.stringify({
      version: 1,
      identity: { issuer: issuer.issuer, audience: issuer.audience, jwks: { keys: issuer.jwks.keys } },
      targets: { warehouse: { protocol: 'postgres' } },
      rules: [
        {
          id: 'deletes-need-a-manager',
          effect: 'review',
          when: { operations: ['delete'] },
          review: { approvers: { groups: ['managers'] } },
          reason: 'Deletes need a manager',
        },
      ],
    }),
  );
  // The app needs its public URL before it listens: reserve the port with a first listen.
  const probe = await new Promise<number>((resolve) => {
    const p = createServer().listen(0, '127.0.0.1', () => {
      const port = (p.address() as AddressInfo).port;
      p.close(() => {
        resolve(port);
      });
    });
  });
  base = `http://127.0.0.1:${String(probe)}/`;
  example = await createApp({
    DATABASE_URL: db.url,
    PORTCULLIS_POLICY: policyFile,
    CONSOLE_CLIENT_ID: issuer.clientId,
    PUBLIC_URL: base,
  });
  server = await new Promise<Server>((resolve) => {
    const s = example.app.listen(probe, '127.0.0.1', () => {
      resolve(s);
    });
  });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await example.close();
  await issuer.close();
  await db.close();
});

it('serves the host’s own routes and the console under /approvals/', async () => {
  expect(await (await fetch(`${base}healthz`)).text()).toBe('ok');
  expect(await (await fetch(`${base}approvals/`)).text()).toContain('Sign in with');
});

it('signs bob in through the mount point and lists what waits in the shared store', async () => {
  const pool = new pg.Pool({ connectionString: db.url });
  const store = createPgApprovalStore(pool);
  const host = await createPortcullis({ policy: await loadPolicyFile(policyFile), approvals: store });
  const agent = await host.resolvePrincipal(await issuer.accessToken('alice', { actor: 'copilot' }));
  const id = await host
    .authorize({
      principal: agent,
      target: 'warehouse',
      request: { type: 'sql', sql: 'DELETE FROM t WHERE id = 9' },
    })
    .then(
      () => '',
      (err: unknown) => (err instanceof ReviewRequiredError ? err.approvalId : ''),
    );
  await store.close();
  await pool.end();
  expect(id).not.toBe('');

  const browser = new TestBrowser();
  const signedIn = await browser.signIn(`${base}approvals/`, 'bob');
  expect(signedIn.status).toBe(200);
  expect(browser.setCookies.find((c) => c.startsWith('portcullis-session='))).toContain('Path=/approvals/');
  const list = await (await browser.request(`${base}approvals/`)).text();
  expect(list).toContain(`/approvals/approvals/${id}`);
  expect(list).toContain('alice <span class="via">via copilot</span>');
});
