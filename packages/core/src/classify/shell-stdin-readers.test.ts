// Stdin that comes from inside the command line (a pipe, `<`, a here-document or here-string,
// `>(…)`) reaches programs that may read it as commands: such a command is `unknown` unless the
// program is known to read stdin as data only (docs/classification.md, "Standard input").
import { beforeAll, describe, expect, it } from 'vitest';
import { classifyRequest, loadClassifiers } from './classify.js';
import { classifyShellCommand } from './shell.js';

const UNKNOWN = { operation: 'unknown' };

beforeAll(async () => {
  await loadClassifiers();
});

describe('a program fed stdin from inside the line', () => {
  it.each([
    'cat f | psql',
    "echo '\\! rm -f x' | psql",
    "printf '!rm -f x\\n' | gnuplot",
    "printf '!rm -f x\\n' | ftp",
    "printf '!rm -f x\\n' | sftp -b - host",
    "printf '!rm -f x\\n' | lftp",
    'echo \'system("rm -f x")\' | R --no-save',
    'echo \'system("rm -f x")\' | octave',
    'cat x.js | mongosh',
    'cat x.java | jshell',
    'cat x.ts | deno run -',
    "echo '* * * * * rm -rf /' | crontab -",
    "echo 'rm -rf /' | ssh host",
    'cat f | sudo psql',
    'cat f | env X=1 psql',
    'cat f | timeout 5 nice psql',
    "cat f | sh -c 'psql'",
    'cat f | grep x | psql',
    'cat f | { grep x; psql; }',
    'cat f | while read l; do psql; done',
    'cat f | (psql)',
    'cat f | psql $(true)',
    'psql < script.sql',
    'psql 0< script.sql',
    'gnuplot <<EOF\n!rm -f x\nEOF',
    "gnuplot <<'EOF'\n!rm -f x\nEOF",
    "ftp <<< '!rm -f x'",
    'psql < <(echo x)',
    '{ psql; } < script.sql',
    'while true; do psql; done < script.sql',
    'psql <&3',
    'tee >(psql) < f',
    'echo x > >(psql)',
    'exec < script.sql; psql',
    'sed -f - f < script.sed',
    'cat f | sed -f -',
    'cat f | awk -f -',
    "cat f | sed 's/x/y/e'",
    "cat f | sed -n '1e id'",
    'cat f | sort -o /etc/passwd',
    'cat f | uniq - /etc/passwd',
    'cat f | sha256sum -c',
    'cat f | gzip out.txt',
    'cat f | xargs -a list psql',
    "cat f | less '+!id'",
    "bash <<'EOF'\npsql\n\\! rm -f x\nEOF",
    "bash <<< 'ftp'",
    'cat f | python3',
    'cat f | sqlite3 db',
    'cat f | ed',
  ])('%j is unknown', (line) => {
    expect(classifyShellCommand(line)).toContainEqual(UNKNOWN);
  });
});

describe('ordinary pipelines stay classified', () => {
  it.each([
    "ps aux | grep x | awk '{print $2}'",
    'kubectl get pods | grep -v Running | wc -l',
    'journalctl -u x | tail -n 50',
    'cat f | jq .items',
    'sort f | uniq -c | sort -rn | head',
    'cat f | sed -e s/a/b/ | cut -d: -f1 | tr a-z A-Z',
    "cat f | gawk -F: '{print $1}' | mawk 1",
    'dmesg | egrep -i err | fgrep x | rg y',
    'cat f | sort -u | uniq | wc -c',
    'cat f | tee /tmp/out | head -1',
    'cat f.yaml | yq .a | column -t | nl | fold -w 80 | fmt | rev | tac',
    'ls | paste -sd, | od -c | hexdump -C | xxd | strings | base64 | base32 -d',
    'cat f | gzip -c | gunzip | zcat | bzip2 -c | xz -d',
    'cat f | md5sum | sha1sum | sha256sum | sha512sum',
    'cat f | iconv -f latin1 -t utf-8',
    'ls | xargs wc -l',
    'find . -name "*.o" | xargs -0 -n1 echo',
    'cat f | while read l; do echo "$l"; done',
    'grep x < f',
    'wc -l < /etc/passwd',
    'cat <<EOF\nhello\nEOF',
    "grep -c x <<< 'a x b'",
    'psql < /dev/null',
    'psql <&-',
    "bash <<'EOF'\necho hi\nEOF",
    'echo x | sudo tee -a /etc/apt/sources.list',
    'ls | true',
    'cat f | less',
    'cat f | more',
    'cat f | sort -k2 -t, | join - g | comm -12 - h',
    'diff <(sort a) <(sort b)',
  ])('%j has no unknown', (line) => {
    expect(classifyShellCommand(line)).not.toContainEqual(UNKNOWN);
  });

  it('keeps every command as an exec action', () => {
    expect(classifyShellCommand("ps aux | grep x | awk '{print $2}'")).toEqual([
      { operation: 'exec', resource: 'ps aux' },
      { operation: 'exec', resource: 'grep x' },
      { operation: 'exec', resource: 'awk {print $2}' },
    ]);
  });
});

describe('one rule for stdin from inside the line and stdin given with the request', () => {
  const stdin = { sha256: '0'.repeat(64), bytes: 1 };

  it.each(['grep x', 'cat | jq .a', 'sort | uniq -c | sort -rn | head'])(
    'given stdin to %j is data',
    (command) => {
      expect(classifyRequest({ type: 'command', command, stdin })).not.toContainEqual(UNKNOWN);
    },
  );

  it.each(['psql', 'cat | psql', 'sed -f -', 'crontab -'])('given stdin to %j is unknown', (command) => {
    expect(classifyRequest({ type: 'command', command, stdin })).toContainEqual(UNKNOWN);
  });
});
