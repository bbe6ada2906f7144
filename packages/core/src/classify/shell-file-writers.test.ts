// Programs that write, create, remove or re-permission files, and programs that run commands of
// their own, beside the program oracle (packages/core/test/program-oracle.test.ts), which runs the
// real programs: these cases are the ones it cannot run here (network, servers, terminals, SELinux,
// programs not installed) or that must be refused. Each expectation was reviewed by hand.
import { beforeAll, describe, expect, it } from 'vitest';
import { classifyShellCommand, loadShellClassifier } from './shell.js';

beforeAll(async () => {
  await loadShellClassifier();
});

const show = (line: string): string[] =>
  classifyShellCommand(line).map((a) =>
    a.resource === undefined ? a.operation : `${a.operation} ${a.resource}`,
  );

const CASES: readonly (readonly [line: string, expected: readonly string[]])[] = [
  ['wget https://h/f.tgz', ['exec wget https://h/f.tgz', 'write .', 'write ./']],
  ['wget -qO- https://h/x', ['exec wget -qO- https://h/x']],
  ['wget -P /srv/dl https://h/f', ['exec wget -P /srv/dl https://h/f', 'write /srv/dl', 'write /srv/dl/']],
  [
    'wget -o /var/log/w.log -O /tmp/f https://h/f',
    ['exec wget -o /var/log/w.log -O /tmp/f https://h/f', 'write /var/log/w.log', 'write /tmp/f'],
  ],
  ['wget -e robots=off https://h/', ['exec wget -e robots=off https://h/', 'unknown']],
  ['wget --spider https://h/', ['exec wget --spider https://h/']],
  ['curl -fsSLO https://h/f', ['exec curl -fsSLO https://h/f', 'write .', 'write ./']],
  ['curl -K cfg https://h/', ['exec curl -K cfg https://h/', 'unknown']],
  ["curl -w '%output{/etc/x}' https://h/", ['exec curl -w %output{/etc/x} https://h/', 'unknown']],
  [
    'curl -c /tmp/jar -o /dev/null https://h/',
    ['exec curl -c /tmp/jar -o /dev/null https://h/', 'write /tmp/jar'],
  ],
  ['gpg -o /tmp/out -d f.gpg', ['exec gpg -o /tmp/out -d f.gpg', 'write /tmp/out']],
  ['gpg --encrypt -r bob f', ['exec gpg --encrypt -r bob f', 'write f']],
  ['gpg -d f.gpg', ['exec gpg -d f.gpg']],
  ['gpg --list-keys', ['exec gpg --list-keys']],
  ['gpg f.gpg', ['exec gpg f.gpg', 'write f.gpg']],
  ['7z x a.7z -o/srv/x', ['exec 7z x a.7z -o/srv/x', 'write /srv/x', 'write /srv/x/']],
  ['7z a /b/a.7z d', ['exec 7z a /b/a.7z d', 'write /b/a.7z']],
  ['7z l a.7z', ['exec 7z l a.7z']],
  ['cpio -i < a.cpio', ['exec cpio -i', 'unknown']],
  [
    'cpio -i --no-absolute-filenames -D /srv',
    ['exec cpio -i --no-absolute-filenames -D /srv', 'write /srv', 'write /srv/'],
  ],
  ['cpio -p /srv/copy', ['exec cpio -p /srv/copy', 'write /srv/copy', 'write /srv/copy/']],
  ['tar -xPf a.tar', ['exec tar -xPf a.tar', 'unknown']],
  ['unzip -: a.zip', ['exec unzip -: a.zip', 'unknown']],
  [
    'tar --extract -f a.tar --directory /opt',
    ['exec tar --extract -f a.tar --directory /opt', 'write /opt', 'write /opt/'],
  ],
  ['tar -xf a.tar -O', ['exec tar -xf a.tar -O']],
  ['mktemp -d', ['exec mktemp -d', 'write /tmp', 'write /tmp/']],
  ['mktemp -p /var/tmp', ['exec mktemp -p /var/tmp', 'write /var/tmp', 'write /var/tmp/']],
  ['mktemp /srv/tmp.XXXX', ['exec mktemp /srv/tmp.XXXX', 'write /srv', 'write /srv/']],
  ['mktemp -u', ['exec mktemp -u']],
  ['ssh-keygen -t ed25519', ['exec ssh-keygen -t ed25519', 'unknown']],
  ['ssh-keygen -R host', ['exec ssh-keygen -R host', 'unknown']],
  [
    'ssh-keygen -R host -f /etc/ssh/ssh_known_hosts',
    [
      'exec ssh-keygen -R host -f /etc/ssh/ssh_known_hosts',
      'write /etc/ssh/ssh_known_hosts',
      'write /etc/ssh/ssh_known_hosts.old',
    ],
  ],
  [
    'tar -xf a.tar --one-top-level=/srv/t',
    ['exec tar -xf a.tar --one-top-level=/srv/t', 'write .', 'write ./', 'write /srv/t', 'write /srv/t/'],
  ],
  [
    'rsync -b --backup-dir=/srv/bk a b',
    ['exec rsync -b --backup-dir=/srv/bk a b', 'write /srv/bk', 'write /srv/bk/', 'write b', 'write b/'],
  ],
  ['rmdir -p /srv/a/b', ['exec rmdir -p /srv/a/b', 'write /srv/a/b', 'write /srv/a', 'write /srv']],
  [
    'crontab /tmp/c',
    [
      'exec crontab /tmp/c',
      'write /var/spool/cron',
      'write /var/spool/cron/',
      'write /var/spool/at',
      'write /var/spool/at/',
    ],
  ],
  ['crontab -l', ['exec crontab -l']],
  ['crontab -e', ['exec crontab -e', 'unknown']],
  [
    'systemctl enable --now nginx',
    ['exec systemctl enable --now nginx', 'write /etc/systemd/system', 'write /etc/systemd/system/'],
  ],
  ['systemctl restart nginx', ['exec systemctl restart nginx']],
  ['systemctl edit nginx', ['exec systemctl edit nginx', 'unknown']],
  ['apt-get -q install -y nginx', ['exec apt-get -q install -y nginx', 'write /']],
  ['apt-get -s install nginx', ['exec apt-get -s install nginx']],
  ['apt show nginx', ['exec apt show nginx']],
  ['apt-get -o Dir::Cache=/tmp install x', ['exec apt-get -o Dir::Cache=/tmp install x', 'unknown']],
  ['dpkg -i x.deb', ['exec dpkg -i x.deb', 'write /']],
  ['dpkg -L nginx', ['exec dpkg -L nginx']],
  ['dpkg-deb -x p.deb /srv/x', ['exec dpkg-deb -x p.deb /srv/x', 'write /srv/x', 'write /srv/x/']],
  ['cp -b a /etc/x', ['exec cp -b a /etc/x', 'write /etc/x', 'write /etc/x/', 'write /etc', 'write /etc/']],
  ['mkfs.ext4 /dev/sdb1', ['exec mkfs.ext4 /dev/sdb1', 'write /dev/sdb1']],
  ['wipefs -a /dev/sdb', ['exec wipefs -a /dev/sdb', 'write /dev/sdb']],
  ['e2fsck -n /dev/sdb1', ['exec e2fsck -n /dev/sdb1']],
  ['fdisk -l /dev/sdb', ['exec fdisk -l /dev/sdb']],
  [
    'debugfs -R "dump /etc/shadow /tmp/s" /dev/sdb1',
    ['exec debugfs -R dump /etc/shadow /tmp/s /dev/sdb1', 'unknown'],
  ],
  ['strip /usr/bin/x', ['exec strip /usr/bin/x', 'write /usr/bin/x']],
  [
    'objcopy --dump-section .text=/etc/t a.o b.o',
    ['exec objcopy --dump-section .text=/etc/t a.o b.o', 'write b.o', 'write /etc/t'],
  ],
  ['gcc -o /usr/local/bin/x a.c', ['exec gcc -o /usr/local/bin/x a.c', 'write /usr/local/bin/x']],
  ['gcc -c a.c', ['exec gcc -c a.c', 'write .', 'write ./']],
  ['gcc -wrapper rm,x a.c', ['exec gcc -wrapper rm,x a.c', 'unknown']],
  ['gcc -fplugin=./p.so a.c', ['exec gcc -fplugin=./p.so a.c', 'unknown']],
  ['gcc @opts', ['exec gcc @opts', 'unknown']],
  ['ld --plugin ./p.so a.o', ['exec ld --plugin ./p.so a.o', 'unknown']],
  ['ssh-keygen -A', ['exec ssh-keygen -A', 'write /etc/ssh', 'write /etc/ssh/']],
  ['ssh-keygen -l -f k', ['exec ssh-keygen -l -f k']],
  [
    'ssh-keygen -s ca -I id user.pub',
    ['exec ssh-keygen -s ca -I id user.pub', 'write user.pub', 'write user-cert.pub'],
  ],
  ['split a /etc/p', ['exec split a /etc/p', 'write /etc/p', 'write /etc', 'write /etc/']],
  ['git -C /srv/app pull', ['exec git -C /srv/app pull', 'write /srv/app', 'write /srv/app/']],
  ['git clone git@h:org/repo.git', ['exec git clone git@h:org/repo.git', 'write repo', 'write repo/']],
  [
    'git clone https://h/a.git /opt/a',
    ['exec git clone https://h/a.git /opt/a', 'write /opt/a', 'write /opt/a/'],
  ],
  ['git -C /srv clone u x', ['exec git -C /srv clone u x', 'write /srv/x', 'write /srv/x/']],
  [
    'git -C /srv/a bundle create ../b.bundle HEAD',
    ['exec git -C /srv/a bundle create ../b.bundle HEAD', 'write /srv/b.bundle'],
  ],
  ['git log', ['exec git log']],
  [
    'git --work-tree=/srv checkout .',
    ['exec git --work-tree=/srv checkout .', 'write /srv', 'write /srv/', 'write .', 'write ./'],
  ],
  ['rsync -a h:/src/ /dst/', ['exec rsync -a h:/src/ /dst/', 'write /dst/']],
  ['rsync -a /src/ h:/dst/', ['exec rsync -a /src/ h:/dst/']],
  [
    'rsync -a --remove-source-files /src/ h:/dst/',
    ['exec rsync -a --remove-source-files /src/ h:/dst/', 'write /src/'],
  ],
  ['scp f h:/tmp/', ['exec scp f h:/tmp/']],
  ['scp h:/f /tmp/', ['exec scp h:/f /tmp/', 'write /tmp/']],
  ['chattr +i /etc/x', ['exec chattr +i /etc/x', 'write /etc/x']],
  ['chattr -R -i /srv', ['exec chattr -R -i /srv', 'write /srv', 'write /srv/']],
  ['setfacl -m u:a:r /srv/f', ['exec setfacl -m u:a:r /srv/f', 'write /srv/f']],
  ['setfacl --restore=acl.txt', ['exec setfacl --restore=acl.txt', 'unknown']],
  ['chown -R a:b /srv', ['exec chown -R a:b /srv', 'write /srv', 'write /srv/']],
  ['chmod --reference=/a /b', ['exec chmod --reference=/a /b', 'write /b']],
  ['chmod -x f', ['exec chmod -x f', 'write f']],
  ['find / -name core -delete', ['exec find / -name core -delete', 'write /']],
  [
    'find /srv -exec rm -f {} +',
    ['exec find /srv -exec rm -f {} +', 'exec rm -f {}', 'write /srv', 'write /srv/'],
  ],
  [
    'find /srv -exec cp {} /bak/ \\;',
    ['exec find /srv -exec cp {} /bak/ ;', 'exec cp {} /bak/', 'write /bak/'],
  ],
  ['pg_dump -Fc -f /b/db.dump app', ['exec pg_dump -Fc -f /b/db.dump app', 'write /b/db.dump']],
  ['psql -o /tmp/out -c "select 1"', ['exec psql -o /tmp/out -c select 1', 'write /tmp/out']],
  ['mysqldump -r /b/x.sql db', ['exec mysqldump -r /b/x.sql db', 'write /b/x.sql']],
  [
    'pg_basebackup -D /var/lib/pg',
    ['exec pg_basebackup -D /var/lib/pg', 'write /var/lib/pg', 'write /var/lib/pg/'],
  ],
  ["psql -c '\\dt'", ['exec psql -c \\dt']],
  ["psql -c '\\o /tmp/x'", ['exec psql -c \\o /tmp/x', 'unknown']],
  ["psql -c '\\copy t to program ''rm x'''", ['exec psql -c \\copy t to program rm x', 'unknown']],
  ["mysql -e 'select 1'", ['exec mysql -e select 1']],
  ["mysql -e 'system rm x'", ['exec mysql -e system rm x', 'unknown']],
  ['mysql --pager=less', ['exec mysql --pager=less', 'unknown']],
  ['tmux ls', ['exec tmux ls']],
  ["tmux new -d 'rm x'", ['exec tmux new -d rm x', 'unknown']],
  ['tmux send-keys -t 0 rm Enter', ['exec tmux send-keys -t 0 rm Enter', 'unknown']],
  ["tmux ls -F '#(rm x)'", ['exec tmux ls -F #(rm x)', 'unknown']],
  ['screen -ls', ['exec screen -ls']],
  ['screen -dmS s rm x', ['exec screen -dmS s rm x', 'unknown']],
  ['man ls', ['exec man ls']],
  ["man -P 'rm x' ls", ['exec man -P rm x ls', 'exec rm x', 'write x']],
  ['man -H ls', ['exec man -H ls', 'unknown']],
  ["lftp -c 'get f'", ['exec lftp -c get f', 'unknown']],
  ['lftp h', ['exec lftp h']],
  ['prlimit --pid 1 --nofile=10', ['exec prlimit --pid 1 --nofile=10']],
  ['prlimit --nofile=10 rm x', ['exec prlimit --nofile=10 rm x', 'exec rm x', 'write x']],
  ['runcon ctx rm x', ['exec runcon ctx rm x', 'exec rm x', 'write x']],
  ['runcon -t t rm x', ['exec runcon -t t rm x', 'exec rm x', 'write x']],
  ['bwrap --ro-bind / / rm x', ['exec bwrap --ro-bind / / rm x', 'unknown']],
  ["rename 's/a/b/' f", ['exec rename s/a/b/ f', 'unknown']],
  ['patch -p1 -i d.diff', ['exec patch -p1 -i d.diff', 'unknown']],
  ['patch --dry-run -p1 -i d.diff', ['exec patch --dry-run -p1 -i d.diff']],
  ['dbus-run-session --dbus-daemon=/x rm y', ['exec dbus-run-session --dbus-daemon=/x rm y', 'unknown']],
  ['rm -- *.o', ['exec rm -- *.o', 'write .', 'write ./']],
  ['rm -f *.o', ['exec rm -f *.o', 'unknown']],
  ['rm -rf /tmp/.*', ['exec rm -rf /tmp/.*', 'unknown']],
  ['chmod +x bin/*', ['exec chmod +x bin/*', 'write bin', 'write bin/']],
  ['mkdir -p /srv/a/b', ['exec mkdir -p /srv/a/b', 'write /srv/a/b', 'write /srv/a', 'write /srv']],
  ['flock /run/l rm x', ['exec flock /run/l rm x', 'write /run/l', 'exec rm x', 'write x']],
  ['flock 9', ['exec flock 9']],
  ['install -d /a /b', ['exec install -d /a /b', 'write /a', 'write /a/', 'write /b', 'write /b/']],
  ['cp -d a b', ['exec cp -d a b', 'write b', 'write b/']],
];

describe('programs that write files or run commands of their own', () => {
  it.each(CASES)('%s', (line, expected) => {
    expect(show(line)).toEqual(expected);
  });
});
