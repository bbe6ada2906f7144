// Attacks on the SSH adapter that a red-team pass found the gate refusing, kept so they stay
// refused, against a real sshd: other ways of spelling `rm`, of running code later or through
// options, stdin to shells and interpreters, substitutions in odd places, and environment
// variables that change what runs. (The holes the same pass found have their own files:
// stdin.integration.test.ts, deferred.integration.test.ts, and exec's stopped commands.)
//
// The fixture policy lets `ops` run any command except `rm` (denied) and `touch` (review). Every
// attack tries to get a denied `rm` to run on the server while the gate classifies the request as
// something allowed. A victim file in ~/allowed shows whether rm ran.
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

describe.skipIf(SSHD_MISSING !== undefined)(`attacks the SSH gate refuses, on a real sshd${needs}`, () => {
  let world: SshWorld;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  const victim = (): Promise<string> => plantVictim(world);

  /** Runs the attack; returns what the gate said (a result or an error). */
  async function attempt(s: Session, command: string, options?: Record<string, unknown>): Promise<unknown> {
    return s.exec(command, options as never).catch((e: unknown) => e);
  }

  it.each([
    ['bash -s --', { stdin: 'rm -f VICTIM\n' }],
    ['bash --norc', { stdin: 'rm -f VICTIM\n' }],
    ['cat | bash', { stdin: 'rm -f VICTIM\n' }],
    ['bash /dev/stdin', { stdin: 'rm -f VICTIM\n' }],
    ['python3 -', { stdin: 'import os; os.remove("VICTIM")\n' }],
    ['awk -f -', { stdin: 'BEGIN { system("rm -f VICTIM") }\n' }],
    ['ex -s', { stdin: '!rm -f VICTIM\nq!\n' }],
    ['xargs env', { stdin: 'rm -f VICTIM\n' }],
    ['xargs sh -c', { stdin: "'rm -f VICTIM'\n" }],
    ["y='a[$(rm -f VICTIM)]'; echo $((y))", {}],
    ['echo $((PORTCULLIS_X))', { env: { PORTCULLIS_X: 'a[$(rm -f VICTIM)]' } }],
    ['echo ${PORTCULLIS_X@P}', { env: { PORTCULLIS_X: '$(rm -f VICTIM)' } }],
    ['{rm,-f,VICTIM}', {}],
    ['/bin/r[m] -f VICTIM', {}],
    ["$'\\x72m' -f VICTIM", {}],
    ['trap "rm -f VICTIM" EXIT', {}],
    ["git -c core.pager='rm -f VICTIM' log", {}],
    ["tar -cf /dev/null --checkpoint=1 --checkpoint-action=exec='rm -f VICTIM' /etc/hostname", {}],
    ['echo a\u000b; rm -f VICTIM', {}],
    ['cat <<EOF\n$(rm -f VICTIM)\nEOF', {}],
    ['ls', { env: { BASH_ENV: '/tmp/x' } }],
  ] as [string, Record<string, unknown>][])('refuses %j', async (template, options) => {
    const file = await victim();
    const fill = (t: string): string => t.replaceAll('VICTIM', file);
    const opts: Record<string, unknown> = {};
    if (typeof options['stdin'] === 'string') opts['stdin'] = fill(options['stdin']);
    if (options['env'] !== undefined) {
      opts['env'] = Object.fromEntries(
        Object.entries(options['env'] as Record<string, string>).map(([k, v]) => [k, fill(v)]),
      );
    }
    const s = world.ssh.as(agent);
    const outcome = await attempt(s, fill(template), opts);
    await s.end();
    expect(refusal(outcome, file)).toBe(REFUSED);
  });
});
