import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './run-cli.js';

// Secrets are made at run time: a real private key, and an e-mail address.
const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const email = ['mallory', 'example.org'].join('@');

describe('portcullis mask', () => {
  it('masks every built-in detector by default and keeps the rest byte for byte', async () => {
    const input = `deploy log\nkey:\n${pem}contact ${email} — ünïcode stays\n`;
    const result = await run(['mask', '--idle-flush', '0'], { stdin: input });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(pem.split('\n')[1]!);
    expect(result.stdout).not.toContain(email);
    expect(result.stdout).toContain('[REDACTED:');
    expect(result.stdout.startsWith('deploy log\nkey:\n')).toBe(true);
    expect(result.stdout.endsWith(' — ünïcode stays\n')).toBe(true);
  });

  it("uses a policy's profile", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'portcullis-mask-'));
    await writeFile(
      path.join(dir, 'policy.yaml'),
      `version: 1
targets: { warehouse: { protocol: postgres } }
masking:
  profiles:
    secrets-only: { detectors: [secrets] }
`,
    );
    const result = await run(['mask', '--policy', 'policy.yaml', '--profile', 'secrets-only'], {
      cwd: dir,
      stdin: `${email}\n${pem}`,
    });
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith(`${email}\n`)).toBe(true);
    expect(result.stdout).not.toContain(pem.split('\n')[1]!);
    const missing = await run(['mask', '--policy', 'policy.yaml', '--profile', 'nope'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('has no masking profile "nope"; it has secrets-only');
  });

  it('lists the detectors', async () => {
    const result = await run(['mask', '--list-detectors', '--json']);
    expect(result.code).toBe(0);
    const detectors = JSON.parse(result.stdout) as { id: string; category: string }[];
    expect(detectors.length).toBeGreaterThanOrEqual(40);
    expect(new Set(detectors.map((d) => d.category))).toEqual(new Set(['secret', 'pii']));
  });

  it('refuses --profile without --policy (exit 2)', async () => {
    const result = await run(['mask', '--profile', 'x']);
    expect(result.code).toBe(2);
  });
});
