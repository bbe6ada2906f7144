// Places where bash reads a line differently from tree-sitter-bash, each found against real bash
// (see test/shell-oracle.test.ts): heredoc bodies, blanks and comments, control characters inside
// arguments, glob command names, NUL in $'…', brace expansion's cost, and false `unknown`s.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Action } from '../types.js';
import { classifyShellCommand, loadShellClassifier } from './shell.js';

beforeAll(async () => {
  await loadShellClassifier();
});

function actions(...specs: string[]): Action[] {
  return specs.map((s) => {
    const space = s.indexOf(' ');
    return space === -1 ? { operation: s } : { operation: s.slice(0, space), resource: s.slice(space + 1) };
  });
}

type Case = readonly [name: string, command: string, expected: readonly string[]];

const heredocs: readonly Case[] = [
  ['$\\⏎( in an unquoted body is a substitution', 'cat <<EOF\n$\\\n(id)\nEOF', ['exec id', 'exec cat']],
  [
    'a continuation joins body lines before $( is seen',
    'cat <<EOF\na \\\n$(id)\nEOF',
    ['exec id', 'exec cat'],
  ],
  ['a backquote after a continuation', 'cat <<EOF\n\\\n`id`\nEOF', ['exec id', 'exec cat']],
  ['backquotes in an unquoted body', 'cat <<EOF\nx `id` y\nEOF', ['exec id', 'exec cat']],
  ['escaped backquotes in a body are text', 'cat <<EOF\nx \\`id\\` y\nEOF', ['exec cat']],
  ['backquotes in a quoted body are text', "cat <<'EOF'\nx `id` y\nEOF", ['exec cat']],
  [
    'a shell reading a body with backquotes',
    'bash <<EOF\n`cat /tmp/x`\nEOF',
    ['exec cat /tmp/x', 'exec bash', 'unknown'],
  ],
  [
    'a closing delimiter spelled across a continuation ends the body',
    'cat <<EOF\nbody\nE\\\nOF\nrm -rf /\nEOF',
    ['exec cat', 'exec rm -rf /', 'exec EOF'],
  ],
  [
    '<<- strips tabs after joining: the joined line ends the body',
    'cat <<-EOF\nE\\\nOF\nrm -rf /\nEOF',
    ['exec cat', 'exec rm -rf /', 'exec EOF'],
  ],
  ['<<- strips leading tabs before comparing', 'cat <<-EOF\n\tEOF\nrm -rf /', ['exec cat', 'exec rm -rf /']],
  [
    'an opening delimiter spelled across a continuation',
    'cat <<E\\\nOF\nbody $(id)\nEOF\nrm x',
    ['exec id', 'exec cat', 'exec rm x'],
  ],
  [
    'an escaped backslash before the newline is not a continuation',
    'cat <<EOF\na\\\\\nEOF\nrm x',
    ['exec cat', 'exec rm x'],
  ],
  ['a quoted delimiter keeps continuations', "cat <<'EOF'\n$\\\n(id)\nE\\\nOF\nEOF", ['exec cat']],
  [
    'a double-quoted delimiter spelled across a continuation',
    'cat <<"E\\\nOF"\n$(id)\nEOF\nrm x',
    ['exec cat', 'exec rm x'],
  ],
];

const blanks: readonly Case[] = [
  ['form feed is a word character', 'rm\f-rf /', ['unknown', 'exec rm -rf /']],
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
  ['git stash -u is not --upload-pack', 'git stash -u', ['exec git stash -u']],
  ['git clone -u is --upload-pack', "git clone -u 'rm x' h:r", ['exec git clone -u rm x h:r', 'exec rm x']],
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
  const groups = { heredocs, blanks, arguments: arguments_, names, 'false unknowns': falseUnknowns };
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
    expect(classifyShellCommand('rm {a,b}{1..2}')).toEqual(actions('exec rm a1 a2 b1 b2'));
  });
});
