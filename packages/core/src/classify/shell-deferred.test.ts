// Text bash evaluates a second time (shell/deferred.ts): a sink is unknown unless every
// variable it reads is proven harmless within the request. Each attack line below ran `rm` in
// bash 5.2 while an earlier classifier reported only `exec echo …`; the benign lines must stay
// precise.
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

/** `$(rm -f V)` assembled from pieces no single token shows, then evaluated again. */
const assembled: readonly Case[] = [
  [
    'two adjacent single-quoted pieces, arithmetic',
    "y='a[$''(rm -f V)]'; echo $((y))",
    ['exec echo $((y))', 'unknown'],
  ],
  [
    'an ANSI-C $ then a quoted rest, arithmetic',
    "y=a[$'\\x24''(rm -f V)]'; echo $((y))",
    ['exec echo $((y))', 'unknown'],
  ],
  [
    'the $ from another variable, arithmetic',
    'd=\\$; y="a[${d}(rm -f V)]"; echo $((y))',
    ['exec echo $((y))', 'unknown'],
  ],
  ['prompt expansion', `y=$'\\x24'"(rm -f V)"; echo \${y@P}`, ['exec echo ${y@P}', 'unknown']],
  ['an array subscript', "y='a[$''(rm -f V)]'; echo ${a[y]}", ['exec echo ${a[y]}', 'unknown']],
  [
    'declare -i',
    "y='a[$''(rm -f V)]'; declare -i z=y; echo $z",
    ['exec declare -i z=y', 'exec echo $z', 'unknown'],
  ],
  [
    'a file name met by a glob',
    'cd dir && for x in a*; do echo $((x)); done',
    ['exec cd dir', 'exec echo $((x))', 'unknown'],
  ],
  ['$y inside arithmetic', "y='a[$''(rm -f V)]'; echo $(($y))", ['exec echo $(($y))', 'unknown']],
  ['(( … ))', "y='a[$''(rm -f V)]'; (( y )); echo", ['exec echo', 'unknown']],
  ['let', "y='a[$''(rm -f V)]'; let z=y", ['exec let z=y', 'unknown']],
  ['[[ name -eq … ]]', "y='a[$''(rm -f V)]'; [[ y -eq 0 ]]; echo", ['exec echo', 'unknown']],
  ['[[ $name -eq … ]]', "y='a[$''(rm -f V)]'; [[ $y -eq 0 ]]; echo", ['exec echo', 'unknown']],
  ['a substring offset', "s=abc; y='a[$''(rm -f V)]'; echo ${s:y}", ['exec echo ${s:y}', 'unknown']],
  ['indirection', "y='a[$''(rm -f V)]'; echo ${!y}", ['exec echo ${!y}', 'unknown']],
  ['indirection with a default', "y='a[$''(rm -f V)]'; echo ${!y:-}", ['exec echo ${!y:-}', 'unknown']],
  ['a subscript in an assignment', "y='a[$''(rm -f V)]'; a[y]=1; echo", ['exec echo', 'unknown']],
  ['a C-style for', "y='a[$''(rm -f V)]'; for ((i=y;;)); do break; done", ['exec break', 'unknown']],
  ['old $[ ] arithmetic', "y='a[$''(rm -f V)]'; echo $[y]", ['exec echo $[y]', 'unknown']],
  [
    'a name whose value names the payload',
    "y='a[$''(rm -f V)]'; x=y; echo $((x))",
    ['exec echo $((x))', 'unknown'],
  ],
  ['appended with +=', "y=a; y+='[$''(rm -f V)]'; echo $((y))", ['exec echo $((y))', 'unknown']],
  ['a literal [[ … -eq ]] operand', "[[ 'a[$''(rm -f V)]' -eq 0 ]]; echo", ['exec echo', 'unknown']],
  ['a subscript in an array literal', "a=(['b[$''(rm -f V)]']=1); echo", ['exec echo', 'unknown']],
  ['a name subscript in an array literal', "y='b[$''(rm -f V)]'; a=([y]=1); echo", ['exec echo', 'unknown']],
  [
    'a prefix assignment read by a nested shell',
    "y='a[$''(rm -f V)]' bash -c 'echo $((y))'",
    ['exec bash -c echo $((y))', 'exec echo $((y))', 'unknown'],
  ],
  [
    'env (as an SSH exec environment is classified) read by a nested shell',
    "env y='a[$''(rm -f V)]' bash -c 'echo $((y))'",
    [
      'exec env y=a[$(rm -f V)] bash -c echo $((y))',
      'exec bash -c echo $((y))',
      'exec echo $((y))',
      'unknown',
    ],
  ],
  [
    'arithmetic the grammar misses in a here-document',
    "y='a[$''(rm -f V)]'; cat <<EOF\n`true` $((y))\nEOF",
    ['exec y', 'exec true', 'exec cat', 'unknown'],
  ],
  [
    'a nameref',
    "declare -n r='a[$''(rm -f V)]'; echo $r",
    ['exec declare -n r=a[$(rm -f V)]', 'exec echo $r', 'unknown'],
  ],
  [
    'a subscripted name given to declare',
    "declare 'a[$''(rm -f V)]=1'; echo",
    ['exec declare a[$(rm -f V)]=1', 'exec echo', 'unknown'],
  ],
  [
    'a subscripted name given to printf -v',
    "printf -v 'a[$''(rm -f V)]' x",
    ['exec printf -v a[$(rm -f V)] x', 'unknown'],
  ],
  [
    'a subscript in an expanded name given to unset',
    "y='a[$''(rm -f V)]'; unset \"a[$y]\"",
    ['exec unset "a[$y]"', 'unknown'],
  ],
];

/** Run-time text reaching a sink: never proven harmless. */
const runtime: readonly Case[] = [
  ['read', 'read y; echo $((y))', ['exec read y', 'exec echo $((y))', 'unknown']],
  ['mapfile', 'mapfile -t y; echo $((y))', ['exec mapfile -t y', 'exec echo $((y))', 'unknown']],
  [
    'printf -v of an argument',
    'printf -v y %s "$1"; echo $((y))',
    ['exec printf -v y %s "$1"', 'exec echo $((y))', 'unknown'],
  ],
  ['getopts', 'getopts ab y; echo $((y))', ['exec getopts ab y', 'exec echo $((y))', 'unknown']],
  ['select', 'select y in 1 2; do echo $((y)); done', ['exec echo $((y))', 'unknown']],
  ['a for over the positional parameters', 'for y; do echo $((y)); done', ['exec echo $((y))', 'unknown']],
  [
    'a for over command output',
    'for y in $(ls); do echo $((y)); done',
    ['exec ls', 'exec echo $((y))', 'unknown'],
  ],
  [
    'a glob also assigns a variable set to a literal elsewhere',
    'y=1; for y in a*; do :; done; echo $((y))',
    ['exec :', 'exec echo $((y))', 'unknown'],
  ],
  ['a positional parameter', 'echo $(($1))', ['exec echo $(($1))', 'unknown']],
  ['all positional parameters', 'echo $(($@))', ['exec echo $(($@))', 'unknown']],
  [
    'the last argument $_',
    "echo 'a[$''(rm -f V)]'; echo $(($_))",
    ['exec echo a[$(rm -f V)]', 'exec echo $(($_))', 'unknown'],
  ],
  [
    'PWD, which cd sets whatever the request assigned',
    "PWD=1; cd 'a[$''(rm -f V)]'; echo $((PWD))",
    ['exec cd a[$(rm -f V)]', 'exec echo $((PWD))', 'unknown'],
  ],
  [
    'a sourced file may set anything',
    'y=1; . ./vars.sh; echo $((y))',
    ['exec . ./vars.sh', 'exec echo $((y))', 'unknown'],
  ],
  [
    'declare of a name nobody can read',
    'y=1; declare "$n=2"; echo $((y))',
    ['exec declare "$n=2"', 'exec echo $((y))', 'unknown'],
  ],
  [
    'export of command output may set anything',
    'y=1; export $(cat .env); echo $((y))',
    ['exec cat .env', 'exec export $(cat .env)', 'exec echo $((y))', 'unknown'],
  ],
  ['read into an integer variable', 'declare -i n; read n', ['exec declare -i n', 'exec read n', 'unknown']],
  // Command output is run-time text: `wc` reading a file someone else wrote, or `cat`, can hand
  // bash `a[$(…)]`. The earlier rule made these unknown too (any command substitution was a
  // source), so this costs nothing it did not already cost.
  [
    'command output into a variable',
    'n=$(wc -l < f); echo $((n+1))',
    ['exec wc -l', 'exec echo $((n+1))', 'unknown'],
  ],
  [
    'command output in arithmetic',
    'echo $(( $(cat f) + 1 ))',
    ['exec cat f', 'exec echo $(( $(cat f) + 1 ))', 'unknown'],
  ],
  ['an increment of a variable never set', '((i++)); echo', ['exec echo', 'unknown']],
  ['unset of an expanded name', 'unset "$n"', ['exec unset "$n"', 'unknown']],
  ['an environment variable', 'echo $((HOME))', ['exec echo $((HOME))', 'unknown']],
];

/** Sinks whose every operand the request sets to numbers: precise. */
const benign: readonly Case[] = [
  ['a counter', 'i=0; echo $((i+1))', ['exec echo $((i+1))']],
  ['a for list of numbers', 'for i in 1 2 3; do echo $((i*2)); done', ['exec echo $((i*2))']],
  ['a brace sequence', 'for i in {1..5}; do echo $((i*2)); done', ['exec echo $((i*2))']],
  ['a C-style for', 'for ((i=0;i<3;i++)); do echo $((i*2)); done', ['exec echo $((i*2))']],
  ['a loop counter', 'i=0; while [ $i -lt 3 ]; do i=$((i+1)); done', ['exec [ $i -lt 3 ]']],
  ['an increment after a literal', 'i=0; ((i++)); echo $((i))', ['exec echo $((i))']],
  ['a substring length', 'n=10; echo ${s:0:n}', ['exec echo ${s:0:n}']],
  [
    'literal subscripts and whole arrays',
    'a=(1 2 3); echo ${a[1]} ${#a[@]} ${a[@]}',
    ['exec echo ${a[1]} ${#a[@]} ${a[@]}'],
  ],
  ['special parameters that are numbers', 'echo $(( $# + $? ))', ['exec echo $(( $# + $? ))']],
  ['RANDOM', 'echo $((RANDOM % 6))', ['exec echo $((RANDOM % 6))']],
  ['EUID', '[[ $EUID -ne 0 ]] && echo root', ['exec echo root']],
  ['keys and name prefixes', 'echo ${!a[@]} ${!BASH*}', ['exec echo ${!a[@]} ${!BASH*}']],
  ['declare -i with numbers', 'declare -i n=5; n+=1; echo $n', ['exec declare -i n=5', 'exec echo $n']],
  ['arithmetic stored', 'x=$((1+2)); echo $((x*2))', ['exec echo $((x*2))']],
  ['a payload only printed', 'y=\'a[$(rm -f V)]\'; echo "$y"', ['exec echo "$y"']],
  ['a payload only measured', "y='a[$(rm -f V)]'; x=y; echo ${#x}", ['exec echo ${#x}']],
  ['reading lines', 'read -r line; echo "$line"', ['exec read -r line', 'exec echo "$line"']],
  ['a literal subscript of a bash array', 'echo "${BASH_SOURCE[0]}"', ['exec echo "${BASH_SOURCE[0]}"']],
  ['wait for a job id', 'wait "$pid"', ['exec wait "$pid"']],
  ['a prompt with brackets', 'read -p "Port [$d]: " port', ['exec read -p "Port [$d]: " port']],
  ['a printf format with brackets', "printf '[%s]\\n' x", ['exec printf [%s]\\n x']],
  ['a number compared', 'n=3; [[ $n -gt 2 ]] && echo big', ['exec echo big']],
  ['a version string', 'v=1.2.3; echo ${v:0:1}', ['exec echo ${v:0:1}']],
  ['hex and base numbers', 'x=0x1f; echo $((x + 2#101))', ['exec echo $((x + 2#101))']],
  ['let on a number', 'i=0; let i+=1; echo $i', ['exec let i+=1', 'exec echo $i']],
  ['test -v of a variable set here', 'x=1; [[ -v x ]] && echo set', ['exec echo set']],
];

describe('classifyShellCommand: text evaluated a second time', () => {
  for (const [group, cases] of [
    ['a payload assembled from pieces', assembled],
    ['run-time text', runtime],
    ['harmless operands stay precise', benign],
  ] as const) {
    describe(group, () => {
      it.each(cases)('%s: %j', (_name, command, expected) => {
        expect(classifyShellCommand(command)).toEqual(actions(...expected));
      });
    });
  }
});
