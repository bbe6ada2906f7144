// The bash oracle for text bash evaluates a second time (src/classify/shell/deferred.ts): real
// bash runs each line in the sandbox (bash-sandbox.ts). Every attack must really start `rm` in
// this bash, and the classifier must call it `unknown`; every benign line must be precise (no
// `unknown`) and report every program bash started.
import { basename } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifyShellCommand, loadShellClassifier } from '../src/classify/shell.js';
import { runInSandbox, sandboxUnavailable } from './bash-sandbox.js';

const unavailable = sandboxUnavailable();

/** Each ran `rm` in bash 5.2 while an earlier classifier reported only `exec echo …`. */
const ATTACKS: readonly string[] = [
  "y='a[$''(rm -f V)]'; echo $((y))",
  "y=a[$'\\x24''(rm -f V)]'; echo $((y))",
  'd=\\$; y="a[${d}(rm -f V)]"; echo $((y))',
  `y=$'\\x24'"(rm -f V)"; echo \${y@P}`,
  "y='a[$''(rm -f V)]'; echo ${a[y]}",
  "y='a[$''(rm -f V)]'; declare -i z=y; echo $z",
  // The sandbox's working directory is fresh: the redirection plants the file name.
  ": > 'a[$''(rm -f V)]'; for x in a*; do echo $((x)); done",
  "y='a[$''(rm -f V)]'; echo $(($y))",
  "y='a[$''(rm -f V)]'; (( y )); echo",
  "y='a[$''(rm -f V)]'; let z=y",
  "y='a[$''(rm -f V)]'; [[ y -eq 0 ]]; echo",
  "s=abc; y='a[$''(rm -f V)]'; echo ${s:y}",
  "y='a[$''(rm -f V)]'; echo ${!y}",
  "y='a[$''(rm -f V)]'; a[y]=1; echo",
  "y='a[$''(rm -f V)]'; x=y; echo $((x))",
  "y=a; y+='[$''(rm -f V)]'; echo $((y))",
  "[[ 'a[$''(rm -f V)]' -eq 0 ]]; echo",
  "a=(['b[$''(rm -f V)]']=1); echo",
  "y='b[$''(rm -f V)]'; a=([y]=1); echo",
  "y='a[$''(rm -f V)]'; cat <<EOF\n`true` $((y))\nEOF",
  "declare -n r='a[$''(rm -f V)]'; echo $r",
  "printf -v 'a[$''(rm -f V)]' x",
  "echo 'a[$''(rm -f V)]' >/dev/null; echo $(($_))",
  // The history is kept in a non-interactive shell too, and fc runs from it.
  "history -s 'rm -f V'; fc -s",
  "history -s 'rm -f V'; fc -s rm",
];

/** Sinks whose operands the line sets to numbers: precise, and still complete. */
const BENIGN: readonly string[] = [
  'i=0; echo $((i+1))',
  'for i in 1 2 3; do echo $((i*2)); done',
  'for i in {1..3}; do ls $((i*2)); done',
  'for ((i=0;i<3;i++)); do id; done',
  'i=0; while [ $i -lt 3 ]; do i=$((i+1)); done; ls $i',
  'a=(1 2 3); echo ${a[1]} ${#a[@]}',
  'x=0x1f; ls $((x + 2#101))',
  'declare -i n=5; n+=1; echo $n',
  'y=\'a[$(rm -f V)]\'; echo "$y"',
];

beforeAll(async () => {
  await loadShellClassifier();
});

describe.skipIf(unavailable !== undefined)(
  `bash oracle: text evaluated again${unavailable === undefined ? '' : ` (skipped: ${unavailable})`}`,
  () => {
    it('every attack runs rm in real bash and is unknown', () => {
      const runs = runInSandbox(ATTACKS, ['rm']);
      const outcome = runs.map((r) => ({
        line: r.line,
        ranRm: r.started.some((s) => basename(s.program) === 'rm'),
        unknown: classifyShellCommand(r.line).some((a) => a.operation === 'unknown'),
      }));
      expect(outcome).toEqual(ATTACKS.map((line) => ({ line, ranRm: true, unknown: true })));
    }, 120_000);

    it('benign lines are precise and report every program bash starts', () => {
      const runs = runInSandbox(BENIGN);
      const outcome = runs.map((r) => {
        const actions = classifyShellCommand(r.line);
        const execs = actions.filter((a) => a.operation === 'exec').map((a) => a.resource ?? '');
        const missed = r.started
          .map((s) => basename(s.program))
          .filter((p) => !execs.some((e) => e === p || e.startsWith(`${p} `)));
        return { line: r.line, unknown: actions.some((a) => a.operation === 'unknown'), missed };
      });
      expect(outcome).toEqual(BENIGN.map((line) => ({ line, unknown: false, missed: [] })));
    }, 120_000);
  },
);
