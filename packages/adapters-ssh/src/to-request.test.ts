import { createHash } from 'node:crypto';
import { loadClassifiers } from '@portcullis/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveSftpPath, toExecPlan, toForwardPlan, toSftpPlan, toShellPlan } from './to-request.js';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('toExecPlan', () => {
  it.each<[string, unknown, Record<string, unknown>]>([
    ['ls -la', undefined, { type: 'command', command: 'ls -la', pty: false }],
    ['  ls  ', {}, { type: 'command', command: '  ls  ', pty: false }],
    ['ls', { env: { LANG: 'C' } }, { type: 'command', command: 'ls', env: { LANG: 'C' }, pty: false }],
    [
      'cat > /tmp/x',
      { stdin: 'data' },
      { type: 'command', command: 'cat > /tmp/x', stdin: { sha256: sha('data'), bytes: 4 }, pty: false },
    ],
    [
      'bash',
      { stdin: 'rm -rf /srv\n' },
      {
        type: 'command',
        command: 'bash',
        stdin: { sha256: sha('rm -rf /srv\n'), bytes: 12, script: 'rm -rf /srv\n' },
        pty: false,
      },
    ],
    [
      'sh -s',
      { stdin: new Uint8Array([108, 115]) },
      { type: 'command', command: 'sh -s', stdin: { sha256: sha('ls'), bytes: 2, script: 'ls' }, pty: false },
    ],
    ...[
      'bash -',
      'sh -',
      'bash -x -',
      '/bin/bash -e -',
      'bash --',
      'bash -s --',
      'bash -euo pipefail -s',
    ].map((command): [string, unknown, Record<string, unknown>] => [
      command,
      { stdin: 'ls\n' },
      { type: 'command', command, stdin: { sha256: sha('ls\n'), bytes: 3, script: 'ls\n' }, pty: false },
    ]),
    [
      // Not a shell reading its script: the stdin is data, and the gate asks whether every
      // command of the line treats it so (ed does not: unknown).
      'ed -s',
      { stdin: '!ls\n' },
      { type: 'command', command: 'ed -s', stdin: { sha256: sha('!ls\n'), bytes: 4 }, pty: false },
    ],
    [
      'python3',
      { stdin: 'import os' },
      { type: 'command', command: 'python3', stdin: { sha256: sha('import os'), bytes: 9 }, pty: false },
    ],
  ])('%j %j → the request classified exactly as sent', (command, options, request) => {
    expect(toExecPlan(command, options).request).toEqual(request);
  });

  it('sends exactly what the request says, and copies the stdin', () => {
    const stdin = Buffer.from('abc');
    const plan = toExecPlan('cat', { stdin, env: { A: '1' }, timeoutMs: 500 });
    stdin[0] = 0x7a;
    expect(plan.command).toBe('cat');
    expect(plan.env).toEqual({ A: '1' });
    expect(plan.stdin?.toString()).toBe('abc');
    expect(plan.timeoutMs).toBe(500);
    expect(toExecPlan('cat').stdin).toBeUndefined();
  });

  it.each<[string, unknown, unknown]>([
    ['a Buffer command', Buffer.from('ls'), undefined],
    ['a number', 42, undefined],
    ['NUL in the command', 'ls\0; rm -rf /', undefined],
    ['a lone high surrogate', 'ls \uD800', undefined],
    ['a lone low surrogate', 'ls \uDC00x', undefined],
    ['an empty command', '   ', undefined],
    ['env not an object', 'ls', { env: 'A=1' }],
    ['env name with =', 'ls', { env: { 'A=B': 'x' } }],
    ['env name with a space', 'ls', { env: { 'A B': 'x' } }],
    ['env value not a string', 'ls', { env: { A: 1 } }],
    ['env value with NUL', 'ls', { env: { A: 'x\0y' } }],
    ['stdin a number', 'cat', { stdin: 5 }],
    ['a pty', 'ls', { pty: true }],
    ['x11', 'ls', { x11: true }],
    ['a zero timeout', 'ls', { timeoutMs: 0 }],
    ['a fractional timeout', 'ls', { timeoutMs: 1.5 }],
    ['stdin to a shell that is not UTF-8', 'bash', { stdin: Buffer.from([0xff, 0xfe]) }],
    ['stdin to a shell with NUL', 'bash', { stdin: 'ls\0' }],
    ['stdin to `bash -` that is not UTF-8', 'bash -', { stdin: Buffer.from([0xff, 0xfe]) }],
  ])('refuses %s with a TypeError', (_name, command, options) => {
    expect(() => toExecPlan(command, options)).toThrow(TypeError);
  });

  it('a surrogate pair is fine', () => {
    expect(toExecPlan('echo 😀').command).toBe('echo 😀');
  });
});

describe('toShellPlan', () => {
  it('is a shell on a terminal', () => {
    expect(toShellPlan({ cols: 120, rows: 40 })).toEqual({
      kind: 'shell',
      request: { type: 'shell', pty: true },
      cols: 120,
      rows: 40,
      term: 'xterm-256color',
    });
    expect(toShellPlan().cols).toBe(80);
  });

  it.each([{ cols: 0 }, { rows: 1001 }, { cols: 1.5 }, { term: 'x\ny' }, { env: {} }, { x11: true }])(
    'refuses %j',
    (options) => {
      expect(() => toShellPlan(options)).toThrow(TypeError);
    },
  );
});

describe('resolveSftpPath', () => {
  it.each([
    ['/etc/hosts', '/etc/hosts'],
    ['/tmp/../etc/shadow', '/etc/shadow'],
    ['/../../etc/passwd', '/etc/passwd'],
    ['/var//www/./html/', '/var/www/html'],
    ['~', '/home/app'],
    ['~/', '/home/app'],
    ['~/notes.txt', '/home/app/notes.txt'],
    ['~/../../etc/shadow', '/etc/shadow'],
    ['notes.txt', '/home/app/notes.txt'],
    ['./a/../b', '/home/app/b'],
    ['../../../etc/shadow', '/etc/shadow'],
    ['/', '/'],
    ['~x', undefined],
    ['', undefined],
    ['/a\0b', undefined],
    ['/a\uD800', undefined],
  ])('%j → %j', (raw, expected) => {
    if (expected === undefined) expect(() => resolveSftpPath(raw, '/home/app')).toThrow(TypeError);
    else expect(resolveSftpPath(raw, '/home/app')).toBe(expected);
  });
});

describe('toSftpPlan', () => {
  it.each<[string, unknown[], Record<string, unknown>]>([
    ['readFile', ['x.txt'], { type: 'sftp', mode: 'read', path: '/home/app/x.txt', operation: 'readFile' }],
    ['readdir', ['/srv/'], { type: 'sftp', mode: 'read', path: '/srv', operation: 'readdir' }],
    ['stat', ['~'], { type: 'sftp', mode: 'read', path: '/home/app', operation: 'stat' }],
    [
      'writeFile',
      ['/srv/a', 'hi'],
      { type: 'sftp', mode: 'write', path: '/srv/a', operation: 'writeFile', contentSha256: sha('hi') },
    ],
    ['mkdir', ['d'], { type: 'sftp', mode: 'write', path: '/home/app/d', operation: 'mkdir' }],
    [
      'mkdir',
      ['d', 0o700],
      { type: 'sftp', mode: 'write', path: '/home/app/d', operation: 'mkdir', permissions: 0o700 },
    ],
    ['rmdir', ['/srv/d'], { type: 'sftp', mode: 'write', path: '/srv/d', operation: 'rmdir' }],
    ['unlink', ['/srv/a/../b'], { type: 'sftp', mode: 'write', path: '/srv/b', operation: 'unlink' }],
    [
      'rename',
      ['a', '/etc/b'],
      { type: 'sftp', mode: 'write', path: '/home/app/a', operation: 'rename', to: '/etc/b' },
    ],
    [
      'chmod',
      ['/srv/a', 0o644],
      { type: 'sftp', mode: 'write', path: '/srv/a', operation: 'chmod', permissions: 0o644 },
    ],
  ])('%s %j', (operation, args, request) => {
    expect(toSftpPlan(operation as never, args, '/home/app').request).toEqual(request);
  });

  it.each<[string, unknown[]]>([
    ['open', ['/a']],
    ['readFile', [Buffer.from('/a')]],
    ['rename', ['/a']],
    ['chmod', ['/a', '644']],
    ['chmod', ['/a', 0o17777]],
    ['writeFile', ['/a', 42]],
  ])('refuses %s %j', (operation, args) => {
    expect(() => toSftpPlan(operation as never, args, '/home/app')).toThrow(TypeError);
  });
});

describe('toForwardPlan', () => {
  beforeAll(async () => {
    await loadClassifiers();
  });

  it.each<[string, number, string]>([
    ['db.internal', 5432, 'db.internal'],
    ['DB.Internal.', 5432, 'db.internal'],
    ['127.1', 22, '127.0.0.1'],
    ['0x7f.0.0.1', 22, '127.0.0.1'],
    ['2130706433', 22, '127.0.0.1'],
    ['::ffff:169.254.169.254', 80, '169.254.169.254'],
    ['169.254.43518', 80, '169.254.169.254'],
    ['[::1]', 8080, '::1'],
    ['0:0:0:0:0:0:0:1', 8080, '::1'],
  ])('%s:%d is sent and decided as %s', (host, port, canonical) => {
    const plan = toForwardPlan(host, port);
    expect(plan.host).toBe(canonical);
    expect(plan.request).toEqual({ type: 'forward', host: canonical, port });
  });

  it.each<[unknown, unknown]>([
    [1, 22],
    ['db', 0],
    ['db', 65536],
    ['db', '22'],
    ['db\0x', 22],
  ])('refuses %j:%j', (host, port) => {
    expect(() => toForwardPlan(host, port)).toThrow(TypeError);
  });
});
