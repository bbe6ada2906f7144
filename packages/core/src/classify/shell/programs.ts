// Ordinary programs that can run commands or write files through their own options and
// arguments (awk's system(), sed's e and -i, tar --to-command, ssh -o ProxyCommand, git -c,
// cp/mv targets, curl -o, …). Their command strings are classified and their targets are writes,
// so an allowed `tar` or `sed` cannot smuggle a command or a write past the policy.
import { posix } from 'node:path';
import { hasOption, optionValue, parseOptions, type OptionSpec, type ParsedOptions } from './options.js';
import type { ShellWord } from './words.js';
import type { WrapperEffect } from './effects.js';
import { COMPRESSORS, compressorWrites } from './compressors.js';
import { optionWrites, parentWrites, treeWrites, writes } from './file-writers.js';
import { gitConfigEffects } from './git.js';
import { TOOLCHAIN_HANDLERS } from './toolchain.js';

type Handler = (args: readonly ShellWord[]) => readonly WrapperEffect[];

const UNKNOWN: readonly WrapperEffect[] = [{ kind: 'unknown' }];

function script(word: ShellWord | undefined): WrapperEffect {
  return word?.literal === true ? { kind: 'script', text: word.text } : { kind: 'unknown' };
}

function lit(text: string): ShellWord {
  return { text, literal: true, glob: false };
}

/**
 * awk programs that call system(), run a pipe (`cmd | getline`, `print | "cmd"`, `|&`), print to
 * a file (`print > "f"`) or load extensions. Comparisons (`$3 > max`) are not affected.
 */
const AWK_EFFECTS = /\bsystem\s*\(|\|\s*getline|\|&|\bprintf?\b[^;{}\n]*(>|\|)|@(load|include)\b/;

function awk(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'fvFWE',
    long: ['file', 'assign', 'field-separator', 'source', 'include', 'load', 'exec'],
    permute: true,
  });
  if (parsed === undefined) return UNKNOWN;
  // A program file, an extension library or an inline --source cannot be checked.
  if (hasOption(parsed, 'f', 'file', 'E', 'exec', 'load', 'l', 'include', 'i', 'source')) return UNKNOWN;
  const program = parsed.operands[0];
  if (program === undefined) return [];
  if (!program.literal || AWK_EFFECTS.test(program.text)) return UNKNOWN;
  return [];
}

/**
 * sed scripts with GNU's `e` command or the `e` flag of `s` run commands; `w FILE` writes.
 * A script is approximated by its text: any of those shapes makes it unknown.
 */
const SED_EFFECTS = [/(?:^|[;\n{}]|\d|\$|\/)\s*[eEwW](?:\s|$)/, /s(.).*\1.*\1[a-zA-Z0-9]*[ew]/s];

function sed(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'efl',
    shortOptional: 'i',
    long: ['expression', 'file', 'line-length'],
    longOptional: ['in-place'],
    permute: true,
  });
  if (parsed === undefined || hasOption(parsed, 'f', 'file')) return UNKNOWN;
  const scripts = parsed.options.filter((o) => o.name === 'e' || o.name === 'expression').map((o) => o.value);
  const operands = [...parsed.operands];
  if (scripts.length === 0) scripts.push(operands.shift());
  const effects: WrapperEffect[] = [];
  for (const s of scripts) {
    if (s === undefined || !s.literal || SED_EFFECTS.some((re) => re.test(s.text)))
      effects.push({ kind: 'unknown' });
  }
  // -i edits every file in place; `-iSUFFIX` keeps the original as FILE + SUFFIX, or where the
  // suffix holds `*`, as the suffix with `*` replaced by the file's name (`-i'bak/*'`).
  if (hasOption(parsed, 'i', 'in-place')) {
    const suffix = optionValue(parsed, 'i', 'in-place');
    for (const path of operands) {
      effects.push({ kind: 'write', path });
      if (suffix === undefined || suffix.text === '') continue;
      if (!suffix.literal || !path.literal || path.glob) {
        effects.push({ kind: 'unknown' });
        continue;
      }
      const backup = suffix.text.includes('*')
        ? posix.join(posix.dirname(path.text), suffix.text.replaceAll('*', posix.basename(path.text)))
        : path.text + suffix.text;
      effects.push({ kind: 'write', path: lit(backup) });
    }
  }
  return effects;
}

/** Options whose value is a command line the program runs, by program. */
function commandOptions(prefixes: readonly string[]): Handler {
  return (args) => {
    const effects: WrapperEffect[] = [];
    for (let i = 0; i < args.length; i++) {
      const word = args[i];
      if (word === undefined) break;
      if (!word.literal) continue;
      for (const p of prefixes) {
        if (p.endsWith('=') && word.text.startsWith(p)) effects.push(script(lit(word.text.slice(p.length))));
        else if (!p.endsWith('=') && word.text === p) effects.push(script(args[++i]));
        else if (!p.endsWith('=') && p.length === 2 && word.text.startsWith(p) && word.text.length > 2) {
          effects.push(script(lit(word.text.slice(2))));
        }
      }
    }
    return effects;
  };
}

function tar(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const effects: WrapperEffect[] = [
    ...commandOptions([
      '--to-command=',
      '--use-compress-program=',
      '--rsh-command=',
      '--info-script=',
      '--new-volume-script=',
      '-I',
      '-F',
    ])(args),
  ];
  for (const word of args) {
    if (!word.literal) continue;
    const m = /^--checkpoint-action=(?:exec|sh)=(.*)$/s.exec(word.text);
    if (m !== null) effects.push(script(lit(m[1] ?? '')));
    if (word.text.startsWith('--to-command') && !word.text.includes('=')) effects.push({ kind: 'unknown' });
  }
  return effects;
}

function ssh(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const effects: WrapperEffect[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i];
    if (word?.literal !== true) continue;
    let option: ShellWord | undefined;
    if (word.text === '-o') option = args[++i];
    else if (word.text.startsWith('-o')) option = lit(word.text.slice(2));
    if (option === undefined) continue;
    if (!option.literal) {
      effects.push({ kind: 'unknown' });
      continue;
    }
    const m = /^\s*(proxycommand|localcommand|knownhostscommand|remotecommand)\s*[=\s]\s*(.*)$/is.exec(
      option.text,
    );
    if (m !== null) effects.push(script(lit(m[2] ?? '')));
  }
  return effects;
}

function git(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const effects: WrapperEffect[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i];
    if (word?.literal !== true) continue;
    if (/^--(config-env|exec-path)=/.test(word.text)) {
      // A configuration value read from an environment variable, or git's helpers from another
      // directory: what runs cannot be known.
      effects.push({ kind: 'unknown' });
    } else if (word.text === '-c' || word.text === '--config-env') {
      const setting = args[++i];
      if (setting?.literal !== true) {
        effects.push({ kind: 'unknown' });
        continue;
      }
      const eq = setting.text.indexOf('=');
      const key = eq === -1 ? setting.text : setting.text.slice(0, eq);
      const value = eq === -1 ? '' : setting.text.slice(eq + 1);
      if (word.text === '--config-env') effects.push({ kind: 'unknown' });
      else effects.push(...gitConfigEffects(key, value));
    } else if (/^--(upload-pack|receive-pack|exec)=/.test(word.text)) {
      effects.push(script(lit(word.text.slice(word.text.indexOf('=') + 1))));
    } else if (
      /^--(upload-pack|receive-pack|exec)$/.test(word.text) ||
      // `-u` is --upload-pack only for clone (`git stash -u` includes untracked files).
      (word.text === '-u' && args.slice(0, i).some((w) => w.literal && w.text === 'clone'))
    ) {
      effects.push(script(args[++i]));
    } else if (/^ext::/.test(word.text)) {
      effects.push({ kind: 'unknown' });
    }
  }
  return effects;
}

function netcat(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const effects: WrapperEffect[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i];
    if (word?.literal !== true) continue;
    if (word.text === '-e' || word.text === '--exec') {
      const program = args[++i];
      effects.push(program === undefined ? { kind: 'unknown' } : { kind: 'argv', words: [program] });
    } else if (word.text === '-c' || word.text === '--sh-exec' || word.text === '--lua-exec') {
      effects.push(word.text === '--lua-exec' ? { kind: 'unknown' } : script(args[++i]));
    } else if (/^--(exec|sh-exec)=/.test(word.text)) {
      effects.push(script(lit(word.text.slice(word.text.indexOf('=') + 1))));
    }
  }
  return effects;
}

function socat(args: readonly ShellWord[]): readonly WrapperEffect[] {
  return args.some((w) => !w.literal || /^(exec|system)[:,]/i.test(w.text)) ? UNKNOWN : [];
}

/**
 * cp, mv, install, ln: the destination (or `-t DIR`) is written, as a path that may be a
 * directory written into (see `treeWrites`); mv also removes its sources, directories with
 * everything in them. A link (ln, `cp -s`, `cp -l`: where `links` says so) is a second name
 * for its source: what is written through it lands in the source, so the sources are written
 * too, as an SFTP link is (see `linkTargets`).
 */
function copyLike(
  spec: OptionSpec,
  movesSources: boolean,
  makesDirectories = false,
  links: (p: ParsedOptions) => boolean = () => false,
): Handler {
  return (args) => {
    const parsed = parseOptions(args, { ...spec, permute: true });
    if (parsed === undefined) return UNKNOWN;
    const targetDir = optionValue(parsed, 't', 'target-directory');
    const operands = parsed.operands;
    const effects: WrapperEffect[] = [];
    let sources: readonly ShellWord[] = [];
    let destination: ShellWord | undefined;
    if (targetDir !== undefined) {
      effects.push(...treeWrites(targetDir));
      if (makesDirectories && hasOption(parsed, 'D')) effects.push(...parentWrites(targetDir));
      if (movesSources) effects.push(...operands.flatMap(treeWrites));
      [sources, destination] = [operands, targetDir];
    } else if (makesDirectories && hasOption(parsed, 'd', 'directory')) {
      // `install -d DIR…` creates every operand as a directory.
      effects.push(...operands.flatMap(treeWrites));
    } else if (operands.length >= 2) {
      const written = movesSources ? operands : operands.slice(-1);
      effects.push(...written.flatMap(treeWrites));
      [sources, destination] = [operands.slice(0, -1), operands[operands.length - 1]];
      // `install -D SRC DEST` makes the directories above DEST.
      if (makesDirectories && hasOption(parsed, 'D') && destination !== undefined)
        effects.push(...parentWrites(destination));
    } else if (operands.length === 1 && links(parsed)) {
      // `ln -s TARGET`: a link named after TARGET, in the working directory.
      const only = operands[0] as ShellWord;
      effects.push(...treeWrites(only.literal ? lit(posix.basename(only.text)) : only));
      [sources, destination] = [operands, lit('.')];
    }
    // `-b`/`--backup` keeps what is replaced beside it, as `NAME~` or `NAME.~N~` (the kind and
    // the suffix may come from the environment): the destination's whole directory.
    if (destination !== undefined && targetDir === undefined && hasOption(parsed, 'b', 'backup')) {
      effects.push(...treeWrites(destination.literal ? lit(posix.dirname(destination.text)) : destination));
    }
    if (destination !== undefined && links(parsed)) {
      const symbolic = hasOption(parsed, 's', 'symbolic', 'symbolic-link');
      effects.push(...linkTargets(sources, destination, symbolic).flatMap(treeWrites));
    }
    return effects;
  };
}

/**
 * The paths a link's sources name: as given and, for a relative symbolic link (resolved from
 * the link's own directory, not the working directory), also from the destination's directory
 * and from the destination itself (the link may be made inside it).
 *
 * @example
 * ```ts
 * linkTargets([lit('../etc/passwd')], lit('/tmp/p'), true).map((w) => w.text);
 * // ['../etc/passwd', '/etc/passwd', '/tmp/etc/passwd']
 * ```
 */
function linkTargets(sources: readonly ShellWord[], destination: ShellWord, symbolic: boolean): ShellWord[] {
  const out: ShellWord[] = [];
  for (const source of sources) {
    out.push(source);
    if (!symbolic || !source.literal || source.text.startsWith('/')) continue;
    if (!destination.literal) {
      out.push({ text: source.text, literal: false, glob: false });
      continue;
    }
    for (const dir of [posix.dirname(destination.text), destination.text]) {
      out.push(lit(posix.normalize(`${dir}/${source.text}`)));
    }
  }
  return out;
}

/**
 * A program whose `-short FILE` / `--long=FILE` option names the file it writes (`-` is stdout);
 * `valued` and `valuedLong` are its other options that take a value.
 */
function outputOption(short: string, long: string, valued = '', valuedLong: readonly string[] = []): Handler {
  return optionWrites({ short: short + valued, long: [long, ...valuedLong] }, short, long);
}

/** Programs that write every operand (`touch`, `shred`), with the options that take a value. */
function writesOperands(spec: OptionSpec): Handler {
  return (args) => {
    const parsed = parseOptions(args, { ...spec, permute: true });
    return parsed === undefined ? UNKNOWN : writes(parsed.operands);
  };
}

/**
 * What `sort` writes: the file of `-o FILE` / `--output=FILE` (its other effects, a
 * `--compress-program`, are read with the interpreters).
 *
 * @example
 * ```ts
 * // `sort -k2 -o /etc/x f`
 * sortWrites(words); // [{ kind: 'write', path: { text: '/etc/x', … } }]
 * ```
 */
export function sortWrites(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'kotST',
    long: [
      'key',
      'output',
      'field-separator',
      'buffer-size',
      'temporary-directory',
      'parallel',
      'batch-size',
      'compress-program',
      'files0-from',
      'random-source',
    ],
    longOptional: ['sort'],
    permute: true,
  });
  if (parsed === undefined) return UNKNOWN;
  const out = optionValue(parsed, 'o', 'output');
  return writes([out]);
}

/** Programs with command-running options or file targets, by basename. */
export const PROGRAM_HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ...['awk', 'gawk', 'mawk', 'nawk', 'busybox-awk'].map((n) => [n, awk] as const),
  ['sed', sed],
  ['gsed', sed],
  ['tar', tar],
  ['gtar', tar],
  ['rsync', commandOptions(['-e', '--rsh=', '--rsync-path='])],
  ['ssh', ssh],
  ['scp', (args) => [...ssh(args), ...commandOptions(['-S'])(args)]],
  ['sftp', (args) => [...ssh(args), ...commandOptions(['-S', '-D'])(args)]],
  ['git', git],
  ...['nc', 'ncat', 'netcat', 'nc.traditional', 'nc.openbsd'].map((n) => [n, netcat] as const),
  ['socat', socat],
  [
    'cp',
    copyLike(
      {
        short: 'tS',
        long: ['target-directory', 'suffix', 'sparse'],
        longOptional: ['backup', 'reflink', 'preserve', 'no-preserve', 'update'],
      },
      false,
      false,
      (p) => hasOption(p, 's', 'symbolic-link', 'l', 'link'),
    ),
  ],
  [
    'mv',
    copyLike({ short: 'tS', long: ['target-directory', 'suffix'], longOptional: ['backup', 'update'] }, true),
  ],
  [
    'install',
    copyLike(
      {
        short: 'tSmogC',
        long: ['target-directory', 'suffix', 'mode', 'owner', 'group'],
        longOptional: ['backup'],
      },
      false,
      true,
    ),
  ],
  [
    'ln',
    copyLike(
      { short: 'tS', long: ['target-directory', 'suffix'], longOptional: ['backup'] },
      false,
      false,
      () => true,
    ),
  ],
  [
    'truncate',
    (args) => {
      const parsed = parseOptions(args, { short: 'sr', long: ['size', 'reference'], permute: true });
      return parsed === undefined
        ? UNKNOWN
        : parsed.operands.map((path): WrapperEffect => ({ kind: 'write', path }));
    },
  ],
  ['touch', writesOperands({ short: 'dtr', long: ['date', 'reference', 'time'] })],
  ['shred', writesOperands({ short: 'ns', long: ['iterations', 'size', 'random-source'] })],
  [
    'uniq',
    (args) => {
      // `uniq [INPUT [OUTPUT]]`: the second operand is written.
      const parsed = parseOptions(args, {
        short: 'fsw',
        long: ['skip-fields', 'skip-chars', 'check-chars'],
        longOptional: ['all-repeated', 'group'],
        permute: true,
      });
      if (parsed === undefined) return UNKNOWN;
      const out = parsed.operands[1];
      return writes([out]);
    },
  ],
  ['iconv', outputOption('o', 'output', 'ft', ['from-code', 'to-code'])],
  ...COMPRESSORS.map((n): [string, Handler] => [n, (args) => compressorWrites(n, args) ?? UNKNOWN]),
  ...TOOLCHAIN_HANDLERS,
  [
    'systemd-run',
    (args) => {
      const parsed = parseOptions(args, {
        short: 'upEMH',
        long: [
          'unit',
          'property',
          'setenv',
          'machine',
          'host',
          'uid',
          'gid',
          'nice',
          'working-directory',
          'description',
          'slice',
          'on-calendar',
          'on-active',
          'timer-property',
          'path-property',
          'socket-property',
        ],
      });
      if (parsed === undefined) return UNKNOWN;
      return parsed.operands.length === 0 ? [] : [{ kind: 'argv', words: parsed.operands }];
    },
  ],
]);

// Standard input reaches a program from outside the command line (an SSH exec's stdin, or the
// rest of a script a shell reads from stdin) or from inside it (a pipe, `<`, a here-document or
// here-string, `>(…)`). Either way it is text nobody classified. Whether a program turns what it
// reads into commands (`ed`'s `!`, sqlite3's `.shell`, psql's `\!`, ftp's `!`, gnuplot, crontab,
// ssh, any REPL) is a property of that program, and new ones keep turning up, so a blocklist of
// such programs cannot be complete. Instead, only the programs below may read stdin; any other
// command that reads stdin not its own makes the request `unknown`. Each is on the list because
// it cannot execute anything, it writes nothing but stdout (or files the classifier already
// reports as `write`, such as tee's), and its options that could change that are refused here.

/** A check on a program's argv after its name (words as the classifier reports them). */
type ArgvCheck = (args: readonly string[]) => boolean;

const ANY_ARGS: ArgvCheck = () => true;
/** An expansion or glob could turn into an option such as `-o FILE` at run time. */
const NOT_LITERAL = /[$`*?[{]/;

/**
 * Programs that do not read stdin at all, whatever their arguments, and run nothing else.
 * Inside a script read from stdin only these may appear: a command that reads stdin would
 * consume part of the script, and `head -c 6` leaves bash parsing the rest from the middle of
 * a quoted string, which is not the line that was classified.
 */
const NEVER_READ: ReadonlySet<string> = new Set([
  'echo',
  'printf',
  'true',
  'false',
  ':',
  'pwd',
  'cd',
  'test',
  '[',
  'ls',
  'mkdir',
  'touch',
  'sleep',
  'id',
  'whoami',
  'uname',
]);

/**
 * Programs that read stdin as data and only write stdout (or, for tee and sponge, the files the
 * classifier reports as writes). Options that write a file (`sort -o`, uniq's second operand, gzip's file
 * operands, `iconv -o`), run a program (`sort --compress-program`) or read files named in the
 * data (`--files0-from`, `sha256sum -c`) are refused. (The writes are now also reported as
 * `write` actions by PROGRAM_HANDLERS; refusing them here as well is the stricter of the two.)
 */
const READ_AS_DATA: ReadonlyMap<string, ArgvCheck> = new Map<string, ArgvCheck>([
  ['cat', ANY_ARGS],
  ['tee', ANY_ARGS],
  ['sponge', ANY_ARGS],
  ['head', ANY_ARGS],
  ['tail', ANY_ARGS],
  ['cut', ANY_ARGS],
  ['tr', ANY_ARGS],
  ...['grep', 'egrep', 'fgrep'].map((n) => [n, ANY_ARGS] as const),
  // `--pre COMMAND` runs a preprocessor on every file.
  ['rg', (args) => literalArgs(args) && !args.some((a) => a.startsWith('--pre'))],
  // Their scripts are arguments the classifier reads (shell/programs.ts handlers): a script file,
  // stdin among them (`sed -f -`), is refused there and here.
  ...['sed', 'gsed', 'awk', 'gawk', 'mawk', 'nawk'].map((n) => [n, scriptInArgs] as const),
  // jq and yq filters cannot run programs; yq's `-i` rewrites its file operands.
  ['jq', ANY_ARGS],
  ['yq', (args) => literalArgs(args) && !args.some((a) => /^-[a-zA-Z]*i|^--in/.test(a))],
  ...['column', 'nl', 'fold', 'fmt', 'rev', 'tac', 'paste', 'join', 'comm', 'strings', 'read'].map(
    (n) => [n, ANY_ARGS] as const,
  ),
  ...['od', 'hexdump'].map((n) => [n, ANY_ARGS] as const),
  // `xxd IN OUT` and `xxd -r IN OUT` write OUT.
  ['xxd', (args) => operandsAtMost(args, 1, /^-[cglosn]$|^-(cols|groupsize|len|seek|name)$/)],
  ...['base64', 'base32'].map((n) => [n, ANY_ARGS] as const),
  ['iconv', (args) => literalArgs(args) && !args.some((a) => /^-[a-zA-Z]*o|^--o/.test(a))],
  ['sort', sortArgs],
  ['uniq', uniqArgs],
  ['wc', (args) => literalArgs(args) && !args.some((a) => a.startsWith('--f'))],
  ...['md5sum', 'sha1sum', 'sha224sum', 'sha256sum', 'sha384sum', 'sha512sum', 'b2sum'].map(
    (n) => [n, sumArgs] as const,
  ),
  ...['gzip', 'gunzip', 'bzip2', 'bunzip2', 'xz', 'unxz'].map((n) => [n, gzipArgs] as const),
  // The `cat` forms write stdout only, file operands or not.
  ...['zcat', 'bzcat', 'xzcat'].map((n) => [n, literalArgs] as const),
  // xargs reads arguments, not commands: the command it runs is classified from its own words.
  ['xargs', ANY_ARGS],
  // With stdin not a terminal, less and more read commands from the terminal, never stdin.
  // `+COMMAND` runs a command at start and a lesskey file defines keys: refused.
  ...['less', 'more'].map(
    (n) =>
      [
        n,
        (args: readonly string[]) =>
          literalArgs(args) && !args.some((a) => /^\+|^-[a-zA-Z]*k|^--lesskey/.test(a)),
      ] as const,
  ),
  ...['mapfile', 'readarray'].map((n) => [n, ANY_ARGS] as const),
]);

/**
 * Programs that pass stdin on to the command they run and read none of it themselves (`sudo -S`
 * reads a password, which is data): a pipe into `sudo tee` is a pipe into tee. The shells here
 * qualify only when running `-c STRING`, whose commands are classified with the same stdin.
 */
const PASS_STDIN_ON: ReadonlySet<string> = new Set([
  'sudo',
  'doas',
  'env',
  'nice',
  'nohup',
  'setsid',
  'builtin',
  'timeout',
  'time',
  'exec',
  'command',
  'stdbuf',
  'ionice',
  'chrt',
  'taskset',
  'flock',
  'eval',
  'sh',
  'bash',
  'dash',
  'su',
  'runuser',
  'sg',
  'chroot',
  'unshare',
  'nsenter',
  'strace',
  'ltrace',
  'busybox',
  'toybox',
]);

/**
 * Whether a program, by basename, only passes its stdin on to the command it runs (`sudo`,
 * `env`, `timeout`, `sh -c`): that command's stdin is then checked instead of the program's.
 * The caller checks that the program does run a command it classified.
 *
 * @example
 * ```ts
 * passesStdinOn('sudo'); // true
 * passesStdinOn('ssh'); // false: ssh sends stdin to commands on another machine
 * ```
 */
export function passesStdinOn(name: string): boolean {
  return PASS_STDIN_ON.has(name);
}

/** sed and awk without a script file (`-f FILE`, `--file=FILE`), which could be stdin. */
function scriptInArgs(args: readonly string[]): boolean {
  return !args.some((a) => /^-[a-zA-Z]*f|^--f/.test(a));
}

/** At most `max` operands, skipping the values of the options `valued` matches. */
function operandsAtMost(args: readonly string[], max: number, valued: RegExp): boolean {
  if (!literalArgs(args)) return false;
  let operands = 0;
  let options = true;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (options && a === '--') options = false;
    else if (options && valued.test(a)) i++;
    else if (!options || a === '-' || !a.startsWith('-')) operands++;
  }
  return operands <= max;
}

function literalArgs(args: readonly string[]): boolean {
  return !args.some((a) => NOT_LITERAL.test(a));
}

/** sort without `-o`/`--output`, `--compress-program` or `--files0-from` (or a prefix of them). */
function sortArgs(args: readonly string[]): boolean {
  if (!literalArgs(args)) return false;
  for (const a of args) {
    if (a === '--') return true;
    if (/^--(o|co|fil)/.test(a)) return false;
    if (/^-[^-]/.test(a)) {
      // Short options up to the first that takes a value (the rest of the word is that value).
      const letters = /^[^kStT]*/.exec(a.slice(1))?.[0] ?? '';
      if (letters.includes('o')) return false;
    }
  }
  return true;
}

/** uniq with at most one operand: a second one is the output file. */
function uniqArgs(args: readonly string[]): boolean {
  return operandsAtMost(args, 1, /^-[fsw]$/);
}

/** A checksum program computing sums, not checking files named in its input (`-c`). */
function sumArgs(args: readonly string[]): boolean {
  return literalArgs(args) && !args.some((a) => /^-[a-z]*c|^--c/.test(a));
}

/**
 * gzip, bzip2 or xz as a filter: data flags only and no file operand (a file operand is
 * replaced by its compressed or decompressed file).
 */
function gzipArgs(args: readonly string[]): boolean {
  return args.every(
    (a) =>
      a === '-' ||
      /^-[cdknNqvfz1-9]+$/.test(a) ||
      /^--(stdout|to-stdout|decompress|uncompress|keep|quiet|verbose|fast|best|no-name|name|force)$/.test(a),
  );
}

/** The program an argv's first word names: a bare name, or one in /bin or /usr/bin. */
function programName(word: string | undefined): string | undefined {
  if (word === undefined || !word.includes('/')) return word;
  return /^\/(?:usr\/)?bin\/([^/]+)$/.exec(word)?.[1];
}

/**
 * Whether a command, given as the classifier's `exec` resource (argv joined by spaces), does
 * not read stdin at all: one of a short list of programs that never do, or `cat` with only
 * literal file operands.
 *
 * @example
 * ```ts
 * neverReadsStdin('ls -la /tmp'); // true
 * neverReadsStdin('cat'); // false: cat reads stdin
 * ```
 */
export function neverReadsStdin(command: string): boolean {
  const [first, ...args] = command.split(' ');
  const name = programName(first);
  if (name === undefined) return false;
  if (NEVER_READ.has(name)) return true;
  if (name !== 'cat' || !literalArgs(args)) return false;
  const end = args.indexOf('--');
  const operands = args.filter((a, i) => (end !== -1 && i > end) || (i !== end && !/^-./.test(a)));
  return operands.length > 0 && !operands.includes('-');
}

/**
 * Whether a command, given as the classifier's `exec` resource, treats whatever it reads on
 * stdin as data only: it cannot run it, and writes nothing the classifier does not report.
 *
 * @example
 * ```ts
 * readsStdinAsData('grep -c foo'); // true
 * readsStdinAsData('sort -o /etc/passwd'); // false
 * readsStdinAsData('ed -s'); // false: ed runs `!command` lines
 * ```
 */
export function readsStdinAsData(command: string): boolean {
  if (neverReadsStdin(command)) return true;
  const [first, ...args] = command.split(' ');
  const name = programName(first);
  const check = name === undefined ? undefined : READ_AS_DATA.get(name);
  return check?.(args) === true;
}
