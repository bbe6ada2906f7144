import { readFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import {
  createFileSink,
  createPortcullis,
  createRecorder,
  parsePolicy,
  type Principal,
} from '@portcullis/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from './run-cli.js';

let dir: string;
let token: string;
let expired: string;
let agentToken: string;
let foreverToken: string;

const issuer = 'https://idp.test/';

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portcullis-cli-id-'));
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  await writeFile(path.join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
  await writeFile(
    path.join(dir, 'policy.yaml'),
    `version: 1
identity:
  issuer: ${issuer}
  audience: portcullis
  jwks: { file: ./jwks.json }
  groupsClaim: realm.roles
targets: { warehouse: { protocol: postgres } }
rules:
  - id: analysts-read
    effect: allow
    when: { groups: [analysts], operations: [select] }
`,
  );
  const sign = (claims: Record<string, unknown>, exp: string | number) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(issuer)
      .setAudience('portcullis')
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(privateKey);
  token = await sign({ realm: { roles: ['analysts'] } }, '10m');
  agentToken = await sign(
    { realm: { roles: 'analysts readers' }, act: { sub: 'copilot', act: { sub: 'orchestrator' } } },
    '10m',
  );
  expired = await sign({}, Math.floor(Date.now() / 1000) - 3600);
  // exp written as the JSON number 1e400 (Infinity once parsed): jose cannot produce it, so the
  // token is assembled and signed by hand.
  const enc = (text: string): string => Buffer.from(text).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${enc(JSON.stringify({ alg: 'ES256', kid: 'k1' }))}.${enc(
    `{"iss":"${issuer}","aud":"portcullis","sub":"alice","iat":${now},"exp":1e400}`,
  )}`;
  const signature = await webcrypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    privateKey,
    Buffer.from(input),
  );
  foreverToken = `${input}.${Buffer.from(signature).toString('base64url')}`;
});

describe('portcullis whoami', () => {
  it('prints the principal a valid token resolves to', async () => {
    const result = await run(['whoami', '--policy', 'policy.yaml', '--token', token], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('subject:  alice');
    expect(result.stdout).toContain('groups:   analysts');
    expect(result.stdout).toContain('kind:     human');
  });

  it('resolves the agent and its delegation chain, from stdin with a Bearer prefix', async () => {
    const result = await run(['whoami', '--json', '--policy', 'policy.yaml', '--token', '-'], {
      cwd: dir,
      stdin: `Bearer ${agentToken}\n`,
    });
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as { principal: Principal };
    expect(out.principal).toMatchObject({
      subject: 'alice',
      kind: 'agent',
      actor: 'copilot',
      actorChain: ['copilot', 'orchestrator'],
      groups: ['analysts', 'readers'],
    });
  });

  it('says why a token is rejected, exits 1, and never prints the token', async () => {
    const result = await run(['whoami', '--policy', 'policy.yaml', '--token', expired], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^rejected: ERR_TOKEN_EXPIRED: /);
    expect(result.stdout + result.stderr).not.toContain(expired.split('.')[1]!);
    const garbage = await run(['whoami', '--policy', 'policy.yaml', '--token', 'not-a-jwt'], { cwd: dir });
    expect(garbage.code).toBe(1);
    expect(garbage.stdout).toMatch(/^rejected: ERR_TOKEN_INVALID: /);
  });

  it('rejects a token whose exp is 1e400 with a clean token error (it crashed before)', async () => {
    const result = await run(['whoami', '--policy', 'policy.yaml', '--token', foreverToken], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^rejected: ERR_TOKEN_CLAIM: token claim exp is not a whole number of seconds/,
    );
    expect(result.stderr).toBe('');
  });

  it('decides with a token in check', async () => {
    const result = await run(
      [
        'check',
        '--policy',
        'policy.yaml',
        '--target',
        'warehouse',
        '--sql',
        'SELECT * FROM t',
        '--token',
        token,
      ],
      { cwd: dir },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('decision: allow');
  });
});

describe('portcullis verify and replay', () => {
  let recording: string;
  let publicKeyPem: string;

  beforeAll(async () => {
    const keys = generateKeyPairSync('ed25519');
    publicKeyPem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await writeFile(path.join(dir, 'seal.pub'), publicKeyPem);
    recording = path.join(dir, 'audit.jsonl');
    const sink = await createFileSink(recording);
    const policy = parsePolicy(
      `version: 1
targets: { warehouse: { protocol: postgres } }
recording: { required: true }
rules:
  - id: read
    effect: allow
    when: { operations: [select] }
`,
    );
    const engine = await createPortcullis({
      policy,
      recorder: createRecorder({ sink, sealingKey: keys.privateKey }),
    });
    const principal: Principal = { subject: 'alice', groups: ['analysts'], kind: 'agent', actor: 'copilot' };
    const session = await engine.startSession(principal, 'warehouse');
    expect(session).toBeDefined();
    await engine.authorize({
      principal,
      target: 'warehouse',
      request: { type: 'sql', sql: 'SELECT * FROM orders' },
      session: session!,
    });
    await session!.end();
    await sink.close();
  });

  it('verifies an intact sealed recording (exit 0)', async () => {
    const result = await run(['verify', '--key', 'seal.pub', 'audit.jsonl'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('audit.jsonl: ok');
  });

  it('names the first bad event of a tampered recording (exit 1)', async () => {
    const lines = (await readFile(recording, 'utf8')).split('\n');
    lines[1] = lines[1]!.replace('SELECT * FROM orders', 'SELECT * FROM refunds');
    await writeFile(path.join(dir, 'tampered.jsonl'), lines.join('\n'));
    const result = await run(['verify', 'tampered.jsonl'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/tampered\.jsonl: FAILED: .*first bad event: line 2, .*seq 1/);
  });

  it('exits 2 for a recording that cannot be read', async () => {
    const result = await run(['verify', 'missing.jsonl'], { cwd: dir });
    expect(result.code).toBe(2);
  });

  it('replays a session readably, and re-decides it under another policy', async () => {
    const shown = await run(['replay', 'audit.jsonl'], { cwd: dir });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('alice');
    expect(shown.stdout).toContain('copilot');
    expect(shown.stdout).toContain('SELECT * FROM orders');
    await writeFile(
      path.join(dir, 'stricter.yaml'),
      `version: 1
targets: { warehouse: { protocol: postgres } }
rules:
  - id: no-orders
    effect: deny
    when: { resources: [orders] }
    reason: Orders are off limits
`,
    );
    const redecided = await run(['replay', 'audit.jsonl', '--policy', 'stricter.yaml'], { cwd: dir });
    expect(redecided.code).toBe(0);
    expect(redecided.stdout).toContain('1 of 1 request would be decided differently');
    expect(redecided.stdout).toContain('allow (rule read) → deny (rule no-orders): Orders are off limits');
  });
});
