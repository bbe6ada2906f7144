// The agent demo is also a smoke test of the whole slice: run it and check every outcome.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyRecording } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../src/run-demo.js';

describe('the agent demo', () => {
  it('behaves as described at every step', { timeout: 120_000 }, async () => {
    const outDir = await mkdtemp(path.join(tmpdir(), 'portcullis-demo-test-'));
    const result = await runDemo({ outDir });
    expect(result.steps.filter((s) => !s.ok)).toEqual([]);
    expect(result.ok).toBe(true);
    const outcome = (does: string): string => result.steps.find((s) => s.did.startsWith(does))?.outcome ?? '';
    expect(result.steps.map((s) => s.who)).toEqual([
      'issuer',
      'host',
      'issuer',
      'issuer',
      'issuer',
      'agent',
      'agent',
      'agent',
      'alice',
      'agent',
      'bob',
      'agent',
      'agent',
      'agent',
      'agent',
      'agent',
      ...Array<string>(13).fill('agent (MCP)'),
      'auditor',
      'auditor',
    ]);
    expect(outcome('mints a token for copilot')).toBe('alice via copilot, agent, [analysts]');
    expect(outcome('SELECT id, name, email')).toBe('3 rows; e.g. [REDACTED:email], [REDACTED:credit-card]');
    expect(outcome('SELECT name, secret AS s')).toBe(
      'ci-github=[REDACTED:column], backup-aws=[REDACTED:column]',
    );
    expect(outcome('UPDATE customers')).toMatch(/^ERR_REVIEW_REQUIRED; approval [0-9a-f-]{36}$/);
    expect(outcome('portcullis approvals approve <id> --token <alice>')).toMatch(
      /^exit 1: ERR_APPROVAL_FORBIDDEN: alice cannot approve their own request/,
    );
    expect(outcome('portcullis approvals approve <id> --token <bob>')).toMatch(/^exit 0: .* is now approved/);
    expect(outcome('runs the exact UPDATE again')).toBe('UPDATE 1; plan is now enterprise');
    expect(outcome('runs the same UPDATE once more')).toMatch(/^ERR_REVIEW_REQUIRED; new approval /);
    expect(outcome('DROP TABLE customers')).toBe('ERR_DENIED: Destructive DDL is never allowed');
    expect(outcome('patches pg')).toMatch(/^ERR_BYPASS: .*; customers still has 3 rows$/);
    expect(result.customersSeen).toHaveLength(3);
    for (const row of result.customersSeen) {
      expect(row).toMatchObject({ email: '[REDACTED:email]', card: '[REDACTED:credit-card]' });
    }
    const recording = await readFile(result.recordingPath, 'utf8');
    // The first agent session, then the MCP server's sessions on the database, the SSH host and
    // the cluster: each ended and sealed with the demo's key.
    const report = verifyRecording(recording);
    expect(report.ok).toBe(true);
    expect(report.sessions.map((s) => s.ended)).toEqual([true, true, true, true]);
    expect(result.verifyOutput).toMatch(
      /: ok: 4 sessions, \d+ events \(4 sealed, 4 seals verified with key [0-9a-f]+\)$/,
    );
    expect(outcome('ssh_exec: cat /etc/app/config.env')).toMatch(/^exit 0: DATABASE_PASSWORD=\[REDACTED:/);
    expect(outcome('kube_get: secrets/shop-db')).toBe(
      'Secret data: password=[REDACTED:kubernetes-secret] token=[REDACTED:kubernetes-secret]',
    );
  });

  it('`pnpm demo` prints the table and exits 0', { timeout: 120_000 }, () => {
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const run = spawnSync(
      process.execPath,
      ['--conditions=portcullis-source', '--import', 'tsx', 'examples/agent-demo/src/main.ts'],
      { cwd: root, encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^#\s+WHO\s+DOES\s+WHAT HAPPENED$/m);
    expect(run.stdout).toContain('All 31 steps behaved as described.');
  });
});
