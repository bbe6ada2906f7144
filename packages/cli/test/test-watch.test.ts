// `portcullis test --watch` as a user runs it: a child process on a temporary policy and suite,
// rerunning when the suite changes and when the policy changes, and ending with the last run's
// exit code on Ctrl-C. Every wait is on the child's output (bounded), never a sleep.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const WAIT_MS = 20_000;

const POLICY = (selectEffect: string): string => `version: 1
targets: { warehouse: { protocol: postgres } }
rules:
  - id: read
    effect: ${selectEffect}
    when: { operations: [select] }
${selectEffect === 'review' ? '    review: { approvers: { groups: [managers] } }\n' : ''}`;
const CASE = (name: string, sql: string, expected: string): string =>
  `  - { name: ${name}, principal: { subject: alice, groups: [analysts] }, target: warehouse, sql: ${sql}, expect: ${expected} }\n`;

let child: ChildProcessWithoutNullStreams | undefined;
let dir: string | undefined;

afterEach(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The child's output so far, and a bounded wait until it satisfies a predicate. */
function follow(proc: ChildProcessWithoutNullStreams) {
  const seen = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const check of [...waiters]) check();
  };
  proc.stdout.on('data', (c: Buffer) => {
    seen.stdout += c.toString('utf8');
    notify();
  });
  proc.stderr.on('data', (c: Buffer) => {
    seen.stderr += c.toString('utf8');
    notify();
  });
  const until = (what: string, ok: () => boolean): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (!ok()) return;
        finish();
        resolve();
      };
      const onExit = (): void => {
        finish();
        reject(new Error(`the watcher exited before ${what}:\n${seen.stdout}\n${seen.stderr}`));
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${what} within ${WAIT_MS} ms:\n${seen.stdout}\n${seen.stderr}`));
      }, WAIT_MS);
      const finish = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
        proc.off('exit', onExit);
      };
      waiters.add(check);
      proc.once('exit', onExit);
      check();
    });
  const count = (text: string, part: string): number => text.split(part).length - 1;
  /**
   * Waits for the `n`th run's summary (stdout) and for the watcher to be watching again
   * (stderr): the two pipes are read independently, so either may arrive first.
   */
  const run = (n: number, watching = n): Promise<void> =>
    until(
      `run ${n}`,
      () => count(seen.stdout, ' failed\n') >= n && count(seen.stderr, '(watching for changes') >= watching,
    );
  return { seen, until, run, count };
}

it('reruns when the suite changes and when its policy changes; Ctrl-C exits with the last run', async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portcullis-watch-'));
  const policy = path.join(dir, 'policy.yaml');
  const suite = path.join(dir, 'suite.test.yaml');
  await writeFile(policy, POLICY('allow'));
  await writeFile(suite, `policy: ./policy.yaml\ncases:\n${CASE('reads are allowed', 'SELECT 1', 'allow')}`);

  child = spawn(
    process.execPath,
    [
      '--conditions=portcullis-source',
      '--import',
      'tsx',
      'packages/cli/src/bin.ts',
      'test',
      '--watch',
      suite,
    ],
    { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const { seen, until, run, count } = follow(child);

  // What each run printed: the output since the previous run was reported.
  let mark = 0;
  const report = async (n: number, watching = n): Promise<string> => {
    await run(n, watching);
    const text = seen.stdout.slice(mark);
    mark = seen.stdout.length;
    return text;
  };

  expect(await report(1)).toBe('1 passed, 0 failed\n');

  // The suite gains a case the policy fails: the rerun reports it.
  await writeFile(
    suite,
    `policy: ./policy.yaml\ncases:\n${CASE('reads are allowed', 'SELECT 1', 'allow')}${CASE('reads need review', 'SELECT 2', 'review')}`,
  );
  const second = await report(2);
  expect(second).toContain('reads need review');
  expect(second).not.toContain('reads are allowed');
  expect(second).toMatch(/1 passed, 1 failed\n$/);

  // An invalid policy is reported and waited out, still watching.
  await writeFile(policy, `${POLICY('allow')}  - { id: broken, effect: sometimes }\n`);
  await until('the invalid policy reported', () => count(seen.stderr, '(watching for changes') >= 3);
  expect(seen.stderr).toMatch(/portcullis test: .*policy\.yaml:\d+/);
  expect(seen.stdout.slice(mark)).toBe('');

  // The policy (watched too) changes: now the new case passes and the first one fails.
  await writeFile(policy, POLICY('review'));
  const third = await report(3, 4);
  expect(third).toContain('reads are allowed');
  expect(third).not.toContain('reads need review');
  expect(third).toMatch(/1 passed, 1 failed\n$/);

  // Back to a passing suite, then Ctrl-C: the exit code is the last run's.
  await writeFile(suite, `policy: ./policy.yaml\ncases:\n${CASE('reads need review', 'SELECT 2', 'review')}`);
  expect(await report(4, 5)).toBe('1 passed, 0 failed\n');
  expect(count(seen.stderr, '(watching for changes')).toBe(5);
  const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
  child.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(count(seen.stderr, 'portcullis test:')).toBe(1);
}, 120_000);
