// Text bash evaluates a second time (core/src/classify/shell/deferred.ts), against a real sshd.
// The fixture policy lets `ops` run any command except `rm` (denied) and `touch` (review). Each
// attack assembles `a[$(rm -f VICTIM)]` where no single token shows it and has bash evaluate it
// again; an earlier classifier saw only `exec echo …` and let bash delete the victim. The gate
// must refuse the request, and the victim must survive.
import { DeniedError, ReviewRequiredError } from '@portcullis/core';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, needs, plantVictim, SSHD_MISSING, startWorld, type SshWorld } from './fixtures.js';

describe.skipIf(SSHD_MISSING !== undefined)(`text bash evaluates again, on a real sshd${needs}`, () => {
  let world: SshWorld;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  const victim = (dir?: string): Promise<string> => plantVictim(world, dir);

  /** What the gate said: a result, or the error it refused with. */
  async function attempt(command: string): Promise<unknown> {
    const s = world.ssh.as(agent);
    try {
      return await s.exec(command).catch((e: unknown) => e);
    } finally {
      await s.end();
    }
  }

  function outcomeOf(outcome: unknown, file: string): { refused: boolean; victimExists: boolean } {
    return {
      refused: outcome instanceof DeniedError || outcome instanceof ReviewRequiredError,
      victimExists: existsSync(file),
    };
  }

  it.each([
    ['arithmetic, two adjacent single-quoted pieces', (v: string) => `y='a[$''(rm -f ${v})]'; echo $((y))`],
    ['arithmetic, an ANSI-C $ then a quoted rest', (v: string) => `y=a[$'\\x24''(rm -f ${v})]'; echo $((y))`],
    [
      'arithmetic, the $ from another variable',
      (v: string) => `d=\\$; y="a[\${d}(rm -f ${v})]"; echo $((y))`,
    ],
    ['prompt expansion ${y@P}', (v: string) => `y=$'\\x24'"(rm -f ${v})"; echo \${y@P}`],
    ['an array subscript ${a[y]}', (v: string) => `y='a[$''(rm -f ${v})]'; echo \${a[y]}`],
    ['declare -i', (v: string) => `y='a[$''(rm -f ${v})]'; declare -i z=y; echo $z`],
  ])('%s is refused and runs nothing', async (_name, make) => {
    const file = await victim();
    const outcome = await attempt(make(file));
    expect(outcomeOf(outcome, file)).toEqual({ refused: true, victimExists: true });
  });

  it('a payload in a file name, met by a glob, is refused and runs nothing', async () => {
    const dir = path.join(world.allowed, 'deferred-glob');
    await mkdir(dir, { recursive: true });
    await world.sshd.chownToUser(dir);
    const file = await victim(dir);
    // An allowed SFTP write plants the name (a file name holds no `/`, so the payload is relative).
    const s = world.ssh.as(agent);
    await s.sftp().writeFile(`~/allowed/deferred-glob/a[$(rm -f ${path.basename(file)})]`, '');
    await s.end();
    const outcome = await attempt('cd ~/allowed/deferred-glob && for x in a*; do echo $((x)); done');
    expect(outcomeOf(outcome, file)).toEqual({ refused: true, victimExists: true });
  });

  it.each([
    ['i=0; echo $((i+1))', '1\n'],
    ['for i in 1 2 3; do echo $((i*2)); done', '2\n4\n6\n'],
    ['y=\'a[$(rm -rf ~)]\'; echo "$y"', 'a[$(rm -rf ~)]\n'],
  ])('benign `%s` still runs', async (command, stdout) => {
    expect(await attempt(command)).toMatchObject({ stdout, code: 0 });
  });
});
