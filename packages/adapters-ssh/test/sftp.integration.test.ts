// Named SFTP operations against a real OpenSSH server: normalised paths, the server's resolved
// path decided too, masked reads, and what never reached the server.
import { DeniedError } from '@portcullis/core';
import { readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, needs, secrets, SSHD_MISSING, startWorld, type SshWorld } from './fixtures.js';

describe.skipIf(SSHD_MISSING !== undefined)(`sftp on a real sshd${needs}`, () => {
  let world: SshWorld;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  it('reads files as masked text, by absolute, relative and ~ paths', async () => {
    const s = world.ssh.as(agent);
    const sftp = s.sftp();
    expect(await sftp.readFile(path.join(world.allowed, 'plain.txt'))).toBe('hello from the server\n');
    expect(await sftp.readFile('allowed/plain.txt')).toBe('hello from the server\n');
    expect(await sftp.readFile('~/allowed/./x/../plain.txt')).toBe('hello from the server\n');
    const text = await sftp.readFile('~/allowed/secrets.txt');
    expect(text).not.toContain(secrets.awsKey.slice(4));
    expect(text).not.toContain(secrets.github.slice(4));
    expect(text).toContain('[REDACTED');
    // The server's own log shows what it opened, so the absences asserted below mean something.
    expect(world.sshd.log()).toMatch(/open "[^"]*\/allowed\/plain\.txt"/);
    await s.end();
  });

  it('a normalised path outside the allowed directory is denied before the server sees it', async () => {
    const s = world.ssh.as(agent);
    const sftp = s.sftp();
    await sftp.stat('~/allowed');
    const mark = world.sshd.mark();
    await expect(sftp.readFile('~/allowed/../.bashrc')).rejects.toBeInstanceOf(DeniedError);
    await expect(sftp.readFile('/etc/hostname')).rejects.toBeInstanceOf(DeniedError);
    await expect(sftp.readFile('allowed/../../../etc/shadow')).rejects.toBeInstanceOf(DeniedError);
    await new Promise((r) => setTimeout(r, 200));
    const log = world.sshd.logSince(mark);
    expect(log).not.toMatch(/open "[^"]*(bashrc|hostname|shadow)"|realpath "[^"]*(bashrc|hostname|shadow)"/);
    await s.end();
  });

  it('a symlink inside the allowed directory cannot read outside it', async () => {
    const s = world.ssh.as(agent);
    const sftp = s.sftp();
    const mark = world.sshd.mark();
    const err = await sftp.readFile('~/allowed/outside-link').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeniedError);
    expect(JSON.stringify((err as DeniedError).decision.actions)).toContain('/etc/hostname');
    await expect(sftp.readFile('~/allowed/etc-dir/passwd')).rejects.toBeInstanceOf(DeniedError);
    await expect(sftp.readdir('~/allowed/etc-dir')).rejects.toBeInstanceOf(DeniedError);
    await new Promise((r) => setTimeout(r, 200));
    // The server resolved the links, but never opened what they point to.
    expect(world.sshd.logSince(mark)).not.toMatch(/open "\/etc\/|opendir "\/etc/);
    await s.end();
  });

  it('writes, lists, stats, renames, chmods and removes inside the allowed directory', async () => {
    const s = world.ssh.as(agent);
    const sftp = s.sftp();
    await sftp.mkdir('~/allowed/sub', 0o750);
    await sftp.writeFile('~/allowed/sub/new.txt', 'written\n');
    expect(await readFile(path.join(world.allowed, 'sub', 'new.txt'), 'utf8')).toBe('written\n');
    expect((await sftp.stat('~/allowed/sub/new.txt')).size).toBe(8);
    await sftp.chmod('~/allowed/sub/new.txt', 0o600);
    expect((await sftp.stat('~/allowed/sub/new.txt')).mode).toBe(0o600);
    await sftp.rename('~/allowed/sub/new.txt', '~/allowed/sub/renamed.txt');
    const names = (await sftp.readdir('~/allowed/sub')).map((e) => e.name);
    expect(names).toEqual(['renamed.txt']);
    await sftp.unlink('~/allowed/sub/renamed.txt');
    await sftp.rmdir('~/allowed/sub');
    expect((await sftp.readdir('~/allowed')).map((e) => e.name).sort()).toEqual(
      ['etc-dir', 'outside-link', 'plain.txt', 'secrets.txt'].sort(),
    );
    await s.end();
  });

  it('a rename is a write of both paths; a dangling symlink is not written through', async () => {
    const s = world.ssh.as(agent);
    const sftp = s.sftp();
    await expect(sftp.rename('~/allowed/plain.txt', '/tmp/stolen.txt')).rejects.toBeInstanceOf(DeniedError);
    await expect(sftp.rename('/etc/hostname', '~/allowed/h')).rejects.toBeInstanceOf(DeniedError);
    await symlink('/tmp/portcullis-dangling-target', path.join(world.allowed, 'dangling'));
    // The server resolves the link to where it points, which is decided (and denied) too.
    const err = await sftp.writeFile('~/allowed/dangling', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeniedError);
    expect(JSON.stringify((err as DeniedError).decision.actions)).toContain(
      '/tmp/portcullis-dangling-target',
    );
    await writeFile(path.join(world.allowed, 'plain.txt'), 'hello from the server\n');
    await s.end();
  });

  it('offers named operations only: no handles, no raw subsystem', () => {
    const s = world.ssh.as(agent);
    const sftp = s.sftp();
    expect(Object.keys(sftp).sort()).toEqual(
      ['chmod', 'mkdir', 'readFile', 'readdir', 'rename', 'rmdir', 'stat', 'unlink', 'writeFile'].sort(),
    );
    expect(Object.isFrozen(sftp)).toBe(true);
    for (const name of [
      'open',
      'read',
      'write',
      'createReadStream',
      'symlink',
      'subsys',
      'ext_openssh_rename',
    ]) {
      expect((sftp as unknown as Record<string, unknown>)[name]).toBeUndefined();
    }
  });
});
