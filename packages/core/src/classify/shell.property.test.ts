import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Action } from '../types.js';
import { classifyShellCommand, loadShellClassifier } from './shell.js';

beforeAll(async () => {
  await loadShellClassifier();
});

const OPERATIONS = new Set(['exec', 'write', 'unknown']);

function wellFormed(actions: readonly Action[]): boolean {
  return (
    actions.length > 0 &&
    actions.every(
      (a) =>
        OPERATIONS.has(a.operation) &&
        (a.operation === 'unknown' ? a.resource === undefined : typeof a.resource === 'string'),
    )
  );
}

const SEEDS = [
  'ls -la /var/log',
  'echo "$(rm -rf /)"',
  "cat <<'EOF'\n$(id)\nEOF",
  'cat <<EOF\n`id`\nEOF',
  'ls | xargs -0 -n1 rm -f',
  'find . -exec rm {} \\;',
  "bash -c 'rm x; id'",
  'sudo -u x -- env A=1 nice -n 5 rm x',
  "r''m \"r\"m $'\\x72m' \\rm {a,b}",
  'f(){ rm -rf /; }; f',
  'for f in $(ls); do [ -f "$f" ] && rm "$f"; done > /tmp/log 2>&1',
  'case $x in a) id;; esac; while read l; do :; done < f',
  'X=$(id) PATH=/tmp eval "ls -l" >| /tmp/o',
];

/** Printable ASCII plus the characters shells care about most. */
const shellChar = fc.constantFrom(...'abcrmls -_/.$(){}[]<>|&;\'"`\\*?!#=~%\n\t0123456789'.split(''));
const shellText = fc.array(shellChar, { maxLength: 80 }).map((cs) => cs.join(''));

/** Inserts, deletes or replaces characters of a seed. */
const mutated = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), shellChar), {
      minLength: 1,
      maxLength: 6,
    }),
  )
  .map(([seed, edits]) => {
    let s = seed;
    for (const [at, kind, c] of edits) {
      const i = s.length === 0 ? 0 : at % s.length;
      if (kind === 'insert') s = s.slice(0, i) + c + s.slice(i);
      else if (kind === 'delete') s = s.slice(0, i) + s.slice(i + 1);
      else s = s.slice(0, i) + c + s.slice(i + 1);
    }
    return s;
  });

/** Words that need no quoting: their classification is the words joined. */
const plainWord = fc.stringMatching(/^[a-z][a-z0-9_./-]{0,8}$/);
const argv = fc.array(plainWord, { minLength: 1, maxLength: 5 });

describe('classifyShellCommand properties', () => {
  it('never throws and returns well-formed actions for random text', () => {
    fc.assert(
      fc.property(fc.oneof(shellText, fc.string({ unit: 'grapheme', maxLength: 60 })), (command) => {
        expect(wellFormed(classifyShellCommand(command))).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });

  it('never throws for mutated real command lines', () => {
    fc.assert(
      fc.property(mutated, (command) => {
        expect(wellFormed(classifyShellCommand(command))).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });

  it('a command name that is an expansion is always unknown and never an exec of it', () => {
    const dynamicName = fc.constantFrom('$X', '${X}', '$(printf rm)', '`printf rm`', '"$X"', '$1', 'r$X');
    fc.assert(
      fc.property(dynamicName, fc.array(plainWord, { maxLength: 4 }), (name, args) => {
        const result = classifyShellCommand([name, ...args].join(' '));
        expect(result).toContainEqual({ operation: 'unknown' });
        expect(result.some((a) => a.operation === 'exec' && a.resource?.startsWith(name) === true)).toBe(
          false,
        );
      }),
    );
  });

  it('text that does not parse is always unknown', () => {
    const breakage = fc.constantFrom(' "', " '", ' $(', ' `', ' (', ' |', ' &&', ' <<');
    fc.assert(
      fc.property(argv, breakage, (words, tail) => {
        expect(classifyShellCommand(words.join(' ') + tail)).toContainEqual({ operation: 'unknown' });
      }),
    );
  });

  it('quoting tricks do not change what runs', () => {
    // Each character may be written plainly, backslash-escaped, or in single, double or
    // ANSI-C quotes, and empty quotes may be spliced in anywhere.
    const styles = fc.constantFrom('plain', 'backslash', 'single', 'double', 'ansi', 'splice');
    fc.assert(
      fc.property(argv, fc.array(styles, { minLength: 64, maxLength: 64 }), (words, pick) => {
        let n = 0;
        const obfuscate = (word: string): string =>
          Array.from(word, (c) => {
            const style = pick[n++ % pick.length];
            switch (style) {
              case 'backslash':
                return `\\${c}`;
              case 'single':
                return `'${c}'`;
              case 'double':
                return `"${c}"`;
              case 'ansi':
                return `$'\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}'`;
              case 'splice':
                return `${c}''`;
              default:
                return c;
            }
          }).join('');
        const plain = classifyShellCommand(words.join(' '));
        expect(classifyShellCommand(words.map(obfuscate).join(' '))).toEqual(plain);
      }),
    );
  });

  it('a wrapped command is classified as well as the wrapper', () => {
    const wrapper = fc.constantFrom(
      'sudo',
      'sudo -u root --',
      'env A=1',
      'nice -n 5',
      'nohup',
      'timeout 5',
      'xargs -I{}',
      'exec',
      'command',
    );
    fc.assert(
      fc.property(wrapper, argv, (w, words) => {
        const inner = classifyShellCommand(words.join(' '));
        const wrapped = classifyShellCommand(`${w} ${words.join(' ')}`);
        for (const action of inner) {
          if (action.operation === 'unknown') continue;
          expect(wrapped).toContainEqual(action);
        }
      }),
    );
  });

  it('a path to the program never hides it: the program is also reported by name', () => {
    const dir = fc.constantFrom('/bin/', '/usr/bin/', '/usr/local/sbin/', './', '../../bin/', '~/');
    fc.assert(
      fc.property(dir, argv, (d, words) => {
        const [name = '', ...rest] = words;
        if (name.includes('/')) return;
        const result = classifyShellCommand([d + name, ...rest].join(' '));
        expect(result).toContainEqual({ operation: 'exec', resource: words.join(' ') });
      }),
    );
  });

  it('line continuations inside a word do not change what runs', () => {
    fc.assert(
      fc.property(argv, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), (words, cuts) => {
        const line = words.join(' ');
        let broken = line;
        for (const cut of cuts) {
          // Never at the very end (the grammar reports a dangling continuation as an error, which
          // is unknown), never inside an escape or an earlier continuation.
          const i = cut % broken.length;
          if (broken.charAt(i - 1) === '\\' || broken.charAt(i) === '\n') continue;
          broken = `${broken.slice(0, i)}\\\n${broken.slice(i)}`;
        }
        expect(classifyShellCommand(broken)).toEqual(classifyShellCommand(line));
      }),
    );
  });

  it('text bash evaluates again is unknown when a payload can reach it', () => {
    // Each source puts `a[$(…)]` (or run-time text) where each sink evaluates it a second time.
    const source = fc.constantFrom(
      "x='a[$(P)]'",
      "x=$'a[\\x24(P)]'",
      'read x',
      'x=$(cat)',
      "set -- 'a[$(P)]'",
      "declare x='a[$(P)]'",
      'mapfile -t arr',
    );
    const sink = fc.constantFrom(
      'ls $((x))',
      'ls $(($1))',
      '[[ x -eq 1 ]]',
      'echo ${arr[x]}',
      '(( x ))',
      'let y=x',
      'declare -i y; y=x',
      'echo ${!x}',
      'echo ${x@P}',
      'echo ${s:x}',
      'for ((i=x;;)); do break; done',
      'test -v x',
    );
    fc.assert(
      fc.property(source, sink, argv, fc.boolean(), (src, snk, words, nested) => {
        const line = `${src.replace('P', words.join(' '))}; ${snk}`;
        const command = nested ? `bash -c ${quote(line)}` : line;
        expect(classifyShellCommand(command)).toContainEqual({ operation: 'unknown' });
      }),
    );
  });

  it('a command string run by sh -c, eval or a heredoc is classified like the line itself', () => {
    const seeds = fc.constantFrom(...SEEDS.filter((s) => !s.includes("'") && !s.includes('\n')));
    fc.assert(
      fc.property(seeds, fc.constantFrom('sh -c', 'bash -c', 'eval', 'heredoc'), (line, how) => {
        const direct = classifyShellCommand(line);
        const command = how === 'heredoc' ? `bash <<'EOF'\n${line}\nEOF` : `${how} '${line}'`;
        const nested = classifyShellCommand(command);
        for (const action of direct) expect(nested).toContainEqual(action);
      }),
    );
  });
});

/** Single-quotes a string for sh. */
function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

describe('shell resources', () => {
  it('never hold a control character, whatever the line', () => {
    const controlled = fc
      .tuple(
        fc.constantFrom(...SEEDS),
        fc.array(
          fc.tuple(fc.nat(), fc.constantFrom('\n', '\r', '\t', '\f', '\v', '\x1b', '\x7f', '\u0085')),
          {
            maxLength: 4,
          },
        ),
      )
      .map(([seed, inserts]) => {
        let s = seed;
        for (const [at, c] of inserts) {
          const i = at % (s.length + 1);
          s = s.slice(0, i) + c + s.slice(i);
        }
        return s;
      });
    fc.assert(
      fc.property(fc.oneof(controlled, shellText), (command) => {
        for (const a of classifyShellCommand(command)) {
          // eslint-disable-next-line no-control-regex
          expect(a.resource ?? '').not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
        }
      }),
      { numRuns: 800 },
    );
  });
});
