// Commands that run another command (sudo, env, xargs, find -exec, sh -c, eval, …) and the
// commands that write files without a redirection (tee, dd of=). Each entry reads a simple
// command's argv the way that program does and says what else it runs or writes.
import { hasOption, optionValue, parseOptions, type OptionSpec, type ParsedOptions } from './options.js';
import { fileWriter, treeWrites } from './file-writers.js';
import { otherProgramHandler } from './interpreters.js';
import { PROGRAM_HANDLERS } from './programs.js';
import type { ShellWord } from './words.js';
import type { WrapperEffect } from './effects.js';

type Handler = (args: readonly ShellWord[]) => readonly WrapperEffect[];

const UNKNOWN: readonly WrapperEffect[] = [{ kind: 'unknown' }];
const COMPOUND_OPENERS: ReadonlySet<string> = new Set([
  '{',
  '(',
  '((',
  '[[',
  'if',
  'while',
  'until',
  'for',
  'case',
  'select',
]);
const NOTHING: readonly WrapperEffect[] = [];

/** Shells whose `-c` string is POSIX/bash syntax, which tree-sitter-bash can parse. */
const POSIX_SHELLS = [
  'sh',
  'bash',
  'rbash',
  'dash',
  'ash',
  'ksh',
  'ksh93',
  'mksh',
  'lksh',
  'pdksh',
  'oksh',
  'zsh',
  'yash',
  'posh',
  'hush',
];
/** Shells with a syntax of their own: anything they are asked to run is unresolvable. */
const OTHER_SHELLS = [
  'fish',
  'csh',
  'tcsh',
  'xonsh',
  'nu',
  'elvish',
  'pwsh',
  'rc',
  'es',
  'ion',
  'oil',
  'osh',
  'ysh',
];

/** What the command named `name` (its basename) does besides running, given its arguments. */
export function wrapperEffects(name: string, args: readonly ShellWord[]): readonly WrapperEffect[] {
  const handler = HANDLERS.get(name) ?? PROGRAM_HANDLERS.get(name) ?? otherProgramHandler(name);
  const effects = handler === undefined ? NOTHING : handler(args);
  // The files it writes, besides the commands it runs (tar, git, rsync, zip have both).
  const writer = fileWriter(name);
  return writer === undefined ? effects : [...effects, ...writer(args)];
}

/** The argv a wrapper runs, when there is one. */
function run(words: readonly ShellWord[]): readonly WrapperEffect[] {
  return words.length === 0 ? NOTHING : [{ kind: 'argv', words }];
}

/** A command line given as one word: it must be literal to be classified. */
function script(word: ShellWord | undefined): WrapperEffect {
  if (word === undefined) return { kind: 'unknown' };
  return word.literal ? { kind: 'script', text: word.text } : { kind: 'unknown' };
}

/** Several words a program joins with spaces and hands to a shell (`eval`, `watch`). */
function joinedScript(words: readonly ShellWord[]): readonly WrapperEffect[] {
  if (words.length === 0) return NOTHING;
  if (words.some((w) => !w.literal)) return UNKNOWN;
  return [{ kind: 'script', text: words.map((w) => w.text).join(' ') }];
}

/** A wrapper whose options are `spec` and whose first operand is the command it runs. */
function simpleWrapper(
  spec: OptionSpec,
  then?: (p: ParsedOptions) => readonly WrapperEffect[] | undefined,
): Handler {
  return (args) => {
    const parsed = parseOptions(args, spec);
    if (parsed === undefined) return UNKNOWN;
    return then?.(parsed) ?? run(parsed.operands);
  };
}

function shell(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, { short: 'oO', long: ['rcfile', 'init-file'], plus: true });
  if (parsed === undefined) return UNKNOWN;
  if (hasOption(parsed, 'c')) return [script(parsed.operands[0])];
  // No command string and no script file (or `-s`): the shell reads commands from stdin.
  if (hasOption(parsed, 's') || parsed.operands.length === 0) return [{ kind: 'stdin' }];
  return sourceFile(parsed.operands[0]);
}

/** Standard input by another name: a script read from it comes from the channel or a pipe. */
const STDIN_FILES = /^\/(dev\/stdin|dev\/fd\/0|proc\/self\/fd\/0|proc\/\d+\/fd\/0)$/;

/** A script file a shell runs or `source` reads: stdin by name is stdin, anything else is its argv. */
function sourceFile(file: ShellWord | undefined): readonly WrapperEffect[] {
  if (file === undefined) return UNKNOWN;
  if (!file.literal) return UNKNOWN;
  return STDIN_FILES.test(file.text) ? [{ kind: 'stdin' }] : NOTHING;
}

function otherShell(args: readonly ShellWord[]): readonly WrapperEffect[] {
  // Their syntax is not bash's: a command string or commands on stdin cannot be classified.
  const operands = args.filter((w) => !w.literal || !w.text.startsWith('-'));
  const commandOption = args.some((w) => w.literal && /^-[a-zA-Z]*c|^--command/.test(w.text));
  return commandOption || operands.length === 0 ? UNKNOWN : NOTHING;
}

function sudo(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'aCcDghprRTtUu',
    long: [
      'close-from',
      'chdir',
      'group',
      'host',
      'prompt',
      'chroot',
      'role',
      'type',
      'command-timeout',
      'other-user',
      'user',
      'auth-type',
      'login-class',
    ],
  });
  if (parsed === undefined) return UNKNOWN;
  if (hasOption(parsed, 'e', 'edit')) return parsed.operands.map((path) => ({ kind: 'write', path }));
  // `sudo VAR=value … CMD` sets variables for CMD, as env does.
  const [assignments, command] = leadingAssignments(parsed.operands);
  const place = [
    ...changedDirectory(parsed, 'D', 'chdir'),
    ...(hasOption(parsed, 'R', 'chroot') ? CHROOT : []),
  ];
  if (command === undefined) return [...assignments, ...place, { kind: 'unknown' }];
  if (command.length === 0 && hasOption(parsed, 's', 'i', 'shell', 'login'))
    return [...assignments, ...place, { kind: 'stdin' }];
  return [...assignments, ...place, ...run(command)];
}

const CHROOT: readonly WrapperEffect[] = [{ kind: 'chroot' }];

/** The working directory an option (`env -C DIR`, `sudo -D DIR`) gives the command. */
function changedDirectory(parsed: ParsedOptions, ...names: string[]): readonly WrapperEffect[] {
  return hasOption(parsed, ...names) ? [{ kind: 'chdir', dir: optionValue(parsed, ...names) }] : NOTHING;
}

/**
 * `cd` and `pushd`: the directory they change to. Where it depends on what the request cannot
 * see (`cd -` is $OLDPWD, `cd` alone and `~` are $HOME, pushd's `+N` rotates its stack, an
 * expansion), it is `undefined`; a bare name (`cd build`) also depends on $CDPATH, which
 * shell.ts checks.
 */
function changeDirectory(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, { short: '' });
  const dir = parsed?.operands.length === 1 ? parsed.operands[0] : undefined;
  const known =
    dir !== undefined &&
    dir.literal &&
    !dir.glob &&
    dir.text !== '' &&
    dir.text !== '-' &&
    !dir.text.startsWith('~') &&
    !/^[+-]\d+$/.test(dir.text);
  return [{ kind: 'chdir', dir: known ? dir : undefined }];
}

/**
 * Splits leading `NAME=value` operands (env, sudo) from the command after them. The command is
 * `undefined` when an expansion stands where an assignment may (it could be either).
 */
function leadingAssignments(
  operands: readonly ShellWord[],
): [WrapperEffect[], readonly ShellWord[] | undefined] {
  const effects: WrapperEffect[] = [];
  let i = 0;
  for (; i < operands.length; i++) {
    const word = operands[i];
    if (word === undefined) break;
    if (!word.literal) return [effects, undefined];
    if (!/^[^=]+=/.test(word.text)) break;
    effects.push({ kind: 'assign', word });
  }
  return [effects, operands.slice(i)];
}

function env(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'uCSa',
    long: ['unset', 'chdir', 'split-string', 'argv0'],
    longOptional: ['block-signal', 'default-signal', 'ignore-signal'],
  });
  // `-S` splits a string with env's own quoting rules: not classified.
  if (parsed === undefined || hasOption(parsed, 'S', 'split-string')) return UNKNOWN;
  // env takes any operand with `=` as an assignment; an expansion could be either.
  const [assignments, command] = leadingAssignments(parsed.operands);
  const place = changedDirectory(parsed, 'C', 'chdir');
  return command === undefined
    ? [...assignments, ...place, { kind: 'unknown' }]
    : [...assignments, ...place, ...run(command)];
}

function xargs(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'adEILnPs',
    shortOptional: 'eil',
    long: ['arg-file', 'delimiter', 'max-args', 'max-procs', 'max-chars', 'process-slot-var'],
    longOptional: ['eof', 'replace', 'max-lines'],
  });
  if (parsed === undefined) return UNKNOWN;
  const command =
    parsed.operands.length > 0 ? parsed.operands : [{ text: 'echo', literal: true, glob: false }];
  // With a replace string the input lands where it is written; otherwise xargs appends it. The
  // appended arguments are unknown: `{}` stands for them, as in find -exec.
  if (hasOption(parsed, 'I', 'i', 'replace')) {
    const replace = optionValue(parsed, 'I', 'i', 'replace')?.text ?? '{}';
    return run(command.map((w) => replaced(w, replace)));
  }
  return run([...command, { text: '{}', literal: false, glob: false }]);
}

/** A word holding the replace string is filled in at run time: no longer literal. */
function replaced(word: ShellWord, replace: string): ShellWord {
  if (!word.literal || replace === '' || !word.text.includes(replace)) return word;
  // Input can start with `-`: only fixed text before the replace string rules an option out.
  return { ...word, literal: false, notOption: word.notOption === true && !word.text.startsWith(replace) };
}

/** find's options before its starting points (`-H`, `-L`, `-P`, `-D LIST`, `-O3`). */
function findRoots(args: readonly ShellWord[]): {
  readonly roots: readonly ShellWord[];
  readonly end: number;
} {
  let i = 0;
  for (; i < args.length; i++) {
    const text = args[i]?.literal === true ? (args[i] as ShellWord).text : undefined;
    if (text === undefined || !/^-([HLP]|D|O\d*)$/.test(text)) break;
    if (text === '-D') i++;
  }
  const roots: ShellWord[] = [];
  for (; i < args.length; i++) {
    const word = args[i] as ShellWord;
    // The expression starts at the first word that starts with `-`, `(` or `!`.
    if (word.literal && /^[-(!]/.test(word.text)) break;
    roots.push(word);
  }
  return { roots: roots.length === 0 ? [{ text: '.', literal: true, glob: false }] : roots, end: i };
}

/**
 * find's `{}` in an `-exec` argv: each file found, under the starting points. A word that starts
 * with `{}` names a path inside them (it cannot start with `-` when none of them does).
 */
function foundPath(word: ShellWord, roots: readonly ShellWord[]): ShellWord {
  const out = replaced(word, '{}');
  if (out === word || !word.text.startsWith('{}')) return out;
  if (roots.some((r) => !r.literal || r.glob || r.text.startsWith('-'))) return out;
  return { ...out, notOption: true, within: roots.map((r) => r.text) };
}

function find(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const effects: WrapperEffect[] = [];
  const { roots } = findRoots(args);
  for (let i = 0; i < args.length; i++) {
    const word = args[i];
    if (word === undefined) break;
    if (!word.literal) {
      // An expansion could produce `-exec …` or `-fprint`: unresolvable.
      effects.push({ kind: 'unknown' });
      continue;
    }
    if (['-exec', '-execdir', '-ok', '-okdir'].includes(word.text)) {
      const end = args.findIndex((w, j) => j > i && w.literal && (w.text === ';' || w.text === '+'));
      if (end === -1) return [...effects, { kind: 'unknown' }];
      effects.push(...run(args.slice(i + 1, end).map((w) => foundPath(w, roots))));
      i = end;
    } else if (['-fprint', '-fprint0', '-fprintf', '-fls'].includes(word.text)) {
      const path = args[i + 1];
      effects.push(path === undefined ? { kind: 'unknown' } : { kind: 'write', path });
      i += word.text === '-fprintf' ? 2 : 1;
    } else if (word.text === '-delete') {
      // Removes what it finds: anything under the starting points.
      effects.push(...roots.flatMap((root) => treeWrites(root)));
    }
  }
  return effects;
}

function su(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'cCsgGwu',
    long: ['command', 'session-command', 'shell', 'group', 'supp-group', 'whitelist-environment', 'user'],
    permute: true,
  });
  if (parsed === undefined) return UNKNOWN;
  const command = optionValue(parsed, 'c', 'C', 'command', 'session-command');
  if (command !== undefined) return [script(command)];
  return [{ kind: 'stdin' }];
}

function runuser(args: readonly ShellWord[]): readonly WrapperEffect[] {
  // `runuser -u USER CMD…` runs CMD directly; otherwise it behaves like su.
  const parsed = parseOptions(args, {
    short: 'cCsgGwu',
    long: ['command', 'session-command', 'shell', 'group', 'supp-group', 'whitelist-environment', 'user'],
  });
  if (
    parsed !== undefined &&
    hasOption(parsed, 'u', 'user') &&
    optionValue(parsed, 'c', 'C', 'command') === undefined
  ) {
    return run(parsed.operands);
  }
  return su(args);
}

function watch(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'nq',
    long: ['interval', 'equexit'],
    longOptional: ['differences'],
  });
  if (parsed === undefined) return UNKNOWN;
  // Without -x watch joins its operands and runs them with `sh -c`.
  return hasOption(parsed, 'x', 'exec') ? run(parsed.operands) : joinedScript(parsed.operands);
}

function trap(args: readonly ShellWord[]): readonly WrapperEffect[] {
  let rest = args;
  if (rest[0]?.literal === true && rest[0].text === '--') rest = rest.slice(1);
  const action = rest[0];
  if (action === undefined || rest.length < 2) return NOTHING;
  if (action.literal && (action.text === '-' || action.text === '' || /^-[lpP]+$/.test(action.text)))
    return NOTHING;
  return [script(action)];
}

function alias(args: readonly ShellWord[]): readonly WrapperEffect[] {
  // An alias body runs wherever the name is used later; classify it as if it ran.
  const effects: WrapperEffect[] = [];
  for (const word of args) {
    if (!word.literal) effects.push({ kind: 'unknown' });
    else if (word.text.includes('='))
      effects.push({ kind: 'script', text: word.text.slice(word.text.indexOf('=') + 1) });
  }
  return effects;
}

function tee(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, { longOptional: ['output-error'], permute: true });
  if (parsed === undefined) return UNKNOWN;
  return parsed.operands.map((path) => ({ kind: 'write', path }));
}

function dd(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const effects: WrapperEffect[] = [];
  for (const word of args) {
    if (!word.literal) {
      if (/^of=/.test(word.text)) effects.push({ kind: 'unknown' });
    } else if (word.text.startsWith('of=')) {
      effects.push({ kind: 'write', path: { text: word.text.slice(3), literal: true, glob: false } });
    }
  }
  return effects;
}

function time(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, { short: 'fo', long: ['format', 'output'] });
  if (parsed === undefined) return UNKNOWN;
  const output = optionValue(parsed, 'o', 'output');
  return [
    ...(output === undefined ? [] : [{ kind: 'write', path: output } as const]),
    ...run(parsed.operands),
  ];
}

function strace(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'abeEIoOpPsSuUX',
    long: ['output', 'attach', 'user', 'env', 'string-limit', 'trace', 'signal', 'status', 'columns'],
  });
  if (parsed === undefined) return UNKNOWN;
  const output = optionValue(parsed, 'o', 'output');
  return [
    ...(output === undefined ? [] : [{ kind: 'write', path: output } as const]),
    ...run(parsed.operands),
  ];
}

/** `mapfile -C CALLBACK` evaluates CALLBACK as a command line every few lines. */
function callback(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, { short: 'dnOsuCc' });
  if (parsed === undefined) return UNKNOWN;
  const command = optionValue(parsed, 'C');
  return command === undefined ? NOTHING : [script(command)];
}

/** Builtins that set variables named by their arguments to values read at run time. */
function setsVariables(
  args: readonly ShellWord[],
  spec: OptionSpec,
  names: (p: ParsedOptions) => readonly (ShellWord | undefined)[],
): readonly WrapperEffect[] {
  const parsed = parseOptions(args, spec);
  if (parsed === undefined) return UNKNOWN;
  return names(parsed).flatMap((name): WrapperEffect[] =>
    name === undefined
      ? []
      : name.literal
        ? [{ kind: 'assign', word: { text: `${name.text}=`, literal: false, glob: false } }]
        : [{ kind: 'unknown' }],
  );
}

/**
 * `command [-pVv] CMD…` runs CMD; with `-v`/`-V` it only looks names up, so what follows the
 * options may be anything.
 */
function command(args: readonly ShellWord[]): readonly WrapperEffect[] {
  for (const word of args) {
    if (!word.literal || !/^-[pvV]+$/.test(word.text)) break;
    if (/[vV]/.test(word.text)) return NOTHING;
  }
  return simpleWrapper({})(args);
}

/** A wrapper that starts an interactive shell when given no command. */
function orShell(spec: OptionSpec, skip = 0): Handler {
  return simpleWrapper(spec, (p) =>
    p.operands.length <= skip ? [{ kind: 'stdin' }] : run(p.operands.slice(skip)),
  );
}

const HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ...POSIX_SHELLS.map((n) => [n, shell] as const),
  ...OTHER_SHELLS.map((n) => [n, otherShell] as const),
  ['sudo', sudo],
  ['source', (args) => sourceFile(args[0]?.literal === true && args[0].text === '--' ? args[1] : args[0])],
  ['.', (args) => sourceFile(args[0]?.literal === true && args[0].text === '--' ? args[1] : args[0])],
  [
    'sudoedit',
    (args) =>
      args.filter((w) => !w.literal || !w.text.startsWith('-')).map((path) => ({ kind: 'write', path })),
  ],
  [
    'doas',
    simpleWrapper({ short: 'aCu' }, (p) =>
      p.operands.length === 0 && hasOption(p, 's') ? [{ kind: 'stdin' }] : undefined,
    ),
  ],
  ['pkexec', orShell({ long: ['user'] })],
  ['env', env],
  ['nice', simpleWrapper({ short: 'n', long: ['adjustment'], numeric: true })],
  ['nohup', simpleWrapper({})],
  ['setsid', simpleWrapper({})],
  ['builtin', (args) => run(args)],
  [
    'coproc',
    // `coproc [NAME] { …; }` is a compound command tree-sitter-bash does not know: it reads
    // it as broken simple commands, so only the plain `coproc CMD ARGS` form is resolved.
    (args) => (args.slice(0, 2).some((w) => COMPOUND_OPENERS.has(w.text)) ? UNKNOWN : run(args)),
  ],
  [
    'timeout',
    simpleWrapper({ short: 'sk', long: ['signal', 'kill-after'] }, (p) => run(p.operands.slice(1))),
  ],
  ['time', time],
  ['exec', simpleWrapper({ short: 'a' })],
  ['command', command],
  ['xargs', xargs],
  ['find', find],
  ['eval', joinedScript],
  ['su', su],
  ['runuser', runuser],
  ['sg', (args) => joinedScript(args.slice(1).filter((w, i) => !(i === 0 && w.literal && w.text === '-c')))],
  ['watch', watch],
  ['stdbuf', simpleWrapper({ short: 'ioe', long: ['input', 'output', 'error'] })],
  [
    'ionice',
    simpleWrapper({ short: 'cnpPu', long: ['class', 'classdata', 'pid', 'pgid', 'uid'] }, (p) =>
      hasOption(p, 'p', 'P', 'u', 'pid', 'pgid', 'uid') ? NOTHING : undefined,
    ),
  ],
  ['chroot', (args) => [...CHROOT, ...orShell({ long: ['userspec', 'groups'] }, 1)(args)]],
  ['cd', changeDirectory],
  ['pushd', changeDirectory],
  ['popd', () => [{ kind: 'chdir', dir: undefined }]],
  [
    'flock',
    simpleWrapper({ short: 'wEc', long: ['timeout', 'wait', 'conflict-exit-code', 'command'] }, (p) => {
      // The lock file is created when missing (a number is a descriptor already open).
      const file = p.operands[0];
      const lock: WrapperEffect[] =
        file === undefined || (file.literal && /^\d+$/.test(file.text))
          ? []
          : [{ kind: 'write', path: file }];
      const command = optionValue(p, 'c', 'command');
      if (command !== undefined) return [...lock, script(command)];
      // `flock FILE -c COMMAND`: flock looks for -c right after the lock file.
      const after = p.operands[1];
      if (after?.literal === true && (after.text === '-c' || after.text === '--command')) {
        return [...lock, script(p.operands[2])];
      }
      return [...lock, ...run(p.operands.slice(1))];
    }),
  ],
  ['taskset', simpleWrapper({}, (p) => (hasOption(p, 'p', 'pid') ? NOTHING : run(p.operands.slice(1))))],
  [
    'chrt',
    simpleWrapper({ short: 'TPD', long: ['sched-runtime', 'sched-period', 'sched-deadline'] }, (p) =>
      hasOption(p, 'p', 'pid') ? NOTHING : run(p.operands.slice(1)),
    ),
  ],
  ['strace', strace],
  ['ltrace', strace],
  [
    'unshare',
    simpleWrapper(
      {
        short: 'RwSG',
        long: ['propagation', 'setgroups', 'root', 'wd', 'setuid', 'setgid', 'map-user', 'map-group'],
        longOptional: ['mount', 'uts', 'ipc', 'net', 'pid', 'user', 'cgroup', 'time'],
      },
      (p) => [
        ...(hasOption(p, 'R', 'root') ? CHROOT : NOTHING),
        ...changedDirectory(p, 'w', 'wd'),
        ...(p.operands.length === 0 ? [{ kind: 'stdin' } as const] : run(p.operands)),
      ],
    ),
  ],
  [
    'nsenter',
    simpleWrapper(
      {
        short: 'tSGe',
        shortOptional: 'mutinpUCTrw',
        long: ['target', 'setuid', 'setgid'],
        longOptional: ['mount', 'uts', 'ipc', 'net', 'pid', 'user', 'cgroup', 'time', 'root', 'wd'],
      },
      // Entering a mount namespace or another root places every path elsewhere; `-w` alone is
      // the target's working directory.
      (p) => [
        ...(hasOption(p, 'r', 'root', 'm', 'mount', 'a', 'all') ? CHROOT : NOTHING),
        ...changedDirectory(p, 'w', 'wd'),
        ...(p.operands.length === 0 ? [{ kind: 'stdin' } as const] : run(p.operands)),
      ],
    ),
  ],
  [
    'script',
    simpleWrapper(
      {
        short: 'cEIOBTm',
        shortOptional: 't',
        long: ['command', 'echo', 'log-in', 'log-out', 'log-io', 'log-timing', 'logging-format'],
      },
      (p) => {
        const command = optionValue(p, 'c', 'command');
        // The session is logged to FILE (default ./typescript), and to each --log-* file.
        const logs = [
          p.operands[0] ?? { text: 'typescript', literal: true, glob: false },
          ...p.options
            .filter(
              (o) => /^(I|O|B|T|t|log-in|log-out|log-io|log-timing)$/.test(o.name) && o.value !== undefined,
            )
            .map((o) => o.value as ShellWord),
        ].map((path): WrapperEffect => ({ kind: 'write', path }));
        return [...(command !== undefined ? [script(command)] : [{ kind: 'stdin' } as const]), ...logs];
      },
    ),
  ],
  ['busybox', (args) => (args[0]?.literal === true && args[0].text.startsWith('-') ? NOTHING : run(args))],
  ['toybox', (args) => run(args)],
  [
    'at',
    simpleWrapper({ short: 'fqt' }, (p) =>
      hasOption(p, 'f', 'l', 'r', 'd', 'c') ? NOTHING : [{ kind: 'stdin' }],
    ),
  ],
  ['batch', simpleWrapper({ short: 'fq' }, (p) => (hasOption(p, 'f') ? NOTHING : [{ kind: 'stdin' }]))],
  ['trap', trap],
  ['alias', alias],
  ['tee', tee],
  ['mapfile', callback],
  ['readarray', callback],
  [
    'printf',
    (args) =>
      setsVariables(args, { short: 'v' }, (p) =>
        optionValue(p, 'v') === undefined ? [] : [optionValue(p, 'v')],
      ),
  ],
  ['read', (args) => setsVariables(args, { short: 'adinNptu' }, (p) => [optionValue(p, 'a'), ...p.operands])],
  ['getopts', (args) => setsVariables(args, {}, (p) => [p.operands[1]])],
  // `hash -p FILE NAME` makes NAME run FILE; `enable -f LIB NAME` loads a builtin from LIB.
  ['hash', (args) => (args.some((w) => !w.literal || /^-[a-zA-Z]*p/.test(w.text)) ? UNKNOWN : NOTHING)],
  ['enable', (args) => (args.some((w) => !w.literal || /^-[a-zA-Z]*f/.test(w.text)) ? UNKNOWN : NOTHING)],
  // `fc -s` and `fc -e EDITOR` run commands from the history (which `history -s` fills, also
  // in a non-interactive shell); `fc -l` only lists.
  [
    'fc',
    (args) =>
      (args.length === 1 && args[0]?.literal === true && args[0].text === '--help') ||
      (args.some((w) => w.literal && /^-[a-zA-Z]*l/.test(w.text)) &&
        !args.some((w) => w.literal && /^-[a-zA-Z]*[se]/.test(w.text)))
        ? NOTHING
        : UNKNOWN,
  ],
  // `history -w|-a [FILE]` writes FILE, or $HISTFILE (else ~/.history); `-r`/`-n` read one in.
  [
    'history',
    (args) => {
      if (args.some((w) => !w.literal)) return UNKNOWN;
      if (!args.some((w) => /^-[a-zA-Z]*[wa]/.test(w.text))) return NOTHING;
      const file = args.find((w) => !w.text.startsWith('-'));
      return file === undefined ? UNKNOWN : [{ kind: 'write', path: file }];
    },
  ],
  // `complete -C CMD` and `compgen -C CMD` run CMD to complete a word; `bind -x` binds a key
  // to a command line.
  ...['complete', 'compgen'].map((n): [string, Handler] => [
    n,
    (args) => {
      const parsed = parseOptions(args, { short: 'oAGWFCXPSDE' });
      if (parsed === undefined) return UNKNOWN;
      const command = optionValue(parsed, 'C');
      return command === undefined ? NOTHING : [script(command)];
    },
  ]),
  ['bind', (args) => (args.some((w) => !w.literal || /^-[a-zA-Z]*[xf]/.test(w.text)) ? UNKNOWN : NOTHING)],
  ['dd', dd],
]);
