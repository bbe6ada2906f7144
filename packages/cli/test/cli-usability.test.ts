// What users expect of a command line: --version, help CMD, did-you-mean for commands and
// flags, usage errors (exit 2) for mistyped targets and repeated flags, quiet EPIPE.
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from './run-cli.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portcullis-cli-ux-'));
  await writeFile(
    path.join(dir, 'policy.yaml'),
    `version: 1
targets: { warehouse: { protocol: postgres } }
rules:
  - { id: read, effect: allow, when: { operations: [select] } }
`,
  );
});

describe('portcullis usability', () => {
  it('--version prints the package version', async () => {
    const result = await run(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^portcullis \d+\.\d+\.\d+/);
  });

  it('help CMD prints that command’s usage; help alone the overview', async () => {
    const verify = await run(['help', 'verify']);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain('usage: portcullis verify');
    expect((await run(['help'])).stdout).toContain('usage: portcullis <command>');
    const wrong = await run(['help', 'verfy']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('did you mean "verify"?');
  });

  it.each([
    ['verfy', 'verify'],
    ['replya', 'replay'],
    ['tset', 'test'],
    ['aprovals', 'approvals'],
  ])('a mistyped command %s gets a did-you-mean (%s), exit 2', async (typo, meant) => {
    const result = await run([typo]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`did you mean "${meant}"?`);
  });

  it('a mistyped flag gets a did-you-mean, exit 2', async () => {
    const result = await run(['check', '--polcy', 'policy.yaml'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown option --polcy (did you mean --policy?)');
  });

  it('a repeated single-value flag is a usage error, not "the last one wins"', async () => {
    const result = await run(
      [
        'check',
        '--policy',
        'policy.yaml',
        '--target',
        'warehouse',
        '--sql',
        'SELECT 1',
        '--sql',
        'DROP TABLE t',
        '--principal',
        '{"subject":"a","groups":[]}',
      ],
      { cwd: dir },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--sql is given more than once');
  });

  it('an unknown target is a usage error (exit 2) naming the known ones, not a denial', async () => {
    const result = await run(
      [
        'check',
        '--policy',
        'policy.yaml',
        '--target',
        'warehose',
        '--sql',
        'SELECT 1',
        '--principal',
        '{"subject":"a","groups":[]}',
      ],
      { cwd: dir },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown target "warehose" (did you mean warehouse?)');
  });

  it('a reader that goes away (| head) ends the command quietly', async () => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=portcullis-source',
        '--import',
        'tsx',
        'packages/cli/src/bin.ts',
        'mask',
        '--list-detectors',
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // Close the pipe before anything is written, as `head` does once it has its lines: every
    // write the command then makes meets EPIPE.
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) =>
      child.on('close', (c) => {
        resolve(c);
      }),
    );
    expect(stderr).not.toContain('EPIPE');
    expect(stderr).not.toContain('Error');
    expect(code).toBe(0);
  });
});
