// Interactive shells against a real OpenSSH server: review, a real terminal, masked output,
// input and output recorded with timings, exported to asciicast v2.
import { ReviewRequiredError, toAsciicast } from '@portcullis/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatedShell } from '../src/index.js';
import { agent, bob, needs, secrets, SSHD_MISSING, startWorld, type SshWorld } from './fixtures.js';

/** Reads from the shell until `pattern` shows up (or 10 s pass). */
async function readUntil(shell: GatedShell, pattern: RegExp): Promise<string> {
  let text = '';
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`timed out waiting for ${String(pattern)}; got ${JSON.stringify(text)}`));
    }, 10_000);
    const onData = (chunk: Buffer | string): void => {
      text += chunk.toString();
      if (pattern.test(text)) {
        clearTimeout(timer);
        shell.off('data', onData);
        resolve(text);
      }
    };
    shell.on('data', onData);
  });
}

describe.skipIf(SSHD_MISSING !== undefined)(`shell on a real sshd${needs}`, () => {
  let world: SshWorld;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  it('needs review; once approved it is a real terminal whose output is masked and recorded', async () => {
    const s = world.ssh.as(agent);
    const mark = world.sshd.mark();
    const err = await s.shell({ cols: 100, rows: 30 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReviewRequiredError);
    expect(world.sshd.logSince(mark)).not.toMatch(/req shell|req pty-req/);
    await world.portcullis.approvals.approve((err as ReviewRequiredError).approvalId, bob);

    const shell = await s.shell({ cols: 100, rows: 30 });
    shell.write('tty; stty size\n');
    const ttyOut = await readUntil(shell, /30 100/);
    expect(ttyOut).toMatch(/\/dev\/pts\/\d+/);
    const half = Math.floor(secrets.awsKey.length / 2);
    shell.write(
      `printf '%s' '${secrets.awsKey.slice(0, half)}'; sleep 0.3; printf '%s\\n' '${secrets.awsKey.slice(half)}'; echo done-marker\n`,
    );
    const out = await readUntil(shell, /done-marker\r?\n/);
    expect(out).not.toContain(secrets.awsKey.slice(4));
    shell.resize(120, 40);
    shell.write('stty size; exit\n');
    await readUntil(shell, /40 120/);
    expect(await shell.exit).toEqual({ code: 0, signal: null });
    await s.end();

    const recorded = world.recordings().at(-1)!;
    const text = JSON.stringify(recorded.events);
    expect(text).not.toContain(secrets.awsKey.slice(4));
    const outputs = recorded.events
      .filter((e) => e.type === 'output')
      .map((e) => e.data as Record<string, unknown>);
    expect(outputs.some((o) => o['stream'] === 'stdin' && String(o['data']).includes('tty; stty size'))).toBe(
      true,
    );
    expect(outputs.some((o) => o['stream'] === 'stdout')).toBe(true);
    for (const o of outputs) expect(typeof o['elapsed']).toBe('number');
    const cast = toAsciicast(recorded, { width: 100, height: 30 }).trim().split('\n');
    expect(JSON.parse(cast[0]!)).toMatchObject({ version: 2, width: 100, height: 30 });
    const frames = cast.slice(1).map((l) => JSON.parse(l) as [number, string, string]);
    expect(frames.some((f) => f[1] === 'i')).toBe(true);
    expect(frames.some((f) => f[1] === 'o' && f[2].includes('done-marker'))).toBe(true);
    for (let i = 1; i < frames.length; i++) expect(frames[i]![0]).toBeGreaterThanOrEqual(frames[i - 1]![0]);
  });
});
