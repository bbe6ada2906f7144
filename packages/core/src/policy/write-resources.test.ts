// Shell writes against rules on paths. The attacks: another spelling of a denied path (`//`,
// `/./`, `..`) is not the path the rule names; a deny or review rule on one file is not met by a
// command that writes the whole directory around it (`DIR/`: anything under DIR); an allow rule
// that names the directory alone allows everything in it.
import { beforeAll, describe, expect, it } from 'vitest';
import { classifyShellCommand, loadShellClassifier } from '../classify/shell.js';
import type { Effect, Principal } from '../types.js';
import { evaluate } from './evaluate.js';
import { parsePolicy } from './load-policy.js';

const ops: Principal = { subject: 'alice', groups: ['ops'], kind: 'human' };

const policyWith = (rules: string): ReturnType<typeof parsePolicy> =>
  parsePolicy(`version: 1
targets:
  bastion: { protocol: ssh }
rules:
  - id: run-anything
    effect: allow
    when: { operations: [exec] }
${rules}`);

/** Every write allowed except those to `fixed` (rule `fixed-files`). */
const anyWriteBut = (...fixed: string[]): ReturnType<typeof parsePolicy> =>
  policyWith(`
  - id: writes
    effect: allow
    when: { operations: [write], resources: ['*'] }
  - id: fixed-files
    effect: deny
    when: { operations: [write], resources: ${JSON.stringify(fixed)} }
`);

const decide = (policy: ReturnType<typeof parsePolicy>, line: string): Effect =>
  evaluate(policy, { principal: ops, target: 'bastion', actions: classifyShellCommand(line) }).effect;

beforeAll(async () => {
  await loadShellClassifier();
});

describe('a deny rule on a file inside a directory that a command writes into', () => {
  const policy = policyWith(`
  - id: etc-writes
    effect: allow
    when: { operations: [write], resources: ['/etc', '/etc/*'] }
  - id: sshd-config-is-fixed
    effect: deny
    when: { operations: [write], resources: [/etc/ssh/sshd_config] }
  - id: keys-need-review
    effect: review
    when: { operations: [write], resources: ['/home/*/.ssh/authorized_keys'] }
    review: { approvers: { groups: [security] } }
  - id: home-writes
    effect: allow
    when: { operations: [write], resources: ['/home', '/home/*'] }
`);

  it.each([
    'rm -rf /etc/ssh',
    'rm -rf /etc/ssh/',
    'rm -rf /etc/ssh/*',
    'rm -rf /etc',
    'tar -xf /tmp/evil.tar -C /etc/ssh',
    'cp -r /tmp/evil /etc/ssh',
    'mv /etc/ssh.new /etc/ssh',
    'chmod -R 777 /etc/ssh',
    'unzip -o /tmp/evil.zip -d /etc/ssh',
  ])('%s is denied', (line) => {
    expect(decide(policy, line)).toBe('deny');
  });

  it.each([
    'tar -xf /tmp/keys.tar -C /home/bob',
    'rm -rf /home/bob',
    'cp -r /tmp/dotfiles/. /home/bob/',
    // In a path `*` crosses `/`: /home/bob/build/x/.ssh/authorized_keys is one the rule names.
    'rm -rf /home/bob/build',
  ])('%s needs the review a file inside asks for', (line) => {
    expect(decide(policy, line)).toBe('review');
  });

  it.each([
    'rm -rf /etc/nginx',
    'tar -xf /tmp/site.tar -C /etc/nginx',
    'echo x > /etc/hosts',
    'echo x > /home/bob/notes.txt',
  ])('%s, which cannot touch those files, is still allowed', (line) => {
    expect(decide(policy, line)).toBe('allow');
  });
});

describe('an allow rule that names the directory but not everything in it', () => {
  const policy = policyWith(`
  - id: app-dir-itself
    effect: allow
    when: { operations: [write], resources: [/srv/app, /srv/app/, '/srv/app/*.log'] }
`);

  it.each(['rm -rf /srv/app', 'tar -xf /tmp/x.tar -C /srv/app', 'cp -r /tmp/x /srv/app/'])(
    '%s is not allowed by it',
    (line) => {
      expect(decide(policy, line)).toBe('deny');
    },
  );

  it('a write of the named file alone is', () => {
    expect(decide(policy, 'echo x > /srv/app/today.log')).toBe('allow');
  });
});

describe('another spelling of a path a rule names', () => {
  const policy = policyWith(`
  - id: etc-writes
    effect: allow
    when: { operations: [write], resources: ['/etc/*', '/srv/app/*'] }
  - id: passwd-is-fixed
    effect: deny
    when: { operations: [write], resources: [/etc/passwd] }
`);

  it.each([
    'echo x >> //etc/passwd',
    'echo x >> /etc//passwd',
    'echo x >> /etc/./passwd',
    'echo x >> /etc/ssh/../passwd',
    'echo x >> /srv/app/../../etc/passwd',
    'cp /tmp/x /etc/ssh/../passwd',
    'rm -rf /etc/ssh/..',
    'tar -xf /tmp/x.tar -C /srv/app/../../etc',
  ])('%s is denied', (line) => {
    expect(decide(policy, line)).toBe('deny');
  });

  it.each(['echo x >> /etc//hosts', 'echo x >> /srv/app/./logs/../today.log'])('%s is allowed', (line) => {
    expect(decide(policy, line)).toBe('allow');
  });

  it('a write is reported in one spelling', () => {
    expect(classifyShellCommand('echo x > /srv//app/./a/../b.log')).toContainEqual({
      operation: 'write',
      resource: '/srv/app/b.log',
    });
    expect(classifyShellCommand('rm -rf /srv/app/..')).toEqual(
      expect.arrayContaining([
        { operation: 'write', resource: '/srv' },
        { operation: 'write', resource: '/srv/' },
      ]),
    );
    // A relative path stays relative: where it climbs to depends on the working directory.
    expect(classifyShellCommand('echo x > ./a/../../b')).toContainEqual({
      operation: 'write',
      resource: '../b',
    });
  });
});

describe('a relative path after the working directory changes', () => {
  const policy = anyWriteBut('/etc/passwd', '/etc/ssh/sshd_config');

  it.each([
    'cd /etc && echo x > passwd',
    'cd /etc; rm -rf ssh',
    'cd /etc/ssh && rm sshd_config',
    'cd /etc && cd ssh && rm sshd_config',
    'cd /etc/nginx && cd ../ssh && rm -f sshd_config',
    'cd /etc && tar -xf /tmp/x.tar',
    'pushd /etc/ssh && rm sshd_config',
    '(cd /etc && rm passwd)',
    'f() { cd /etc; }; f; rm passwd',
    "bash -c 'cd /etc && rm passwd'",
    'env -C /etc rm passwd',
    'env --chdir=/etc rm passwd',
    'sudo -D /etc rm passwd',
    'sudo --chdir /etc rm passwd',
    'cd /etc && find . -name passwd -delete',
  ])('%s is denied', (line) => {
    expect(decide(policy, line)).toBe('deny');
  });

  it.each([
    'cd - && rm passwd',
    'cd && rm passwd',
    'cd "$D" && rm passwd',
    'popd && rm passwd',
    'env -C /et? rm passwd',
    'cd /et* && rm passwd',
    'CDPATH=/etc; cd ssh && rm sshd_config',
    'export CDPATH=/etc; cd ssh && rm sshd_config',
    'shopt -s autocd; /etc; rm passwd',
    'chroot /mnt rm -rf /etc/x',
    'sudo -R /mnt rm -rf /etc/x',
  ])('%s cannot be placed: not allowed by a rule that names no unknown', (line) => {
    expect(decide(policy, line)).toBe('deny');
    expect(classifyShellCommand(line)).toContainEqual({ operation: 'unknown' });
  });

  it.each(['cd /tmp && rm -rf build', 'cd /srv/app && echo x > passwd', 'cd ssh && rm x', 'cd /tmp && ls'])(
    '%s is allowed',
    (line) => {
      expect(decide(policy, line)).toBe('allow');
    },
  );

  it('a relative write is reported against each directory it may run in', () => {
    expect(classifyShellCommand('cd /srv/app && rm -rf build')).toEqual(
      expect.arrayContaining([
        { operation: 'write', resource: 'build' },
        { operation: 'write', resource: 'build/' },
        { operation: 'write', resource: '/srv/app/build' },
        { operation: 'write', resource: '/srv/app/build/' },
      ]),
    );
  });
});

describe('a link to a path a rule names', () => {
  const policy = anyWriteBut('/etc/passwd', '/etc/ssh/*');

  // Whatever is written through a link lands in its target: making one is a write of both
  // paths, as an SFTP link or symlink is.
  it.each([
    'ln -s /etc/passwd /tmp/p && echo x >> /tmp/p',
    'ln /etc/passwd /tmp/p',
    'ln -sf /etc/ssh /tmp/s',
    'ln -s -t /tmp /etc/passwd',
    'ln -s ../etc/passwd /tmp/p',
    'cd /tmp && ln -s ../etc/passwd p',
    'cp -s /etc/passwd /tmp/p',
    'cp -l /etc/passwd /tmp/p',
    'link /etc/passwd /tmp/p',
  ])('%s is denied', (line) => {
    expect(decide(policy, line)).toBe('deny');
  });

  it.each(['ln -s /usr/bin/python3 /tmp/python', 'cp /etc/passwd /tmp/p'])('%s is allowed', (line) => {
    expect(decide(policy, line)).toBe('allow');
  });
});

describe('programs that rewrite a file in place', () => {
  const policy = anyWriteBut('/etc/passwd');

  it.each([
    'sponge /etc/passwd',
    'dos2unix /etc/passwd',
    'unix2dos -q /etc/passwd',
    'dos2unix -n /tmp/x /etc/passwd',
    'setfattr -n user.x -v 1 /etc/passwd',
    'shuf -o /etc/passwd /tmp/x',
    'yq -i .a=1 /etc/passwd',
    'less -o /etc/passwd /tmp/x',
    'ssh -E /etc/passwd host true',
    // account tools write the account files themselves
    'useradd mallory',
    'usermod -aG sudo mallory',
    'echo root:x | chpasswd',
    'passwd -d root',
    'vipw',
    // a mount makes one path another's alias: what is written under it lands there
    'mount --bind /etc /tmp/e',
    'mount -o bind /etc /tmp/e',
    'umount /etc',
  ])('%s is denied', (line) => {
    expect(decide(policy, line)).toBe('deny');
  });
});

it('sponge reads its stdin as data and writes its file', () => {
  expect(classifyShellCommand('sort /tmp/a | sponge /tmp/a')).toEqual([
    { operation: 'exec', resource: 'sort /tmp/a' },
    { operation: 'exec', resource: 'sponge /tmp/a' },
    { operation: 'write', resource: '/tmp/a' },
  ]);
  expect(classifyShellCommand('setfattr --restore=/tmp/dump')).toContainEqual({ operation: 'unknown' });
  // Under another root the account files are elsewhere.
  expect(classifyShellCommand('useradd -R /mnt mallory')).toContainEqual({ operation: 'unknown' });
  expect(classifyShellCommand('useradd -m -d /srv/m mallory')).toEqual(
    expect.arrayContaining([
      { operation: 'write', resource: '/etc/shadow' },
      { operation: 'write', resource: '/srv/m/' },
    ]),
  );
});

describe('a path that starts with a tilde', () => {
  const policy = anyWriteBut('/etc/passwd', '/root/.ssh/authorized_keys');

  // ~user is that user's home, ~+ the working directory, ~- the last one: none is known here.
  it.each([
    'echo key >> ~root/.ssh/authorized_keys',
    'cd /etc && echo x >> ~+/passwd',
    'cd /etc && cd /tmp && echo x >> ~-/passwd',
    'echo x >> ~/../../etc/passwd',
    'echo x >> ~//../../etc/passwd',
    'dd of=~root/.ssh/authorized_keys',
  ])('%s cannot be placed', (line) => {
    expect(decide(policy, line)).toBe('deny');
    expect(classifyShellCommand(line)).toContainEqual({ operation: 'unknown' });
  });

  it('~/ is the home directory (and, were it quoted, a name in the working directory)', () => {
    expect(classifyShellCommand('echo x > ~//notes.txt')).toContainEqual({
      operation: 'write',
      resource: '~/notes.txt',
    });
    const actions = classifyShellCommand('cd /etc && echo x > ~/a/../notes.txt');
    expect(actions).toHaveLength(4);
    expect(actions).toEqual(
      expect.arrayContaining([
        { operation: 'exec', resource: 'cd /etc' },
        { operation: 'exec', resource: 'echo x' },
        { operation: 'write', resource: '~/notes.txt' },
        { operation: 'write', resource: '/etc/~/notes.txt' },
      ]),
    );
  });
});
