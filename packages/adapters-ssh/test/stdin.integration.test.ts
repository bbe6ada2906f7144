// Stdin given to an exec, against a real sshd: it is classified as the command line it is (a
// shell reading its script from stdin), or every command that could read it treats it as data,
// or the request is `unknown`. Each attack tries to get the denied `rm` to run while the gate
// sees something allowed; a victim file in ~/allowed shows whether rm ran.
import { DeniedError } from '@portcullis/core';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agent,
  needs,
  plantVictim,
  REFUSED,
  refusal,
  SSHD_MISSING,
  startWorld,
  type SshWorld,
} from './fixtures.js';

type Session = ReturnType<SshWorld['ssh']['as']>;

describe.skipIf(SSHD_MISSING !== undefined)(`stdin given to an exec on a real sshd${needs}`, () => {
  let world: SshWorld;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  const victim = (): Promise<string> => plantVictim(world);

  async function attempt(s: Session, command: string, options: Record<string, unknown>): Promise<unknown> {
    return s.exec(command, options as never).catch((e: unknown) => e);
  }

  // A shell reading its script from stdin, however the end of its options is spelled.
  it.each([['bash -'], ['sh -'], ['bash -x -'], ['/bin/bash -e -'], ['bash --'], ['bash -s --']])(
    'stdin to `%s` is classified as its commands: rm is denied',
    async (command) => {
      const file = await victim();
      const s = world.ssh.as(agent);
      const outcome = await attempt(s, command, { stdin: `rm -f ${file}\n` });
      await s.end();
      expect(refusal(outcome, file)).toBe(REFUSED);
      expect(outcome).toBeInstanceOf(DeniedError);
    },
  );

  // Programs that run what stdin tells them: none is on the list of programs that read stdin as
  // data, so the request is unknown.
  it.each([
    ['ed -s', (v: string) => `!rm -f ${v}\nq\n`],
    ['vi -es', (v: string) => `:!rm -f ${v}\n:q!\n`],
    ['make -f -', (v: string) => `all:\n\trm -f ${v}\n`],
    ['sqlite3', (v: string) => `.shell rm -f ${v}\n`],
    ['true; bash', (v: string) => `rm -f ${v}\n`],
    ['cat /etc/hostname && python3', (v: string) => `import os; os.remove(${JSON.stringify(v)})\n`],
    ['cat | bash', (v: string) => `rm -f ${v}\n`],
    ['base64 -d | sh', (v: string) => `${Buffer.from(`rm -f ${v}\n`).toString('base64')}\n`],
  ])('stdin to `%s` is unknown', async (command, script) => {
    const file = await victim();
    const s = world.ssh.as(agent);
    const outcome = await attempt(s, command, { stdin: script(file) });
    await s.end();
    expect(refusal(outcome, file)).toBe(REFUSED);
  });

  // A shell's script runs commands that share the same stdin: one that reads it could run the
  // rest of the script as its own commands, so only programs that never read stdin may appear.
  it.each([
    ['sqlite3 in the script', (v: string) => `sqlite3\n.shell rm -f ${v}\n`],
    ['ed in the script', (v: string) => `ed -s\n!rm -f ${v}\nq\n`],
    ['head desynchronising the parse', (v: string) => `head -c 6\necho 'x\nrm -f ${v} #'\n`],
  ])('a script given to bash with %s is unknown', async (_name, script) => {
    const file = await victim();
    const s = world.ssh.as(agent);
    const outcome = await attempt(s, 'bash', { stdin: script(file) });
    await s.end();
    expect(refusal(outcome, file)).toBe(REFUSED);
  });

  it('a locale whose multibyte characters end in `\\` is unknown', async () => {
    const file = await victim();
    const s = world.ssh.as(agent);
    const outcome = await attempt(s, `echo \u4e2d\\;rm -f ${file}`, { env: { LC_ALL: 'zh_TW.BIG5' } });
    await s.end();
    expect(refusal(outcome, file)).toBe(REFUSED);
  });

  // Benign uses that must keep working.
  it('cat > file with stdin writes an allowed path', async () => {
    const file = path.join(world.allowed, 'from-stdin.txt');
    const s = world.ssh.as(agent);
    const result = await s.exec(`cat > ${file}`, { stdin: 'hello over stdin\n' });
    await s.end();
    expect(result.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('hello over stdin\n');
  });

  it('grep reads stdin as data', async () => {
    const s = world.ssh.as(agent);
    const result = await s.exec('grep -c foo', { stdin: 'foo\nbar\nfoo bar\n' });
    await s.end();
    expect(result.stdout.trim()).toBe('2');
  });

  it('bash runs a benign script given on stdin', async () => {
    const s = world.ssh.as(agent);
    const result = await s.exec('bash -s --', { stdin: 'echo one\nprintf "%s\\n" two\n' });
    await s.end();
    expect(result.stdout).toBe('one\ntwo\n');
  });

  it('LANG=C.UTF-8 is an ordinary environment', async () => {
    const s = world.ssh.as(agent);
    const result = await s.exec('echo ok', { env: { LANG: 'C.UTF-8' } });
    await s.end();
    expect(result.stdout).toBe('ok\n');
  });
});
