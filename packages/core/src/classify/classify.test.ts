import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Action, ClassifyContext, Request } from '../types.js';
import { classifyRequest, loadClassifiers } from './classify.js';
import { classifyKubeRequest } from './kubernetes.js';
import { classifyShellCommand } from './shell.js';
import { classifySql } from './sql.js';

const UNKNOWN: Action[] = [{ operation: 'unknown' }];

describe('before loading', () => {
  it('throws a TypeError', () => {
    expect(() => classifyRequest({ type: 'shell' })).toThrow(TypeError);
  });
});

describe('classifyRequest', () => {
  beforeAll(async () => {
    await loadClassifiers();
  });

  it('loading is idempotent', async () => {
    await expect(Promise.all([loadClassifiers(), loadClassifiers()])).resolves.toBeDefined();
  });

  it('sends SQL to the SQL classifier, with the context', () => {
    expect(classifyRequest({ type: 'sql', sql: 'SELECT * FROM orders' })).toEqual(
      classifySql('SELECT * FROM orders'),
    );
    expect(classifyRequest({ type: 'sql', sql: 'SELECT * FROM orders' })).toContainEqual({
      operation: 'select',
      resource: 'orders',
    });
    const context: ClassifyContext = {
      preparedStatements: new Map([['p', [{ operation: 'delete', resource: 'users' }]]]),
    };
    expect(classifyRequest({ type: 'sql', sql: 'EXECUTE p' }, context)).toEqual(
      classifySql('EXECUTE p', context),
    );
  });

  it('sends command lines to the shell classifier', () => {
    expect(classifyRequest({ type: 'command', command: 'ls | xargs rm' })).toEqual(
      classifyShellCommand('ls | xargs rm'),
    );
  });

  it('sends Kubernetes calls to the Kubernetes classifier', () => {
    const request: Request = {
      type: 'kube',
      method: 'GET',
      path: '/api/v1/namespaces/prod/pods/web-1/exec?command=sh&stdin=true',
    };
    expect(classifyRequest(request)).toEqual(classifyKubeRequest(request));
    expect(classifyRequest(request)).toEqual([
      { operation: 'exec', resource: 'namespaces/prod/pods/web-1/exec' },
      { operation: 'command', resource: 'sh' },
      { operation: 'shell', resource: 'namespaces/prod/pods/web-1' },
    ]);
  });

  it.each<[string, Record<string, string>, string[]]>([
    ['ls', { LANG: 'C' }, ['exec env LANG=C ls', 'exec ls']],
    ['ls', { A: 'x y', B: "it's" }, ["exec env A=x y B=it's ls", 'exec ls']],
    ['ls', { LD_PRELOAD: '/tmp/x.so' }, ['exec env LD_PRELOAD=/tmp/x.so ls', 'unknown', 'exec ls']],
    [
      'ls; rm -rf /x',
      { BASH_ENV: '/tmp/x' },
      ['exec env BASH_ENV=/tmp/x ls', 'unknown', 'exec ls', 'exec rm -rf /x', 'write /x', 'write /x/'],
    ],
    ['ls', {}, ['exec ls']],
  ])('exec %j with env %j is classified as an env prefix', (command, env, expected) => {
    const actions = classifyRequest({ type: 'command', command, env }).map((a) =>
      a.resource === undefined ? a.operation : `${a.operation} ${a.resource}`,
    );
    expect(actions).toEqual(expected);
  });

  it.each([{ 'A B': 'x' }, { 'A=B': 'x' }, { '1A': 'x' }, { A: 1 }, ['A=x'], 'A=x', null])(
    'exec with env %j is unknown',
    (env) => {
      expect(classifyRequest({ type: 'command', command: 'ls', env } as unknown as Request)).toEqual(UNKNOWN);
    },
  );

  it.each<[string, string, string[]]>([
    // rm is not a program known never to read stdin (`rm -i` does): the script stays unknown.
    [
      'bash',
      'rm -rf /srv',
      ["exec bash -c 'rm -rf /srv'", 'exec rm -rf /srv', 'write /srv', 'write /srv/', 'unknown'],
    ],
    ['sh -s', 'ls', ['exec sh -c ls', 'exec ls']],
    [
      '/bin/bash -e',
      'cat /etc/shadow',
      ['exec /bin/bash -c cat /etc/shadow', 'exec bash -c cat /etc/shadow', 'exec cat /etc/shadow'],
    ],
  ])('stdin given to %j is classified as a command line', (command, script, expected) => {
    const stdin = { sha256: '0'.repeat(64), bytes: script.length, script };
    const actions = classifyRequest({ type: 'command', command, stdin }).map((a) =>
      a.resource === undefined ? a.operation : `${a.operation} ${a.resource}`,
    );
    expect(actions).toEqual(expected.map((e) => e.replaceAll("'", '')));
  });

  it.each(['bash script.sh', 'python3', 'cat'])(
    'a script with %j, which does not read one, is unknown',
    (command) => {
      const stdin = { sha256: '0'.repeat(64), bytes: 2, script: 'ls' };
      expect(classifyRequest({ type: 'command', command, stdin })).toEqual(UNKNOWN);
    },
  );

  it.each(['bash', 'sh', 'python3', 'perl', 'sudo bash', 'env bash'])(
    'stdin without a script given to the interpreter %j is unknown',
    (command) => {
      const stdin = { sha256: '0'.repeat(64), bytes: 2 };
      expect(classifyRequest({ type: 'command', command, stdin })).toContainEqual({ operation: 'unknown' });
    },
  );

  /** The actions of a command request with `stdin` given, as `operation resource` strings. */
  function withStdin(command: string, script?: string, env?: Record<string, string>): string[] {
    const stdin = { sha256: '0'.repeat(64), bytes: 1, ...(script === undefined ? {} : { script }) };
    return classifyRequest({ type: 'command', command, stdin, ...(env === undefined ? {} : { env }) }).map(
      (a) => (a.resource === undefined ? a.operation : `${a.operation} ${a.resource}`),
    );
  }

  it.each([
    ['bash -', ['exec bash -c rm -f v', 'exec rm -f v', 'write v', 'unknown']],
    ['sh -', ['exec sh -c rm -f v', 'exec rm -f v', 'write v', 'unknown']],
    ['bash -x -', ['exec bash -c rm -f v', 'exec rm -f v', 'write v', 'unknown']],
    [
      '/bin/bash -e -',
      ['exec /bin/bash -c rm -f v', 'exec bash -c rm -f v', 'exec rm -f v', 'write v', 'unknown'],
    ],
    ['bash --', ['exec bash -c rm -f v', 'exec rm -f v', 'write v', 'unknown']],
    ['bash -s --', ['exec bash -c rm -f v', 'exec rm -f v', 'write v', 'unknown']],
    ['bash -eu -o pipefail -s', ['exec bash -c rm -f v', 'exec rm -f v', 'write v', 'unknown']],
    ['dash +x --norc -', ['unknown']],
  ])(
    'a shell reading its script from stdin, spelled %j, has it classified (rm may read it: unknown too)',
    (command, expected) => {
      expect(withStdin(command, 'rm -f v')).toEqual(expected);
    },
  );

  it.each([
    ['ed -s', '!rm -f v\nq\n'],
    ['vi -es', ':!rm -f v\n:q!\n'],
    ['make -f -', 'all:\n\trm -f v\n'],
    ['sqlite3', '.shell rm -f v\n'],
    ['true; bash', 'rm -f v'],
    ['cat x && python3', 'import os'],
    ['cat | bash', 'rm -f v'],
    ['cat | ed -s', '!rm -f v'],
    ['base64 -d | sh', 'cm0gLWYgdgo='],
    ['(grep x; awk -f -)', 'BEGIN { system("rm -f v") }'],
    ['echo $(cat) | xargs rm', 'v'],
    ['read x; $x', 'rm -f v'],
    ['sort -o /etc/passwd', 'root::0:0::/:/bin/sh'],
    ['sort --compress-program=sh', 'rm -f v'],
    ['uniq - /etc/passwd', 'x'],
    ['gzip f', 'x'],
    ['sha256sum -c', 'x  /etc/shadow'],
    ['./cat', 'x'],
    ['/tmp/cat', 'x'],
    ['cat() { bash; }; cat', 'rm -f v'],
    ['sudo cat', 'x'],
  ])('stdin to %j, which a program could run as commands, is unknown', (command) => {
    expect(withStdin(command)).toContain('unknown');
  });

  it.each([
    ['sqlite3 in the script', 'sqlite3\n.shell rm -f v\n'],
    ['ed in the script', 'ed -s\n!rm -f v\nq\n'],
    // head reads exactly 6 bytes: bash then parses `x⏎rm -f v #'` — not what was classified.
    ['a reader desynchronising the parse', "head -c 6\necho 'x\nrm -f v #'\n"],
    ['a nested shell', 'bash\nrm -f v\n'],
    ['cat, which could stop early', 'cat | head -c 1\nrm -f v\n'],
  ])('a script with %s, whose commands share its stdin, is unknown', (_name, script) => {
    expect(withStdin('bash', script)).toContain('unknown');
  });

  it.each<[string, string | undefined, string[]]>([
    ['cat > /srv/app/config.yml', undefined, ['write /srv/app/config.yml', 'exec cat']],
    ['grep foo', undefined, ['exec grep foo']],
    [
      'sort | uniq -c | sort -rn | head -5',
      undefined,
      ['exec sort', 'exec uniq -c', 'exec sort -rn', 'exec head -5'],
    ],
    ['tee -a /tmp/log', undefined, ['exec tee -a /tmp/log', 'write /tmp/log']],
    ['gunzip -c | wc -l', undefined, ['exec gunzip -c', 'exec wc -l']],
    [
      '/usr/bin/base64 -d > /tmp/blob',
      undefined,
      ['write /tmp/blob', 'exec /usr/bin/base64 -d', 'exec base64 -d'],
    ],
    ['cd /srv && cat > x', undefined, ['exec cd /srv', 'exec cat', 'write x', 'write /srv/x']],
    [
      'bash',
      'echo one; ls -la /tmp',
      ['exec bash -c echo one; ls -la /tmp', 'exec echo one', 'exec ls -la /tmp'],
    ],
    ['bash', 'cat /etc/hostname', ['exec bash -c cat /etc/hostname', 'exec cat /etc/hostname']],
    [
      'sh -s',
      'mkdir -p /tmp/x && printf ok',
      [
        'exec sh -c mkdir -p /tmp/x && printf ok',
        'exec mkdir -p /tmp/x',
        'write /tmp/x',
        'write /tmp',
        'exec printf ok',
      ],
    ],
  ])('stdin to %j is data: classified as usual', (command, script, expected) => {
    expect(withStdin(command, script)).toEqual(expected);
  });

  it.each([
    ['LC_ALL', 'zh_TW.BIG5'],
    ['LC_CTYPE', 'ja_JP.SJIS'],
    ['LANG', 'zh_CN.GBK'],
    ['LANG', 'zh_CN.GB18030'],
    ['LC_ALL', '/tmp/evil/xx.UTF-8'],
    ['LC_ALL', 'en_US'],
    ['LC_ALL', ''],
    ['LOCPATH', '/tmp/evil'],
  ])('exec env %s=%j, which could change how bash reads bytes, is unknown', (name, value) => {
    expect(classifyRequest({ type: 'command', command: 'echo a', env: { [name]: value } })).toContainEqual({
      operation: 'unknown',
    });
  });

  it.each([
    ['LANG', 'en_US.UTF-8'],
    ['LC_ALL', 'C'],
    ['LC_ALL', 'POSIX'],
    ['LC_CTYPE', 'C.utf8'],
    ['LANG', 'de_DE.utf-8'],
    ['LANG', 'sr_RS.UTF-8@latin'],
  ])('exec env %s=%j is an ordinary environment', (name, value) => {
    expect(
      classifyRequest({ type: 'command', command: 'echo a', env: { [name]: value } }),
    ).not.toContainEqual({
      operation: 'unknown',
    });
  });

  it('a rename writes both paths; a second path on a read is unknown', () => {
    expect(classifyRequest({ type: 'sftp', mode: 'write', path: '/a/../b', to: '/c/./d' })).toEqual([
      { operation: 'sftp_write', resource: '/b' },
      { operation: 'sftp_write', resource: '/c/d' },
    ]);
    expect(classifyRequest({ type: 'sftp', mode: 'read', path: '/a', to: '/b' })).toEqual(UNKNOWN);
    expect(classifyRequest({ type: 'sftp', mode: 'write', path: '/a', to: '../b' })).toEqual(UNKNOWN);
  });

  it('an interactive shell is one shell action', () => {
    expect(classifyRequest({ type: 'shell' })).toEqual([{ operation: 'shell' }]);
  });

  it.each([
    ['read', '/etc/hosts', 'sftp_read /etc/hosts'],
    ['read', '/tmp/../etc/shadow', 'sftp_read /etc/shadow'],
    ['write', '/var//www/./html/index.html', 'sftp_write /var/www/html/index.html'],
    ['write', '/srv/app/', 'sftp_write /srv/app'],
    ['read', '/../../etc/passwd', 'sftp_read /etc/passwd'],
    ['read', 'reports/q1.csv', 'sftp_read reports/q1.csv'],
    ['read', 'a/../b', 'sftp_read b'],
    ['read', '/', 'sftp_read /'],
  ] as const)('sftp %s %s', (mode, path, expected) => {
    const [operation, resource] = expected.split(' ') as [string, string];
    expect(classifyRequest({ type: 'sftp', mode, path })).toEqual([{ operation, resource }]);
  });

  it.each(['', '../etc/passwd', 'a/../../b', '/tmp/x\0y'])('sftp path %j is unknown', (path) => {
    expect(classifyRequest({ type: 'sftp', mode: 'read', path })).toEqual(UNKNOWN);
  });

  it.each([
    ['db.internal', 5432, 'db.internal:5432'],
    ['DB.Internal', 5432, 'db.internal:5432'],
    ['127.0.0.1', 22, '127.0.0.1:22'],
    ['::1', 8080, '[::1]:8080'],
    ['[fe80::1]', 443, '[fe80::1]:443'],
    // Spellings the server's resolver reads as the same address.
    ['127.1', 22, '127.0.0.1:22'],
    ['0x7f.0.0.1', 22, '127.0.0.1:22'],
    ['2130706433', 22, '127.0.0.1:22'],
    ['0177.0.0.1', 22, '127.0.0.1:22'],
    ['169.254.43518', 80, '169.254.169.254:80'],
    ['::ffff:169.254.169.254', 80, '169.254.169.254:80'],
    ['0:0:0:0:0:0:0:1', 22, '[::1]:22'],
    ['LOCALHOST.', 22, 'localhost:22'],
    ['bücher.example', 443, 'xn--bcher-kva.example:443'],
  ] as const)('forward %s %d', (host, port, resource) => {
    expect(classifyRequest({ type: 'forward', host, port })).toEqual([{ operation: 'forward', resource }]);
  });

  it.each([
    ['', 22],
    ['db', -1],
    ['db', 65536],
    ['db', 22.5],
    ['db/x', 22],
    ['user@db', 22],
    ['local%68ost', 22],
    ['08.1.1.1', 22],
    ['.', 22],
  ] as const)('forward %j %d is unknown', (host, port) => {
    expect(classifyRequest({ type: 'forward', host, port })).toEqual(UNKNOWN);
  });

  it('malformed requests are unknown, never an exception', () => {
    const bad: unknown[] = [
      null,
      undefined,
      42,
      'ls',
      {},
      { type: 'nope' },
      { type: 'sql' },
      { type: 'sql', sql: 1 },
      { type: 'command', command: ['ls'] },
      { type: 'sftp', mode: 'append', path: '/x' },
      { type: 'forward', host: 'db', port: '22' },
      { type: 'kube', method: 'GET' },
    ];
    for (const request of bad) {
      expect(classifyRequest(request as Request)).toContainEqual({ operation: 'unknown' });
    }
  });

  it('never throws for random request objects', () => {
    const request = fc.oneof(
      fc.record({ type: fc.constant('sql'), sql: fc.string() }),
      fc.record({ type: fc.constant('command'), command: fc.string() }),
      fc.record({
        type: fc.constant('sftp'),
        mode: fc.constantFrom('read', 'write', 'x'),
        path: fc.string(),
      }),
      fc.record({
        type: fc.constant('forward'),
        host: fc.string(),
        port: fc.oneof(fc.integer(), fc.double()),
      }),
      fc.record({ type: fc.constant('kube'), method: fc.string(), path: fc.string() }),
      fc.anything(),
    );
    fc.assert(
      fc.property(request, (r) => {
        const actions = classifyRequest(r as Request);
        expect(actions.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });
});
