// Programs whose input is a program in a language other than bash (python -c, perl -e, node -e,
// gdb -ex, vim -c, sqlite3 .shell, …) and wrappers docs/ does not name but attackers use
// (unbuffer, fakeroot, the dynamic loader, …). Code in another language cannot be classified,
// so running any is `unknown`; a wrapper's command is classified like any other.
import { hasOption, optionValue, parseOptions, type OptionSpec } from './options.js';
import type { ShellWord } from './words.js';
import type { WrapperEffect } from './effects.js';
import { sortWrites } from './programs.js';

type Handler = (args: readonly ShellWord[]) => readonly WrapperEffect[];

const UNKNOWN: readonly WrapperEffect[] = [{ kind: 'unknown' }];
const NOTHING: readonly WrapperEffect[] = [];

/**
 * An interpreter: which options carry inline code, which take a value, and whether it reads
 * a program from stdin when given no script. `-` as the script is stdin too.
 */
interface InterpreterSpec {
  /** Short options whose value (attached or next) is code: `-c` for python, `-e` for perl. */
  readonly code: string;
  /** Long options whose value is code (`--eval`). */
  readonly longCode?: readonly string[];
  /** Short options that take a value that is not code (`-W ignore`, `-I dir`). */
  readonly valued?: string;
  /** Long options that take a separate value that is not code. */
  readonly longValued?: readonly string[];
  /** A check on other options' values that can hold code (`perl -M'X;system(…)'`). */
  readonly unsafeValue?: (option: string, value: string) => boolean;
  /** Short options whose value names a module to run, like a script file (`python -m`). */
  readonly module?: string;
  /** Options that, alone, print information and exit (default {@link INFO_FLAGS}). */
  readonly info?: readonly string[];
}

/** `--version` and `--help`: alone they make an interpreter print and exit. */
const INFO_FLAGS: readonly string[] = ['--version', '--help', '-h'];

/**
 * Runs inline code, a module, a script or stdin: everything but a script file (or module) is
 * code this classifier cannot read. A script file is only the `exec` of its argv, like
 * `bash script.sh`.
 */
function interpreter(spec: InterpreterSpec): Handler {
  return (args) => {
    // `php -v`, `node --version`, `python3 --help`: print and exit, reading no program.
    const only = args.length === 1 ? args[0] : undefined;
    if (only?.literal === true && (spec.info ?? INFO_FLAGS).includes(only.text)) return NOTHING;
    for (let i = 0; i < args.length; i++) {
      const word = args[i];
      if (word === undefined) break;
      if (!word.literal || word.glob) return UNKNOWN;
      const text = word.text;
      if (text === '-') return UNKNOWN;
      if (text === '--') return args[i + 1] === undefined ? UNKNOWN : NOTHING;
      if (text.startsWith('--')) {
        const eq = text.indexOf('=');
        const name = text.slice(2, eq === -1 ? undefined : eq);
        if (spec.longCode?.some((n) => n === name || (name.length > 1 && n.startsWith(name))) === true) {
          return UNKNOWN;
        }
        if (eq === -1 && spec.longValued?.includes(name) === true) i++;
        continue;
      }
      if (!text.startsWith('-') || text.length === 1) return NOTHING;
      const letters = text.slice(1);
      for (let j = 0; j < letters.length; j++) {
        const c = letters.charAt(j);
        if (spec.code.includes(c)) return UNKNOWN;
        if ((spec.module ?? '').includes(c)) {
          // `-m MODULE` (or `-mMODULE`) runs a module from the path, like a script file.
          return letters.slice(j + 1) !== '' || args[i + 1] !== undefined ? NOTHING : UNKNOWN;
        }
        if ((spec.valued ?? '').includes(c)) {
          const attached = letters.slice(j + 1);
          const value = attached !== '' ? attached : args[++i]?.text;
          if (value === undefined || spec.unsafeValue?.(c, value) === true) return UNKNOWN;
          break;
        }
      }
    }
    // No script: the program comes from stdin (the SSH channel, a pipe) or a REPL.
    return UNKNOWN;
  };
}

// `-m MODULE` runs a module from the path, like a script file.
const PYTHON = interpreter({
  info: [...INFO_FLAGS, '-V'],
  code: 'c',
  module: 'm',
  valued: 'WXQ',
  longValued: ['check-hash-based-pycs'],
});
const PERL = interpreter({
  info: [...INFO_FLAGS, '-v', '-V'],
  code: 'eE',
  valued: 'IMm',
  // `-MFoo=a,b` is `use Foo split(/,/, q{a,b})`; anything else in the value is code.
  unsafeValue: (option, value) =>
    (option === 'M' || option === 'm') && !/^-?[\w:]+(=[\w:,.-]*)?$/.test(value),
});
const RUBY = interpreter({
  info: [...INFO_FLAGS, '-v'],
  code: 'e',
  valued: 'IrCEF',
  longValued: ['encoding'],
});
const NODE = interpreter({
  info: [...INFO_FLAGS, '-v'],
  code: 'ep',
  // `--import`/`--loader` accept `data:` URLs, which are inline code.
  longCode: ['eval', 'print', 'import', 'experimental-loader', 'loader'],
  valued: 'r',
  longValued: ['require', 'title', 'conditions', 'input-type'],
});
const PHP = interpreter({
  info: [...INFO_FLAGS, '-v', '-m', '-i'],
  code: 'rRBEFa',
  valued: 'cdfzt',
  longValued: ['define'],
});
const LUA = interpreter({ code: 'e', valued: 'l' });
const TCL = interpreter({ code: '' });
const EXPECT = interpreter({ code: 'c', valued: 'fD' });
const GENERIC_E = interpreter({ code: 'e', longCode: ['eval'] });

/** Interpreters by basename (a version suffix such as `python3.12` is dropped before lookup). */
const INTERPRETERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ...['python', 'python2', 'python3', 'pypy', 'pypy3'].map((n) => [n, PYTHON] as const),
  ...['perl', 'perl5'].map((n) => [n, PERL] as const),
  ...['ruby', 'jruby', 'irb'].map((n) => [n, RUBY] as const),
  ...['node', 'nodejs'].map((n) => [n, NODE] as const),
  ['php', PHP],
  ...['lua', 'luajit'].map((n) => [n, LUA] as const),
  ...['tclsh', 'wish'].map((n) => [n, TCL] as const),
  ['expect', EXPECT],
  ...['Rscript', 'osascript', 'julia', 'bun', 'deno', 'jjs', 'jrunscript', 'gjs'].map(
    (n) => [n, GENERIC_E] as const,
  ),
]);

/** A wrapper whose options are `spec` and whose first operand is the command it runs. */
function wrapper(spec: OptionSpec, skip = 0): Handler {
  return (args) => {
    const parsed = parseOptions(args, spec);
    if (parsed === undefined) return UNKNOWN;
    const command = parsed.operands.slice(skip);
    return command.length === 0 ? NOTHING : [{ kind: 'argv', words: command }];
  };
}

/** Programs that start a shell or run code of their own when given these options. */
function unknownWhen(test: (args: readonly ShellWord[]) => boolean): Handler {
  return (args) => (args.some((w) => !w.literal) || test(args) ? UNKNOWN : NOTHING);
}

/** A wrapper that starts a shell reading stdin when given no command (past `skip` operands). */
function withShell(inner: Handler, skip: number): Handler {
  return (args) => {
    const parsed = parseOptions(args, { short: '' });
    if (parsed !== undefined && parsed.operands.length <= skip) return [{ kind: 'stdin' }];
    return inner(args);
  };
}

/** capsh: the words after `--` are bash's (`capsh -- -c CMD`); `--shell=` runs another program. */
function capsh(args: readonly ShellWord[]): readonly WrapperEffect[] {
  if (args.some((w) => !w.literal || /^--shell=|^==$/.test(w.text))) return UNKNOWN;
  const at = args.findIndex((w) => w.text === '--');
  if (at === -1) return NOTHING;
  return [{ kind: 'argv', words: [{ text: 'bash', literal: true, glob: false }, ...args.slice(at + 1)] }];
}

/** `perf stat|record|trace|sched|lock|mem|kvm … [--] CMD…`: the command after its options. */
function perf(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const sub = args[0];
  if (sub === undefined || !sub.literal) return sub === undefined ? NOTHING : UNKNOWN;
  if (!['stat', 'record', 'trace', 'c2c', 'mem', 'sched', 'lock', 'kvm', 'top'].includes(sub.text))
    return NOTHING;
  // Valued options of the common subcommands; a value taken for the command errs to unknown.
  const parsed = parseOptions(args.slice(1), {
    short: 'eoCGptrcFIjmuxMD',
    long: [
      'event',
      'output',
      'cpu',
      'cgroup',
      'pid',
      'tid',
      'repeat',
      'count',
      'freq',
      'interval-print',
      'call-graph',
      'uid',
      'field-separator',
      'post',
      'pre',
      'delay',
      'mmap-pages',
      'filter',
      'input',
      'switch-output',
      'control',
    ],
  });
  if (parsed === undefined || args.some((w) => /^--(pre|post|control)/.test(w.text))) return UNKNOWN;
  const out: WrapperEffect[] = [];
  const output = optionValue(parsed, 'o', 'output');
  if (output !== undefined) out.push({ kind: 'write', path: output });
  else if (sub.text === 'record')
    out.push({ kind: 'write', path: { text: 'perf.data', literal: true, glob: false } });
  if (parsed.operands.length > 0) out.push({ kind: 'argv', words: parsed.operands });
  return out;
}

/** `ip [opts] netns exec NAME CMD…` and `ip -n NAME …` run commands in a namespace. */
function ip(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const words = args.map((w) => w.text);
  if (args.some((w) => !w.literal)) return UNKNOWN;
  const netns = words.findIndex((w) => /^netns$|^net$|^netn$/.test(w));
  if (netns !== -1 && /^(exec|e|ex|exe)$/.test(words[netns + 1] ?? '')) {
    const command = args.slice(netns + 3);
    return command.length === 0 ? UNKNOWN : [{ kind: 'argv', words: command }];
  }
  return NOTHING;
}

/** `logsave [-asv] LOGFILE CMD…`: writes LOGFILE, runs CMD. */
function logsave(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {});
  if (parsed === undefined) return UNKNOWN;
  const [log, ...command] = parsed.operands;
  if (log === undefined) return NOTHING;
  return [
    { kind: 'write', path: log },
    ...(command.length === 0 ? [] : [{ kind: 'argv', words: command } as const]),
  ];
}

/** Options whose value is a command a program runs through a shell. */
function commandOption(names: readonly string[]): Handler {
  return (args) => {
    for (let i = 0; i < args.length; i++) {
      const w = args[i];
      if (w === undefined) break;
      if (!w.literal) continue;
      for (const name of names) {
        if (w.text === name) {
          const v = args[i + 1];
          return v?.literal === true ? [{ kind: 'script', text: v.text }] : UNKNOWN;
        }
        if (name.startsWith('--') && w.text.startsWith(`${name}=`)) {
          return [{ kind: 'script', text: w.text.slice(name.length + 1) }];
        }
      }
    }
    return NOTHING;
  };
}

/** `dc -e EXPR …` / `--expression=EXPR`: every expression free of `!`, and no file or stdin. */
function dcExpressionsOnly(args: readonly ShellWord[]): boolean {
  if (args.length === 1 && INFO_FLAGS.includes(args[0]?.text ?? '')) return true;
  let expressions = 0;
  for (let i = 0; i < args.length; i++) {
    const text = args[i]?.text ?? '';
    let expression: string | undefined;
    if (text === '-e' || text === '--expression') expression = args[++i]?.text;
    else if (text.startsWith('--expression=')) expression = text.slice('--expression='.length);
    else if (text.startsWith('-e')) expression = text.slice(2);
    else return false;
    if (expression === undefined || expression.includes('!')) return false;
    expressions++;
  }
  return expressions > 0;
}

/** Standard input by name, as make's `-f` reads it. */
const STDIN_NAME = /^(-|\/dev\/stdin|\/dev\/fd\/0|\/proc\/self\/fd\/0)$/;

/** `make -f -` (or `-f-`, `--file=/dev/stdin`): the makefile, recipes included, comes from stdin. */
function makefileFromStdin(args: readonly ShellWord[]): boolean {
  return args.some((w, i) => {
    const value = /^(?:-f|--(?:f|fi|fil|file|makefile)=)(.+)$/.exec(w.text)?.[1];
    if (value !== undefined) return STDIN_NAME.test(value);
    return /^(-f|--file|--makefile)$/.test(w.text) && STDIN_NAME.test(args[i + 1]?.text ?? '-');
  });
}

/** sqlite3 options that take one value, and those that take two. */
const SQLITE_VALUED = /^--?(maxsize|mmap|newline|nullvalue|separator|vfs|heap|escape)$/;
const SQLITE_TWO_VALUES = /^--?(lookaside|pagecache)$/;

/**
 * Whether sqlite3 reads commands it was not given on the command line: from stdin (no SQL
 * operand after the database: dot-commands such as `.shell` included), from an `-init` file,
 * or through `-cmd` (checked with the operands above, but it keeps reading stdin too).
 */
function sqliteReadsCommands(args: readonly ShellWord[]): boolean {
  const only = args.length === 1 ? args[0]?.text : undefined;
  if (only !== undefined && /^--?(version|help)$/.test(only)) return false;
  let operands = 0;
  for (let i = 0; i < args.length; i++) {
    const text = args[i]?.text ?? '';
    if (/^--?(init|cmd|A|archive)$/.test(text)) return true;
    if (SQLITE_VALUED.test(text)) i++;
    else if (SQLITE_TWO_VALUES.test(text)) i += 2;
    else if (!text.startsWith('-')) operands++;
  }
  return operands < 2;
}

/**
 * sqlite3 dot-commands that only read or change how results are shown. Any other (`.shell`,
 * `.read FILE`, `.open`, `.save`, `.backup`, `.import '|cmd'`, `.output`, `.archive`, `.log`, …)
 * runs a command, reads commands from a file or writes one.
 */
const SQLITE_SAFE_DOT =
  /^\.(tables|schema|fullschema|indexes|indices|headers?|mode|dump|databases|show|width|nullvalue|separator|timer|help|eqp|explain|stats|print|echo|bail|changes|dbinfo|lint|quit|exit|sha3sum)\b/;

/**
 * SQL the sqlite3 shell runs that writes a file other than the database or runs code: its
 * writefile() and edit() functions, extension loading, ATTACH (opens or creates another file),
 * VACUUM INTO, and the zipfile table that writes archives.
 */
const SQLITE_UNSAFE_SQL =
  /\b(writefile|edit|load_extension|fts3_tokenizer)\s*\(|\battach\b|\bvacuum\b[^;]*\binto\b|\bzipfile\b/i;

/**
 * sqlite3 DB [SQL…]: writes DB (it creates a missing one and SQL may change it; not with
 * `-readonly`); `unknown` where it reads commands not on the command line (see
 * sqliteReadsCommands), for a dot-command not in SQLITE_SAFE_DOT, for SQL that writes another
 * file or runs code, and for a `file:` URI (its parameters name what is opened).
 */
function sqlite3(args: readonly ShellWord[]): readonly WrapperEffect[] {
  if (args.some((w) => !w.literal) || sqliteReadsCommands(args)) return UNKNOWN;
  const operands: ShellWord[] = [];
  let readonly = false;
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as ShellWord;
    const text = word.text;
    if (SQLITE_VALUED.test(text)) i++;
    else if (SQLITE_TWO_VALUES.test(text)) i += 2;
    else if (/^--?readonly$/.test(text)) readonly = true;
    else if (!text.startsWith('-')) operands.push(word);
  }
  const [db, ...commands] = operands;
  for (const c of commands) {
    const text = c.text.trimStart();
    if (
      text.startsWith('.') ? !SQLITE_SAFE_DOT.test(text) || /[\n\r]/.test(text) : SQLITE_UNSAFE_SQL.test(text)
    )
      return UNKNOWN;
    // A dot-command is only ever the whole operand; inside SQL, one at a line's start is not
    // run, but is refused anyway rather than reasoned about.
    if (/(^|[\n;])\s*\.[a-z]/i.test(text) && !SQLITE_SAFE_DOT.test(text)) return UNKNOWN;
  }
  if (db === undefined || readonly || db.text === ':memory:' || db.text === '') return NOTHING;
  if (/^file:/i.test(db.text)) return UNKNOWN;
  return [{ kind: 'write', path: db }];
}

/** Programs not in docs/'s wrapper list that run another command or code, by basename. */
const OTHER_PROGRAMS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ['unbuffer', wrapper({ short: '' })],
  ['fakeroot', wrapper({ short: 'lsi', long: ['lib', 'faked', 'unknown-is-real', 'fd-base'] })],
  ['faketime', wrapper({ short: 'mf' }, 1)],
  ...['proxychains', 'proxychains4'].map((n) => [n, wrapper({ short: 'f' })] as const),
  ...['torsocks', 'tsocks'].map(
    (n) => [n, wrapper({ short: 'uapP', long: ['user', 'pass', 'address', 'port'] })] as const,
  ),
  ['catchsegv', wrapper({})],
  ['rlwrap', wrapper({ short: 'aDfFhHlOpPsSt', shortOptional: 'acinN' })],
  [
    'xvfb-run',
    wrapper({
      short: 'fenps',
      long: ['error-file', 'auth-file', 'server-num', 'xauth-protocol', 'server-args'],
    }),
  ],
  ['ssh-agent', wrapper({ short: 'aEPt' })],
  ['dbus-launch', wrapper({ long: ['config-file', 'autolaunch'] })],
  ['sshpass', wrapper({ short: 'pfdP' })],
  [
    'numactl',
    wrapper({ short: 'iNmCpP', long: ['interleave', 'cpunodebind', 'membind', 'physcpubind', 'preferred'] }),
  ],
  ['cgexec', wrapper({ short: 'g' })],
  ['firejail', wrapper({ permute: false })],
  ['cpulimit', wrapper({ short: 'lpPe', long: ['limit', 'pid', 'exe', 'path'] })],
  ['valgrind', wrapper({})],
  [
    'setpriv',
    wrapper({
      long: [
        'reuid',
        'regid',
        'groups',
        'inh-caps',
        'ambient-caps',
        'bounding-set',
        'securebits',
        'selinux-label',
        'apparmor-profile',
        'pdeathsig',
      ],
    }),
  ],
  ['runcon', runcon],
  ['prlimit', prlimit],
  [
    'dbus-run-session',
    // The bus daemon it starts (`--dbus-daemon`) and the bus configuration can run programs too.
    (args) =>
      args.some((w) => !w.literal || /^--(dbus-daemon|config-file)/.test(w.text))
        ? UNKNOWN
        : wrapper({})(args),
  ],
  // util-linux: `setarch ARCH [flags] [PROGRAM…]` and its per-architecture names (`linux64
  // [flags] [PROGRAM…]`); without a program they start a shell that reads stdin.
  [
    'setarch',
    (args) => {
      // The architecture is the first word that is not an option; the flags may follow it.
      const arch = args.findIndex((w) => !w.literal || !w.text.startsWith('-'));
      if (arch === -1) return NOTHING;
      return withShell(wrapper({ short: '' }), 0)([...args.slice(0, arch), ...args.slice(arch + 1)]);
    },
  ],
  ...['linux32', 'linux64', 'i386', 'x86_64', 'i686', 'uname26', 'armv7l', 'aarch64', 'ppc64', 's390x'].map(
    (n): [string, Handler] => [n, withShell(wrapper({ short: '' }), 0)],
  ),
  // `choom -n N [--] PROGRAM…` (with `-p PID` it runs nothing).
  ['choom', wrapper({ short: 'np', long: ['adjust', 'pid'] })],
  // `capsh … -- ARGS` hands ARGS to bash (`-- -c CMD`); `--shell=` names another program.
  ['capsh', capsh],
  // Container init and privilege-dropping wrappers: `gosu USER CMD…`, `tini -- CMD…`, …
  ['eatmydata', wrapper({ short: '' })],
  ['tini', wrapper({ short: 'ep' })],
  ['dumb-init', wrapper({ short: 'r', long: ['rewrite'] })],
  ...['gosu', 'su-exec', 'setuidgid', 'envuidgid'].map((n): [string, Handler] => [
    n,
    wrapper({ short: '' }, 1),
  ]),
  ['softlimit', wrapper({ short: 'madslfcoptr' })],
  // chpst `-e DIR` sets variables from files, `-/ DIR` changes the root: not resolved.
  [
    'chpst',
    (args) =>
      args.some((w) => !w.literal || /^-[^-]*[e/]/.test(w.text))
        ? UNKNOWN
        : wrapper({ short: 'uUnlLmdofcprt' })(args),
  ],
  // envdir sets variables from the files of a directory (any of them may be LD_PRELOAD).
  ['envdir', () => UNKNOWN],
  // `perf stat|record|trace [options] CMD…`; other subcommands run nothing.
  ['perf', perf],
  // `gdbserver COMM PROG ARGS…`
  [
    'gdbserver',
    (args) =>
      args.some((w) => /^--(attach|multi)$/.test(w.text))
        ? UNKNOWN
        : wrapper({ short: '', long: ['wrapper', 'debug-file'] }, 1)(args),
  ],
  // A container of another root directory, like chroot: nothing it writes is known.
  ...['systemd-nspawn', 'machinectl'].map((n): [string, Handler] => [n, () => UNKNOWN]),
  // Their options (binds, namespaces, seccomp programs read from descriptors) are too many to
  // read safely; what they run is not resolved.
  ['bwrap', () => UNKNOWN],
  // The files a patch changes are named inside it.
  ['patch', unknownWhen((args) => !args.some((w) => w.text === '--dry-run' || INFO_FLAGS.includes(w.text)))],
  ['proot', () => UNKNOWN],
  ['tmux', tmux],
  [
    'screen',
    unknownWhen(
      (args) => !(args.length === 1 && /^-(ls|list|v|version|-version|h|-help)$/.test(args[0]?.text ?? '')),
    ),
  ],
  ['man', man],
  // Its commands (`-c`, `-e`, a script with `-f`) include `!` shell commands and local writes.
  ['lftp', unknownWhen((args) => args.some((w) => /^(-[a-zA-Z]*[cef]$|--(rcfile|norc))/.test(w.text)))],
  // Perl's rename evaluates its first argument as Perl; util-linux's is `rename.ul`.
  ...['rename', 'prename', 'file-rename', 'perl-rename'].map(
    (n) =>
      [n, unknownWhen((args) => !(args.length === 1 && INFO_FLAGS.includes(args[0]?.text ?? '')))] as const,
  ),
  ['ip', ip],
  ['logsave', logsave],
  // newgrp starts a shell that reads the channel.
  ['newgrp', () => UNKNOWN],
  ['split', commandOption(['--filter'])],
  // (`-o FILE` is a write: see sortWrites.)
  ['sort', (args) => [...commandOption(['--compress-program'])(args), ...sortWrites(args)]],
  ['zip', commandOption(['-TT', '--unzip-command'])],
  [
    'apt-get',
    unknownWhen((args) => args.some((w) => /Invoke|Post-Invoke|Pre-Install-Pkgs|::Exec/i.test(w.text))),
  ],
  ['apt', unknownWhen((args) => args.some((w) => /Invoke|Pre-Install-Pkgs|::Exec/i.test(w.text)))],
  ['make', unknownWhen((args) => args.some((w) => /^(--eval|-E)/.test(w.text)) || makefileFromStdin(args))],
  // Editors and calculators whose commands come from stdin when it is not a terminal (a pipe,
  // a here-document, the SSH channel): vim runs `:!cmd` typed into it, ed and ex run `!cmd`
  // and write any file, dc runs `!cmd`. Only printing their version or help is resolved, and
  // dc given only `-e` expressions without `!` (it then exits without reading stdin).
  ['dc', unknownWhen((args) => !dcExpressionsOnly(args))],
  // (`editor` and `sensible-editor` are Debian's names for the chosen editor, vim by default.)
  ...[
    'vim',
    'vi',
    'nvim',
    'ex',
    'view',
    'vimdiff',
    'rvim',
    'rview',
    'ed',
    'red',
    'vim.basic',
    'vim.tiny',
    'vim.nox',
    'vim.gtk3',
    'gvim',
    'editor',
    'sensible-editor',
  ].map(
    (n) =>
      [n, unknownWhen((args) => !(args.length === 1 && INFO_FLAGS.includes(args[0]?.text ?? '')))] as const,
  ),
  // emacs runs Lisp given on the command line or loaded from a file.
  ...['emacs', 'emacs-nox', 'emacs-gtk'].map((n): [string, Handler] => [
    n,
    unknownWhen((args) =>
      args.some((w) => /^(--eval|-l$|--load|-f$|--funcall|--script|-x$|--execute|-e$)/.test(w.text)),
    ),
  ]),
  [
    'gdb',
    unknownWhen((args) =>
      args.some((w) =>
        /^(-ex|--ex|-eval-command|--eval-command|-x|--command|-batch|--batch|-iex|-ix)/.test(w.text),
      ),
    ),
  ],
  ['sqlite3', sqlite3],
  ['psql', unknownWhen((args) => args.some((w) => psqlMetaUnsafe(w.text)))],
  ...['mysql', 'mariadb'].map(
    (n) => [n, unknownWhen((args) => args.some((w) => mysqlClientUnsafe(w.text)))] as const,
  ),
  ['rpm', unknownWhen((args) => args.some((w) => /^--eval|^-E$|%\{?(lua|\()/.test(w.text)))],
  ['start-stop-daemon', () => UNKNOWN],
  ['parallel', () => UNKNOWN],
]);

/**
 * psql meta-commands that only show, set display options or variables, or branch: every other
 * one (`\\!`, `\\o FILE` or `|cmd`, `\\g |cmd`, `\\copy … program`, `\\w`, `\\i`, `\\e`,
 * `\\setenv`, `\\lo_export`, …) runs a command or touches a client file.
 */
const PSQL_SAFE_META =
  /^(d[a-zA-Z]*\+?|l\+?|list|x|timing|conninfo|echo|qecho|warn|q|quit|encoding|set|unset|pset|t|a|H|C|f|h|help|\?|errverbose|gdesc|gset|crosstabview|if|elif|else|endif|s[fv]\+?|z|watch|bind|password)$/;

/** Whether a psql argument holds a meta-command outside {@link PSQL_SAFE_META}, or names an init file. */
function psqlMetaUnsafe(text: string): boolean {
  for (const m of text.matchAll(/\\([a-zA-Z_]+\+?|[?!.])/g)) {
    if (!PSQL_SAFE_META.test(m[1] ?? '')) return true;
  }
  return /^--init-command/.test(text);
}

/**
 * mysql and mariadb client commands that run a shell command, a pager or an editor, read
 * commands from a file or write one (`system`, `\\!`, `pager`, `\\P`, `edit`, `\\e`, `source`,
 * `\\.`, `tee`, `\\T`), in `-e` text or as options, and option files that can set them.
 */
function mysqlClientUnsafe(text: string): boolean {
  return (
    /\\([!.PTe]|system)/.test(text) ||
    /(^|[;\n])\s*(system|pager|tee|source|edit)(\s|;|$)/i.test(text) ||
    /^--(pager|tee|init-command|defaults-file|defaults-extra-file|plugin-dir|no-defaults=)/.test(text)
  );
}

/** `runcon CONTEXT CMD…`, or `runcon [-u U] [-r R] [-t T] [-l L] CMD…`: CMD. */
function runcon(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, { short: 'turl', long: ['user', 'role', 'type', 'range'] });
  if (parsed === undefined) return UNKNOWN;
  // Without a context component given as an option, the first operand is the whole context.
  const skip = parsed.options.some((o) => o.value !== undefined) ? 0 : 1;
  const command = parsed.operands.slice(skip);
  return command.length === 0 ? NOTHING : [{ kind: 'argv', words: command }];
}

/** `prlimit [--RESOURCE=LIMITS]… CMD…` runs CMD; with `--pid` it changes a running process. */
function prlimit(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'po',
    shortOptional: 'cdefilmnqrstuvxy',
    long: ['pid', 'output'],
    longOptional: [
      'core',
      'data',
      'nice',
      'fsize',
      'sigpending',
      'memlock',
      'rss',
      'nofile',
      'msgqueue',
      'rtprio',
      'stack',
      'cpu',
      'nproc',
      'as',
      'locks',
      'rttime',
    ],
  });
  if (parsed === undefined) return UNKNOWN;
  if (hasOption(parsed, 'p', 'pid')) return NOTHING;
  return parsed.operands.length === 0 ? NOTHING : [{ kind: 'argv', words: parsed.operands }];
}

/**
 * tmux commands that only show or end things. Any other (a new session, window or pane, run-shell,
 * if-shell, send-keys, pipe-pane, set-option's commands, source-file, a popup) runs a command or
 * types into a shell; a format's `#(…)` runs one too, and so do `-c` and a config file (`-f`).
 */
const TMUX_QUIET = new Set([
  'ls',
  'list-sessions',
  'lsw',
  'list-windows',
  'lsp',
  'list-panes',
  'lsc',
  'list-clients',
  'lsb',
  'list-buffers',
  'lsk',
  'list-keys',
  'lscm',
  'list-commands',
  'has',
  'has-session',
  'show',
  'show-options',
  'showw',
  'show-window-options',
  'showenv',
  'show-environment',
  'display',
  'display-message',
  'capturep',
  'capture-pane',
  'info',
  'server-info',
  'showmsgs',
  'show-messages',
  'kill-server',
  'kill-session',
  'kill-window',
  'kill-pane',
  'detach',
  'detach-client',
  'a',
  'attach',
  'attach-session',
]);

function tmux(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, { short: 'cfLST' });
  if (parsed === undefined || args.some((w) => !w.literal || w.text.includes('#('))) return UNKNOWN;
  if (hasOption(parsed, 'c', 'f')) return UNKNOWN;
  if (parsed.options.some((o) => o.name === 'V')) return NOTHING;
  const operands = parsed.operands;
  // Commands are separated by a `;` word (`\;` in the shell).
  if (operands.length === 0 || operands.some((w) => w.text === ';' || w.text.endsWith('\\;'))) return UNKNOWN;
  return TMUX_QUIET.has(operands[0]?.text ?? '') ? NOTHING : UNKNOWN;
}

/**
 * man: `-P PAGER`/`--pager=PAGER` is a command line man runs; an HTML browser (`-H`,
 * `--html`), a config file (`-C`) or a gxditview (`-X`) can be any program: `unknown`.
 */
function man(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'PCMSmLpREersT',
    shortOptional: 'HX',
    long: [
      'pager',
      'config-file',
      'manpath',
      'sections',
      'systems',
      'locale',
      'preprocessor',
      'recode',
      'encoding',
      'extension',
      'prompt',
    ],
    longOptional: ['html', 'gxditview', 'troff-device'],
    permute: true,
  });
  if (parsed === undefined) return UNKNOWN;
  if (hasOption(parsed, 'H', 'html', 'C', 'config-file', 'X', 'gxditview')) return UNKNOWN;
  const pager = optionValue(parsed, 'P', 'pager');
  if (pager === undefined) return NOTHING;
  return pager.literal ? [{ kind: 'script', text: pager.text }] : UNKNOWN;
}

/**
 * The handler for a program outside the core wrapper table, by its basename: an interpreter,
 * the dynamic loader (`/lib64/ld-linux-x86-64.so.2 /bin/rm` runs rm), or another program in
 * {@link OTHER_PROGRAMS}.
 */
export function otherProgramHandler(name: string): Handler | undefined {
  const direct = OTHER_PROGRAMS.get(name) ?? INTERPRETERS.get(name);
  if (direct !== undefined) return direct;
  // `python3.12`, `perl5.36`, `lua5.4`, `php8.2`.
  const unversioned = name.replace(/[\d.]+$/, '');
  if (unversioned !== name && unversioned !== '') {
    const versioned = INTERPRETERS.get(unversioned);
    if (versioned !== undefined) return versioned;
  }
  if (/^ld(-linux)?([-.\w]*)\.so(\.\d+)*$/.test(name)) return loader;
  return undefined;
}

/** `ld.so [--library-path P] [--preload L] [--argv0 S] PROGRAM ARGS…` runs PROGRAM. */
function loader(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    long: [
      'library-path',
      'inhibit-rpath',
      'audit',
      'preload',
      'argv0',
      'glibc-hwcaps-prepend',
      'glibc-hwcaps-mask',
    ],
  });
  if (parsed === undefined) return UNKNOWN;
  // A preloaded or differently searched library can run anything before PROGRAM.
  if (hasOption(parsed, 'library-path', 'preload', 'audit')) return UNKNOWN;
  return parsed.operands.length === 0 ? NOTHING : [{ kind: 'argv', words: parsed.operands }];
}
