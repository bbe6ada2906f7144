// Programs that create, change, remove or re-permission files named in their arguments, without
// a redirection: archivers extracting into a directory, `split` prefixes, `rm`, `chmod`, `git
// clone`, `curl -O`, … Each reports a `write` of the path as written, so a write rule meets them
// as it meets `> FILE`. Where a program writes inside a directory (extracting into it, copying
// into it, removing or re-permissioning it recursively) the directory is reported twice: as
// written (`/etc`) and with a trailing slash (`/etc/`), so that a rule on the directory and a rule
// on its contents (`/etc/*`) both meet it. The working directory is `.` and `./`. A path for
// files named after it (`split` prefixes) is reported as is and with its directory, as a glob
// is. The compressors are in compressors.ts.
import { posix } from 'node:path';
import { hasOption, optionValue, parseOptions, type OptionSpec, type ParsedOptions } from './options.js';
import type { ShellWord } from './words.js';
import type { WrapperEffect } from './effects.js';
import { gitSubcommand } from './git.js';

type Handler = (args: readonly ShellWord[]) => readonly WrapperEffect[];

const UNKNOWN: readonly WrapperEffect[] = [{ kind: 'unknown' }];
const NOTHING: readonly WrapperEffect[] = [];

function lit(text: string): ShellWord {
  return { text, literal: true, glob: false };
}

/** Option names, written as one space-separated string. */
function names(text: string): readonly string[] {
  return text.split(' ');
}

/** The working directory: where a program writes names it picks itself. */
const HERE = lit('.');

function write(path: ShellWord): WrapperEffect {
  return { kind: 'write', path };
}

/**
 * The paths of a directory that is written into, or of a path that may be one: the path as
 * written and, unless it already ends with `/`, the path with a trailing slash (so `/etc/*` meets
 * it as well as `/etc`). A word that is not literal is itself alone (it is `unknown` anyway).
 *
 * @example
 * ```ts
 * treePaths({ text: '/etc', literal: true, glob: false }).map((w) => w.text); // ['/etc', '/etc/']
 * ```
 */
export function treePaths(path: ShellWord): ShellWord[] {
  if (!path.literal || path.glob || path.text.endsWith('/') || path.text === '') return [path];
  return [path, { text: `${path.text}/`, literal: true, glob: false }];
}

/**
 * The writes of {@link treePaths}.
 *
 * @example
 * ```ts
 * treeWrites({ text: '/etc', literal: true, glob: false }); // writes of `/etc` and `/etc/`
 * ```
 */
export function treeWrites(path: ShellWord): WrapperEffect[] {
  return treePaths(path).map(write);
}

/** {@link treeWrites} of each word that names a file (not `-`). */
function treesWritten(words: readonly (ShellWord | undefined)[]): WrapperEffect[] {
  return words.flatMap((w) => (w === undefined || isDash(w) ? [] : treeWrites(w)));
}

/** `-` is standard input or output, not a file. */
function isDash(word: ShellWord | undefined): boolean {
  return word?.literal === true && word.text === '-';
}

/**
 * Writes of each word that names a file (not `-`, which is stdin or stdout).
 *
 * @example
 * ```ts
 * writes([out]); // [] for `-o -`, else a write of `out`
 * ```
 */
export function writes(words: readonly (ShellWord | undefined)[]): WrapperEffect[] {
  const out: WrapperEffect[] = [];
  for (const w of words) if (w !== undefined && !isDash(w)) out.push(write(w));
  return out;
}

/** Every value given for any of `names`, in order. */
function optionValues(parsed: ParsedOptions, ...names: string[]): ShellWord[] {
  const out: ShellWord[] = [];
  for (const o of parsed.options) if (names.includes(o.name) && o.value !== undefined) out.push(o.value);
  return out;
}

/**
 * A program that writes every operand (`rm`, `rmdir`, `mkfifo`), given its valued options;
 * recursively (`-r`, `-R`, `--recursive`), everything under each operand too.
 */
function operandsWritten(spec: OptionSpec): Handler {
  return (args) => {
    const parsed = parseOptions(args, { ...spec, permute: true });
    if (parsed === undefined) return UNKNOWN;
    return hasOption(parsed, 'r', 'R', 'recursive') ? treesWritten(parsed.operands) : writes(parsed.operands);
  };
}

/**
 * Writes of the directories above `path` that a program may create on the way to it (`mkdir
 * -p`, `install -D`, `curl --create-dirs`): `a/b/c` gives `a/b` and `a`.
 *
 * @example
 * ```ts
 * parentWrites(lit('/srv/a/b')).map((e) => e.kind === 'write' && e.path.text); // ['/srv/a', '/srv']
 * ```
 */
export function parentWrites(path: ShellWord): WrapperEffect[] {
  if (!path.literal) return [];
  const out: WrapperEffect[] = [];
  const parts = path.text.split('/');
  for (let n = parts.length - 1; n > 0; n--) {
    const parent = parts.slice(0, n).join('/');
    if (parent !== '' && parent !== '.' && parent !== '..') out.push(write(lit(parent)));
  }
  return out;
}

/** mkdir: each directory, and with `-p` each of its parents it may create. */
function mkdir(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, { short: 'm', long: ['mode'], longOptional: ['context'], permute: true });
  if (parsed === undefined) return UNKNOWN;
  const out = writes(parsed.operands);
  if (hasOption(parsed, 'p', 'parents')) out.push(...parsed.operands.flatMap(parentWrites));
  return out;
}

/**
 * chmod, chown, chgrp: the first operand is the mode, owner or group (unless `--reference=FILE`
 * gives it), every other operand is changed. chmod reads `-w`, `-rx`, `-x` as modes, not options.
 */
function changesOwnerOrMode(valued: readonly string[], modeWords: RegExp | undefined): Handler {
  return (args) => {
    const rest: ShellWord[] = [];
    let mode: ShellWord | undefined;
    const kept: ShellWord[] = [];
    for (const word of args) {
      if (mode === undefined && modeWords !== undefined && word.literal && modeWords.test(word.text)) {
        mode = word;
        continue;
      }
      kept.push(word);
    }
    const parsed = parseOptions(kept, { short: '', long: [...valued], permute: true });
    if (parsed === undefined) return UNKNOWN;
    rest.push(...parsed.operands);
    if (mode === undefined && !hasOption(parsed, 'reference')) rest.shift();
    return hasOption(parsed, 'R', 'recursive') ? treesWritten(rest) : writes(rest);
  };
}

/** chattr: `+i`, `-i`, `=i` words are modes; `-R`, `-V`, `-f` flags; `-v`, `-p` take a value. */
function chattr(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const files: ShellWord[] = [];
  let recursive = false;
  for (let i = 0; i < args.length; i++) {
    const word = args[i];
    if (word === undefined) break;
    if (!word.literal) {
      files.push(word);
      continue;
    }
    if (/^-[RVf]+$/.test(word.text)) {
      recursive ||= word.text.includes('R');
      continue;
    }
    if (word.text === '-v' || word.text === '-p') {
      i++;
      continue;
    }
    if (/^[-+=][a-zA-Z]+$/.test(word.text)) continue;
    files.push(word);
  }
  return recursive ? treesWritten(files) : writes(files);
}

/** setfacl: every file operand; `--restore=FILE` changes the files that FILE names. */
function setfacl(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'mMxX',
    long: ['modify', 'modify-file', 'remove', 'remove-file', 'set', 'set-file'],
    longOptional: ['restore'],
    permute: true,
  });
  if (parsed === undefined || hasOption(parsed, 'restore')) return UNKNOWN;
  return hasOption(parsed, 'R', 'recursive') ? treesWritten(parsed.operands) : writes(parsed.operands);
}

/**
 * A program that writes the file its option `names` gives (`shuf -o FILE`, `ssh -E FILE`; `-`
 * is stdout), parsed by `spec` (options may follow operands unless `spec.permute` is false).
 *
 * @example
 * ```ts
 * optionWrites({ short: 'o', long: ['output'] }, 'o', 'output')([lit('-o'), lit('/tmp/x')]);
 * // a write of /tmp/x
 * ```
 */
export function optionWrites(
  spec: OptionSpec,
  ...names: string[]
): (args: readonly ShellWord[]) => readonly WrapperEffect[] {
  return (args) => {
    const parsed = parseOptions(args, { permute: true, ...spec });
    return parsed === undefined ? UNKNOWN : writes([optionValue(parsed, ...names)]);
  };
}

/** yq `-i`: the files it edits in place (after the expression, unless that comes from a file). */
function yq(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'opIsf',
    long: ['output-format', 'input-format', 'indent', 'split-exp', 'from-file', 'expression', 'front-matter'],
    permute: true,
  });
  if (parsed === undefined) return UNKNOWN;
  if (!hasOption(parsed, 'i', 'inplace')) return NOTHING;
  const files = hasOption(parsed, 'from-file', 'expression') ? parsed.operands : parsed.operands.slice(1);
  return writes(files.length > 0 ? files : parsed.operands);
}

/** visudo edits /etc/sudoers, or `-f FILE`; `-c` only checks. */
function visudo(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, { short: 'f', long: ['file'], permute: true });
  if (parsed === undefined) return UNKNOWN;
  if (hasOption(parsed, 'c', 'check')) return NOTHING;
  return writes([optionValue(parsed, 'f', 'file') ?? lit('/etc/sudoers')]);
}

/** The account databases: what user and group tools rewrite, whatever their arguments. */
const ACCOUNT_FILES = ['/etc/passwd', '/etc/shadow', '/etc/group', '/etc/gshadow'].map(lit);

/**
 * useradd, usermod, passwd, chpasswd and kin rewrite the account files, and a home directory
 * given with `-d`/`--home`/`--home-dir` or `-b`/`--base-dir` is written into (created, moved,
 * filled from /etc/skel). Under another root (`-R`/`--root`, `-P`/`--prefix`) the files are
 * elsewhere: `unknown`.
 */
function accounts(args: readonly ShellWord[]): readonly WrapperEffect[] {
  if (args.some((w) => !w.literal || /^(-[a-zA-Z]*[RP]|--root|--prefix)/.test(w.text))) return UNKNOWN;
  const homes: ShellWord[] = [];
  for (let i = 0; i < args.length; i++) {
    const text = (args[i] as ShellWord).text;
    const joined = /^--(?:home|home-dir|base-dir)=(.*)$/s.exec(text);
    if (joined !== null) homes.push(lit(joined[1] ?? ''));
    else if (/^(-[a-zA-Z]*[db]|--home|--home-dir|--base-dir)$/.test(text)) {
      const value = args[++i];
      if (value !== undefined) homes.push(value);
    }
  }
  return [...writes(ACCOUNT_FILES), ...treesWritten(homes)];
}

/**
 * mount and umount: a mount makes one path stand for another (`--bind /etc /tmp/e`) or for a
 * device's files, so each path operand is a directory written into. `-a` (every entry of
 * fstab) is `unknown`; no operand only lists.
 */
function mount(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'otOLUTNB',
    long: ['options', 'types', 'test-opts', 'label', 'uuid', 'fstab', 'namespace', 'source', 'target'],
    permute: true,
  });
  if (parsed === undefined || hasOption(parsed, 'a', 'all')) return UNKNOWN;
  return treesWritten([...parsed.operands, optionValue(parsed, 'source'), optionValue(parsed, 'target')]);
}

/** setfattr: every file operand; `--restore=FILE` changes the files that FILE names. */
function setfattr(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'nvx',
    long: ['name', 'value', 'remove', 'restore'],
    permute: true,
  });
  if (parsed === undefined || hasOption(parsed, 'restore')) return UNKNOWN;
  return writes(parsed.operands);
}

/** mknod NAME TYPE [MAJOR MINOR]: NAME. */
function mknod(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, { short: 'm', long: ['mode'], longOptional: ['context'], permute: true });
  return parsed === undefined ? UNKNOWN : writes(parsed.operands.slice(0, 1));
}

/** link FILE1 FILE2: FILE2. */
function link(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, { permute: true });
  // A hard link is a second name for FILE1: writing through it writes FILE1.
  return parsed === undefined ? UNKNOWN : writes(parsed.operands.slice(0, 2));
}

/**
 * dos2unix and its kin convert each file in place; `-n IN OUT` (`--newfile`) writes OUT from IN
 * instead, and `-o` goes back to in place.
 */
function lineEndings(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const written: ShellWord[] = [];
  let pairs = false;
  for (let i = 0; i < args.length; i++) {
    const word = args[i];
    if (word === undefined) break;
    if (!word.literal) {
      // An expansion could be `-n` as well as a file.
      if (word.notOption !== true) return UNKNOWN;
      written.push(word);
      continue;
    }
    if (word.text === '-n' || word.text === '--newfile') pairs = true;
    else if (word.text === '-o' || word.text === '--oldfile') pairs = false;
    else if (/^(-c|--convmode|-f|--from-codepage|-t|--to-codepage)$/.test(word.text)) i++;
    else if (word.text.startsWith('-') && word.text !== '-') continue;
    else if (pairs) {
      const out = args[++i];
      if (out === undefined) return UNKNOWN;
      written.push(out);
    } else written.push(word);
  }
  return writes(written);
}

/**
 * mktemp: the directory it creates its file or directory in: `-p DIR`, TEMPLATE's directory, or
 * `/tmp` (or $TMPDIR).
 */
function mktemp(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'p',
    long: ['suffix'],
    longOptional: ['tmpdir'],
    permute: true,
  });
  if (parsed === undefined) return UNKNOWN;
  if (hasOption(parsed, 'u', 'dry-run')) return NOTHING;
  const dir = optionValue(parsed, 'p', 'tmpdir');
  if (dir !== undefined) return treeWrites(dir);
  const template = parsed.operands[0];
  if (template !== undefined && !hasOption(parsed, 't', 'tmpdir')) {
    // The name is the template with its X's replaced: its directory is what is written.
    if (!template.literal) return [write(template)];
    const slash = template.text.lastIndexOf('/');
    return treeWrites(slash === -1 ? HERE : lit(template.text.slice(0, slash) || '/'));
  }
  return treeWrites(lit('/tmp'));
}

/** fallocate: its file operand. */
function fallocate(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, { short: 'lo', long: ['length', 'offset'], permute: true });
  return parsed === undefined ? UNKNOWN : writes(parsed.operands);
}

/** tar's short options that take a value, and its long ones. */
const TAR_SHORT_VALUED = 'bCfFgHIKLNTVX';
const TAR_LONG_VALUED = names(
  'after-date atime-preserve backup blocking-factor checkpoint checkpoint-action directory exclude exclude-from exclude-tag exclude-tag-all exclude-tag-under file files-from format group group-map index-file info-script label level listed-incremental mode mtime new-volume-script newer newer-mtime occurrence owner owner-map quote-chars quoting-style record-size rmt-command rsh-command sort sparse-version starting-file strip-components suffix tape-length to-command transform use-compress-program volno-file xform',
);
/** tar's long options that need no value, so that their abbreviations are read too. */
const TAR_LONG_FLAGS = names(
  'absolute-names append catenate compare concatenate create delete diff extract get list remove-files to-stdout update',
);

/**
 * GNU tar's old style: the first word without a dash is a bundle of option letters whose values
 * follow in order (`tar cfC a.tar d x` is `-c -f a.tar -C d x`).
 */
function tarWords(args: readonly ShellWord[]): readonly ShellWord[] | undefined {
  const first = args[0];
  if (
    first === undefined ||
    !first.literal ||
    first.text.startsWith('-') ||
    !/^[A-Za-z]+$/.test(first.text)
  ) {
    return args;
  }
  const out: ShellWord[] = [];
  let next = 1;
  for (const letter of first.text) {
    out.push(lit(`-${letter}`));
    if (TAR_SHORT_VALUED.includes(letter)) {
      const value = args[next++];
      if (value === undefined) return undefined;
      out.push(value);
    }
  }
  return [...out, ...args.slice(next)];
}

/**
 * tar: creating, appending, updating or deleting writes the archive (`-f`); extracting writes
 * into each `-C` directory, or the working directory (`-O` writes stdout, `--to-command` is read
 * with tar's command options); `--remove-files` removes what it archived; `-g`, `--index-file`
 * and `--volno-file` write their files. `-P` extracts members with absolute names anywhere.
 */
function tar(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const words = tarWords(args);
  if (words === undefined) return UNKNOWN;
  const parsed = parseOptions(words, {
    short: TAR_SHORT_VALUED,
    long: TAR_LONG_VALUED,
    longFlags: TAR_LONG_FLAGS,
    permute: true,
  });
  if (parsed === undefined) return UNKNOWN;
  const out: WrapperEffect[] = [];
  const archive = optionValues(parsed, 'f', 'file');
  if (
    hasOption(parsed, 'c', 'create', 'r', 'append', 'u', 'update', 'A', 'catenate', 'concatenate', 'delete')
  ) {
    out.push(...writes(archive));
  }
  const directories = optionValues(parsed, 'C', 'directory');
  if (hasOption(parsed, 'x', 'extract', 'get') && !hasOption(parsed, 'O', 'to-stdout', 'to-command')) {
    if (hasOption(parsed, 'P', 'absolute-names')) return UNKNOWN;
    out.push(...(directories.length === 0 ? treeWrites(HERE) : treesWritten(directories)));
    // `--one-top-level=DIR` extracts into DIR (which may be absolute).
    out.push(...treesWritten(optionValues(parsed, 'one-top-level')));
  }
  if (hasOption(parsed, 'remove-files')) {
    out.push(...treesWritten(parsed.operands));
    // Names are relative to the `-C` directory in force.
    out.push(...treesWritten(directories));
  }
  out.push(...writes(optionValues(parsed, 'g', 'listed-incremental', 'index-file', 'volno-file')));
  return out;
}

/**
 * unzip: extracts into `-d DIR` or the working directory, unless it only lists, tests, shows a
 * comment or writes to stdout; `-:` lets member names climb out of it (`../`).
 */
function unzip(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, { short: 'dP', permute: true });
  if (parsed === undefined) return UNKNOWN;
  if (parsed.options.some((o) => o.name === 'Z') || hasOption(parsed, 'l', 'v', 't', 'p', 'c', 'z'))
    return NOTHING;
  if (hasOption(parsed, ':')) return UNKNOWN;
  return treeWrites(optionValue(parsed, 'd') ?? HERE);
}

/** zip's options that take a value (each a whole word: zip has two-letter options). */
const ZIP_VALUED = new Set(names('-b -n -t -tt -Z -P -s -ds -lf -TT --out -O'));

/**
 * zip ZIPFILE FILES…: the archive; `--out`/`-O` and `-lf` write their files; `-m` removes the
 * files it archived. `-i`/`-x` are followed by patterns, not files.
 */
function zip(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const operands: ShellWord[] = [];
  const out: WrapperEffect[] = [];
  let moves = false;
  let patterns = false;
  for (let i = 0; i < args.length; i++) {
    const word = args[i];
    if (word === undefined) break;
    if (!word.literal || word.glob) {
      if (word.notOption !== true) return UNKNOWN;
      if (!patterns) operands.push(word);
      continue;
    }
    const text = word.text;
    if (text === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (!text.startsWith('-') || text === '-') {
      if (!patterns) operands.push(word);
      continue;
    }
    patterns = false;
    const eq = text.indexOf('=');
    const name = eq === -1 ? text : text.slice(0, eq);
    if (ZIP_VALUED.has(name)) {
      const value = eq === -1 ? args[++i] : lit(text.slice(eq + 1));
      if (value === undefined) return UNKNOWN;
      if (name === '--out' || name === '-O' || name === '-lf') out.push(...writes([value]));
    } else if (text === '-i' || text === '-x' || text === '--include' || text === '--exclude') {
      patterns = true;
    } else if (/^-[a-zA-Z0-9@$]*m/.test(text) && !text.startsWith('--') && text.length <= 4) {
      moves = true;
    } else if (text === '--move') {
      moves = true;
    }
  }
  const [archive, ...files] = operands;
  out.push(...writes([archive]));
  if (moves) out.push(...treesWritten(files));
  return out;
}

/** split [FILE [PREFIX]]: the pieces, named PREFIXaa… (default `x`) in the working directory. */
function split(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'abCln',
    long: names('suffix-length additional-suffix bytes line-bytes lines number separator filter'),
    longOptional: ['numeric-suffixes', 'hex-suffixes'],
    permute: true,
  });
  if (parsed === undefined) return UNKNOWN;
  // With --filter the pieces go to a command's stdin (classified with the interpreters), not files.
  if (hasOption(parsed, 'filter')) return NOTHING;
  return piecesOf(parsed.operands[1] ?? lit('x'));
}

/**
 * The pieces named PREFIX…: the prefix as written, and its directory (the names after the
 * prefix are the program's own, so a rule meets them as it meets a glob's).
 */
function piecesOf(prefix: ShellWord): WrapperEffect[] {
  if (!prefix.literal || prefix.glob) return [write(prefix)];
  const dir = prefix.text.endsWith('/') ? prefix.text : posix.dirname(prefix.text);
  return [write(prefix), ...treeWrites(lit(dir))];
}

/** csplit FILE PATTERN…: the pieces, named PREFIX00… (`-f PREFIX`, default `xx`). */
function csplit(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'bfn',
    long: ['suffix-format', 'prefix', 'digits'],
    permute: true,
  });
  if (parsed === undefined) return UNKNOWN;
  return piecesOf(optionValue(parsed, 'f', 'prefix') ?? lit('xx'));
}

/**
 * Programs that write the device or image file they are given (making a file system or swap
 * area, wiping signatures, checking and repairing, resizing, partitioning): every operand is
 * written. No option is taken to have a value, so an option's value is reported as a path
 * too rather than a device being taken for one. `readOnly` says when nothing is written.
 */
function devicesWritten(readOnly: (p: ParsedOptions) => boolean = () => false): Handler {
  return (args) => {
    const parsed = parseOptions(args, { short: '', permute: true });
    if (parsed === undefined) return UNKNOWN;
    return readOnly(parsed) ? NOTHING : writes(parsed.operands);
  };
}

/** The device writers by name; `mkfs.TYPE` and `fsck.TYPE` are looked up as `mkfs`, `fsck`. */
const DEVICE_WRITERS: readonly (readonly [string, Handler])[] = [
  ...[
    'mkfs',
    'mke2fs',
    'mkswap',
    'mkdosfs',
    'mkntfs',
    'wipefs',
    'blkdiscard',
    'resize2fs',
    'e2label',
    'swaplabel',
  ].map((n): readonly [string, Handler] => [n, devicesWritten()]),
  ...['fsck', 'e2fsck'].map((n): readonly [string, Handler] => [n, devicesWritten((p) => hasOption(p, 'n'))]),
  ['tune2fs', devicesWritten((p) => hasOption(p, 'l') && p.options.length === 1)],
  // debugfs requests (`-R`, `-f`) can also write files here (`dump`, `rdump`).
  [
    'debugfs',
    (args) => {
      const parsed = parseOptions(args, { short: 'Rfbsd', permute: true });
      if (parsed === undefined || hasOption(parsed, 'R', 'f')) return UNKNOWN;
      return hasOption(parsed, 'w') ? writes(parsed.operands) : NOTHING;
    },
  ],
  // Partition tables: what is typed or piped decides the rest (stdin is refused elsewhere).
  ...['fdisk', 'sfdisk', 'cfdisk', 'gdisk', 'sgdisk', 'parted'].map((n): readonly [string, Handler] => [
    n,
    devicesWritten((p) => hasOption(p, 'l', 'list', 'print', 'p') && n !== 'parted'),
  ]),
];

/**
 * The writer for a program named `name` (its basename): one of FILE_WRITERS, or a device
 * writer for `mkfs.ext4`, `fsck.vfat` and the like.
 *
 * @example
 * ```ts
 * fileWriter('mkfs.ext4')?.(words); // a write of each operand
 * fileWriter('ls'); // undefined
 * ```
 */
export function fileWriter(name: string): Handler | undefined {
  const direct = FILE_WRITERS.get(name);
  if (direct !== undefined) return direct;
  const family = /^(mkfs|fsck)\.[\w.-]+$/.exec(name)?.[1];
  return family === undefined ? undefined : FILE_WRITERS.get(family);
}

/** The whole file system: what a package manager installs or removes (and its scripts run as root). */
const EVERYWHERE = lit('/');

/**
 * dpkg-deb (and dpkg's pass-through of its actions): extracting writes DIR (`-x`, `-X`, `-R`,
 * `-e` into ./DEBIAN by default); building writes the archive (`-b DIR [ARCHIVE]`, default
 * DIR.deb). Showing and listing write nothing.
 */
function dpkgDeb(parsed: ParsedOptions): WrapperEffect[] | undefined {
  const [first, second] = parsed.operands;
  if (hasOption(parsed, 'x', 'extract', 'X', 'vextract', 'R', 'raw-extract'))
    return second === undefined ? [...UNKNOWN] : treeWrites(second);
  if (hasOption(parsed, 'e', 'control')) return treeWrites(second ?? lit('DEBIAN'));
  if (hasOption(parsed, 'b', 'build')) {
    if (second !== undefined) return treeWrites(second);
    if (first === undefined || !first.literal) return [...UNKNOWN];
    return writes([lit(`${first.text.replace(/\/+$/, '')}.deb`)]);
  }
  return undefined;
}

const DPKG_SPEC: OptionSpec = {
  short: 'ZzS',
  long: names('admindir root instdir log status-fd status-logger path-include path-exclude debug force-all'),
  permute: true,
};

/**
 * dpkg: installing, unpacking, removing, purging, configuring and changing selections write
 * anywhere (`/`; `--root`/`--instdir`/`--admindir` elsewhere: `unknown`); `--log` writes its
 * file; the dpkg-deb actions as dpkg-deb; queries write nothing.
 */
function dpkg(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, DPKG_SPEC);
  if (parsed === undefined || hasOption(parsed, 'root', 'instdir', 'admindir')) return UNKNOWN;
  const out = writes(optionValues(parsed, 'log'));
  const deb = dpkgDeb(parsed);
  if (deb !== undefined) return [...out, ...deb];
  if (hasOption(parsed, 'no-act', 'dry-run', 'simulate')) return out;
  if (
    hasOption(
      parsed,
      'i',
      'install',
      'unpack',
      'r',
      'remove',
      'P',
      'purge',
      'configure',
      'triggers-only',
      'a',
      'pending',
      'set-selections',
      'clear-selections',
      'update-avail',
      'merge-avail',
      'clear-avail',
      'forget-old-unavail',
      'add-architecture',
      'remove-architecture',
    )
  )
    out.push(...treeWrites(EVERYWHERE));
  return out;
}

/** apt-get, apt and aptitude subcommands that install or remove packages (anywhere). */
const APT_CHANGES = new Set(
  names(
    'install remove purge upgrade dist-upgrade full-upgrade autoremove autopurge reinstall build-dep satisfy safe-upgrade markauto unmarkauto hold unhold',
  ),
);

/**
 * apt-get / apt / aptitude: installing and removing write anywhere (`/`), `update` the package
 * lists, `clean` the cache, `download` and `source` the working directory; `-s` and the showing
 * subcommands write nothing. `-o Dir…` moves where it writes: `unknown` (the `-o` hooks that run
 * commands are read with the interpreters).
 */
function apt(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'octaP',
    long: names('option config-file target-release host-architecture build-profiles'),
    permute: true,
  });
  if (parsed === undefined) return UNKNOWN;
  if (optionValues(parsed, 'o', 'option').some((o) => !o.literal || /^dir/i.test(o.text))) return UNKNOWN;
  if (hasOption(parsed, 'c', 'config-file')) return UNKNOWN;
  if (hasOption(parsed, 's', 'simulate', 'just-print', 'dry-run', 'recon', 'no-act')) return NOTHING;
  const sub = parsed.operands[0]?.text ?? '';
  if (APT_CHANGES.has(sub)) return treeWrites(EVERYWHERE);
  if (sub === 'update')
    return [...treeWrites(lit('/var/lib/apt/lists')), ...treeWrites(lit('/var/cache/apt'))];
  if (sub === 'clean' || sub === 'autoclean' || sub === 'auto-clean')
    return treeWrites(lit('/var/cache/apt'));
  if (sub === 'download' || sub === 'source' || sub === 'changelog') return treeWrites(HERE);
  return NOTHING;
}

/** Where cron and at keep their jobs (Debian's and Red Hat's spools). */
const SPOOLS = [lit('/var/spool/cron'), lit('/var/spool/at')];

/**
 * crontab: installing (FILE, `-` or stdin) and removing (`-r`) write the spool; `-l` lists;
 * `-e` runs an editor that reads its commands from stdin: `unknown`.
 */
function crontab(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, { short: 'uc', permute: true });
  if (parsed === undefined || hasOption(parsed, 'e')) return UNKNOWN;
  if (hasOption(parsed, 'l', 'V')) return NOTHING;
  return SPOOLS.flatMap(treeWrites);
}

/** systemctl verbs that change unit files or links (persistently, or with `--runtime` until reboot). */
const SYSTEMCTL_WRITERS = new Set(
  names(
    'enable disable reenable mask unmask preset preset-all link revert set-default add-wants add-requires set-property set-environment unset-environment',
  ),
);

/**
 * systemctl: enabling, masking, linking and setting properties write the unit directories
 * (`/etc/systemd/system`, `--user`'s `~/.config/systemd/user`, `--runtime`'s `/run/systemd`);
 * `edit` runs an editor: `unknown`; `--root` elsewhere: `unknown`. Starting and stopping write no
 * file (they are the `exec`).
 */
function systemctl(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'tpPnoHMs',
    long: names(
      'type state property kill-whom signal host machine lines output job-mode root image preset-mode boot-loader-entry boot-loader-menu reboot-argument timestamp what message when',
    ),
    permute: true,
  });
  if (parsed === undefined || hasOption(parsed, 'root', 'image')) return UNKNOWN;
  const verb = parsed.operands[0]?.text ?? '';
  if (verb === 'edit') return UNKNOWN;
  if (!SYSTEMCTL_WRITERS.has(verb)) return NOTHING;
  if (hasOption(parsed, 'user')) return treeWrites(lit('~/.config/systemd/user'));
  if (hasOption(parsed, 'runtime')) return treeWrites(lit('/run/systemd'));
  return verb === 'set-environment' || verb === 'unset-environment'
    ? NOTHING
    : treeWrites(lit('/etc/systemd/system'));
}

/** xxd [INFILE [OUTFILE]] (also with `-r`): OUTFILE. */
function xxd(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const operands: ShellWord[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i];
    if (word === undefined) break;
    if (!word.literal) {
      if (word.notOption !== true) return UNKNOWN;
      operands.push(word);
      continue;
    }
    // xxd's options are whole words; these take the next word as their value.
    if (/^-(c|cols|g|groupsize|l|len|o|offset|s|seek|n|name|R)$/.test(word.text)) i++;
    else if (!word.text.startsWith('-') || word.text === '-') operands.push(word);
  }
  return writes(operands.slice(1, 2));
}

/** openssl's options that name a file it writes, in any of its commands. */
const OPENSSL_WRITES = /^--?(out|keyout|certout|writerand|sigout|outdir|out_trusted|CAserial)$/;

function openssl(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const out: WrapperEffect[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i];
    if (word === undefined) break;
    if (!word.literal) continue;
    if (OPENSSL_WRITES.test(word.text)) {
      const value = args[++i];
      if (value === undefined) return UNKNOWN;
      out.push(...writes([value]));
    } else if (word.text === '-CAcreateserial') {
      // The serial file beside the CA certificate (or `-CAserial`).
      const ca = args.findIndex((w) => w.literal && w.text === '-CA');
      const caFile = ca === -1 ? undefined : args[ca + 1];
      if (caFile === undefined) return UNKNOWN;
      out.push(write(caFile));
    }
  }
  return out;
}

/** gpg's options that take a value. */
const GPG_VALUED = {
  short: 'ruoz',
  long: names(
    'output recipient local-user homedir passphrase passphrase-file passphrase-fd pinentry-mode cipher-algo digest-algo compress-algo compress-level default-key trust-model keyring secret-keyring keyserver set-filename comment hidden-recipient encrypt-to status-fd logger-fd command-fd attribute-fd set-notation sig-notation s2k-cipher-algo s2k-digest-algo s2k-count trusted-key faked-system-time',
  ),
  longFlags: names(
    'encrypt symmetric sign clearsign clear-sign detach-sign encrypt-files decrypt-files store dearmor enarmor decrypt verify list-keys list-secret-keys list-public-keys list-sigs check-sigs fingerprint export export-secret-keys import print-md list-packets version help',
  ),
  permute: true,
} satisfies OptionSpec;

/** gpg commands that write only stdout or gpg's own home directory. */
const GPG_READERS = names(
  'd decrypt verify k list-keys list-public-keys K list-secret-keys list-sigs check-sigs fingerprint export export-secret-keys import print-md list-packets version help',
);

/**
 * gpg: `-o FILE`; without it, encrypting, signing, (de)armoring or storing a file writes its
 * result beside it (`f.gpg`, `f.asc`, `f.sig`), and so does a file given with no command (gpg
 * then decrypts it to `f`); decrypting, verifying, listing and exporting write stdout. (Its home
 * directory, `~/.gnupg` or `--homedir`, is its own state.)
 */
function gpg(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, GPG_VALUED);
  if (parsed === undefined) return UNKNOWN;
  const output = optionValue(parsed, 'o', 'output');
  if (output !== undefined) return writes([output]);
  return hasOption(parsed, ...GPG_READERS) ? NOTHING : writes(parsed.operands);
}

/** Writes of `path` and of `path` with each suffix (a word that is not literal: itself alone). */
function besides(path: ShellWord, ...suffixes: string[]): WrapperEffect[] {
  if (!path.literal || path.glob) return [write(path)];
  return [write(path), ...suffixes.map((suffix) => write({ ...path, text: path.text + suffix }))];
}

/**
 * ssh-keygen: generating a key, changing its passphrase or comment writes the `-f` file and the
 * `.pub` beside it; editing a known_hosts file (`-R`, `-H`) writes it and `FILE.old`; certifying
 * (`-s`) writes `NAME-cert.pub` beside each key; `-Y sign` writes `FILE.sig` beside each file;
 * `-A` writes the host keys in /etc/ssh. Without `-f` those modes ask for the file: `unknown`.
 * Showing, converting to stdout, finding and verifying write nothing.
 */
function sshKeygen(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, { short: 'abCDEFfGIJjKMmNnOPRrstVwYZz', permute: true });
  if (parsed === undefined) return UNKNOWN;
  const has = (...letters: string[]): boolean => hasOption(parsed, ...letters);
  if (has('l', 'y', 'F', 'B', 'e', 'i', 'r', 'D', 'Q', 'L') && !has('R', 'H', 'p', 'c')) return NOTHING;
  if (has('A')) return treeWrites(lit('/etc/ssh'));
  if (has('Y')) {
    // `-Y sign` writes FILE.sig beside each file; the other -Y actions only check.
    return optionValue(parsed, 'Y')?.text === 'sign'
      ? parsed.operands.flatMap((file) => besides(file, '.sig'))
      : NOTHING;
  }
  if (has('s')) {
    return parsed.operands.flatMap((key) =>
      key.literal && !key.glob
        ? [write(key), write({ ...key, text: `${key.text.replace(/\.pub$/, '')}-cert.pub` })]
        : [write(key)],
    );
  }
  if (has('M')) return UNKNOWN;
  const file = optionValue(parsed, 'f');
  if (file === undefined) return UNKNOWN;
  return has('R', 'H') ? besides(file, '.old') : besides(file, '.pub');
}

/** git's options before the subcommand that take a value. */
const GIT_GLOBAL_VALUED = ['C', 'c'];
const GIT_GLOBAL_LONG = [
  'git-dir',
  'work-tree',
  'namespace',
  'super-prefix',
  'config-env',
  'exec-path',
  'list-cmds',
];
const GIT_CLONE = {
  short: 'obujc',
  long: names(
    'origin branch upload-pack reference reference-if-able separate-git-dir depth shallow-since shallow-exclude config template jobs filter server-option bundle-uri ref-format revision',
  ),
  permute: true,
} satisfies OptionSpec;

/** The directory `git clone REPO` makes: REPO's last name without `.git` (`host:a/b.git` → `b`). */
function cloneName(repo: ShellWord): ShellWord | undefined {
  if (!repo.literal) return undefined;
  const name = repo.text
    .replace(/[/\\]+$/, '')
    .replace(/\.git$/, '')
    .replace(/[/\\]+$/, '')
    .split(/[/:\\]/)
    .pop();
  return name === undefined || name === '' || name === '.' || name === '..' ? undefined : lit(name);
}

/**
 * git: `clone` writes its new directory (and `--separate-git-dir`), `init` its directory (or
 * the working directory); every other subcommand as git.ts reads it (the repository, `--git-dir`
 * or `-C DIR` or `.`; the working tree, `--work-tree` or the same). Global options that run
 * commands are read by the git handler of programs.ts.
 */
function git(args: readonly ShellWord[]): readonly WrapperEffect[] {
  let at = 0;
  let dir: ShellWord | undefined;
  let workTree: ShellWord | undefined;
  let gitDir: ShellWord | undefined;
  /** Aliases `-c` defines: whether each runs a shell command. */
  const aliases = new Map<string, boolean>();
  for (; at < args.length; at++) {
    const word = args[at];
    if (word === undefined || !word.literal) return UNKNOWN;
    const text = word.text;
    if (!text.startsWith('-')) break;
    if (GIT_GLOBAL_VALUED.some((l) => text === `-${l}`)) {
      const value = args[++at];
      if (text === '-C') dir = value;
      // `-c alias.NAME=!CMD`: the shell command is classified with git's other options
      // (programs.ts); an alias to git words is not followed.
      const alias =
        text === '-c' && value?.literal === true ? /^alias\.([^=]+)=(.*)$/is.exec(value.text) : null;
      if (alias !== null) aliases.set((alias[1] ?? '').toLowerCase(), (alias[2] ?? '').startsWith('!'));
      continue;
    }
    const eq = text.indexOf('=');
    const long = text.slice(2, eq === -1 ? undefined : eq);
    if (GIT_GLOBAL_LONG.includes(long)) {
      const value = eq === -1 ? args[++at] : lit(text.slice(eq + 1));
      if (long === 'work-tree') workTree = value;
      if (long === 'git-dir') gitDir = value;
    }
  }
  const sub = args[at];
  if (sub === undefined) return NOTHING;
  const rest = args.slice(at + 1);
  if (!sub.literal) return UNKNOWN;
  // A relative path is relative to `-C DIR`: joined to DIR where both are literal (`-C a
  // ../b` is `b`), else the whole of DIR is reported.
  const under = (path: ShellWord): ShellWord => {
    if (dir === undefined || (path.literal && path.text.startsWith('/'))) return path;
    if (dir.literal && !dir.glob && path.literal && !path.glob) return lit(posix.join(dir.text, path.text));
    return dir;
  };
  switch (sub.text) {
    case 'clone': {
      const parsed = parseOptions(rest, GIT_CLONE);
      if (parsed === undefined) return UNKNOWN;
      const [repo, target] = parsed.operands;
      if (repo === undefined) return NOTHING;
      const made = target ?? cloneName(repo);
      if (made === undefined) return UNKNOWN;
      return [...treeWrites(under(made)), ...treesWritten(optionValues(parsed, 'separate-git-dir'))];
    }
    case 'init': {
      const parsed = parseOptions(rest, {
        long: ['template', 'separate-git-dir', 'object-format', 'ref-format', 'initial-branch', 'shared'],
        short: 'b',
        permute: true,
      });
      if (parsed === undefined) return UNKNOWN;
      return [
        ...treeWrites(under(parsed.operands[0] ?? HERE)),
        ...treesWritten(optionValues(parsed, 'separate-git-dir')),
      ];
    }
    default: {
      const alias = aliases.get(sub.text.toLowerCase());
      if (alias !== undefined) return alias ? NOTHING : UNKNOWN;
      const here = dir ?? HERE;
      const places = {
        repository: gitDir === undefined ? here : under(gitDir),
        tree: workTree === undefined ? here : under(workTree),
        under,
      };
      return gitSubcommand(sub.text, rest, places, write, treeWrites);
    }
  }
}

/** A path on another host (`host:path`, `user@host:path`, `rsync://…`): not written here. */
function remotePath(word: ShellWord): boolean {
  const text = word.text;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return true;
  const colon = text.indexOf(':');
  const slash = text.indexOf('/');
  return colon > 0 && (slash === -1 || colon < slash);
}

const RSYNC = {
  short: 'efBTM',
  long: names(
    'rsh rsync-path filter exclude include exclude-from include-from files-from log-file log-file-format backup-dir suffix temp-dir partial-dir compare-dest copy-dest link-dest password-file chmod chown block-size max-size min-size max-delete bwlimit timeout contimeout port out-format modify-window iconv write-batch only-write-batch read-batch protocol checksum-choice compress-choice compress-level skip-compress info debug stop-after stop-at usermap groupmap sockopts outbuf remote-option address checksum-seed early-input',
  ),
  permute: true,
} satisfies OptionSpec;

/**
 * rsync SRC… DEST: a local DEST is written (a single operand only lists); `--remove-source-files`
 * removes the sources; `--log-file`, `--write-batch`, `--only-write-batch` write their files;
 * `--backup-dir`, `--partial-dir` and `--temp-dir` are written into.
 */
function rsync(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, RSYNC);
  if (parsed === undefined) return UNKNOWN;
  const out = writes(optionValues(parsed, 'log-file', 'write-batch', 'only-write-batch'));
  // Where replaced files are kept, and where partial and temporary files go (a relative one is
  // under DEST, which is written anyway).
  out.push(...treesWritten(optionValues(parsed, 'backup-dir', 'partial-dir', 'temp-dir', 'T')));
  const operands = parsed.operands;
  if (operands.length < 2) return out;
  const dest = operands[operands.length - 1] as ShellWord;
  if (!remotePath(dest)) out.push(...treeWrites(dest));
  if (hasOption(parsed, 'remove-source-files', 'remove-sent-files')) {
    out.push(...writes(operands.slice(0, -1).filter((w) => !remotePath(w))));
  }
  return out;
}

/** scp SRC… DEST: a local DEST is written. */
function scp(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, { short: 'cDFiJloPSX', permute: true });
  if (parsed === undefined) return UNKNOWN;
  const operands = parsed.operands;
  const dest = operands[operands.length - 1];
  return operands.length >= 2 && dest !== undefined && !remotePath(dest) ? treeWrites(dest) : NOTHING;
}

const WGET = {
  short: 'OoaPeiBtTwQUDIXlRAY',
  long: names(
    'output-document output-file append-output directory-prefix execute input-file base config tries timeout wait quota user-agent domains include-directories exclude-directories level reject accept header user password post-data post-file method body-data body-file referer save-cookies load-cookies warc-file rejected-log default-page cut-dirs limit-rate bind-address read-timeout dns-timeout connect-timeout waitretry ca-certificate ca-directory certificate private-key progress local-encoding remote-encoding',
  ),
  permute: true,
} satisfies OptionSpec;

/**
 * wget: `-O FILE`, or else what it downloads goes under `-P DIR` or the working directory (not
 * with `--spider`); `-o`/`-a` write a log, `--save-cookies`, `--warc-file`, `--rejected-log`
 * their files. `-e` and `--config` run wgetrc commands, which can name any file: `unknown`.
 */
function wget(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, WGET);
  if (parsed === undefined) return UNKNOWN;
  if (hasOption(parsed, 'e', 'execute', 'config')) return UNKNOWN;
  const out = writes(
    optionValues(
      parsed,
      'o',
      'output-file',
      'a',
      'append-output',
      'save-cookies',
      'warc-file',
      'rejected-log',
    ),
  );
  const document = optionValue(parsed, 'O', 'output-document');
  if (document !== undefined) out.push(...writes([document]));
  else if (!hasOption(parsed, 'spider'))
    out.push(...treeWrites(optionValue(parsed, 'P', 'directory-prefix') ?? HERE));
  return out;
}

const CURL = {
  short: 'oDcKTdHuXAebEFmrwxUYyzCPQt',
  long: names(
    'output dump-header cookie-jar config upload-file data data-raw data-binary data-urlencode data-ascii json header user request user-agent referer cookie cert key form form-string max-time connect-timeout range write-out proxy proxy-user trace trace-ascii stderr etag-save etag-compare hsts alt-svc libcurl output-dir retry retry-delay retry-max-time cacert capath resolve connect-to interface limit-rate max-filesize oauth2-bearer url variable expand-url',
  ),
  longFlags: ['remote-name', 'remote-name-all', 'remote-header-name', 'create-dirs'],
  permute: true,
} satisfies OptionSpec;

/**
 * curl: each `-o FILE`; `-O` (`--remote-name`, `--remote-name-all`) names files itself, in
 * `--output-dir` or the working directory; `-D`, `-c`, `--trace`, `--trace-ascii`, `--stderr`,
 * `--etag-save`, `--hsts`, `--alt-svc`, `--libcurl` write their files. A config file (`-K`) or
 * a `-w` format with `%output{…}` can name any file: `unknown`.
 */
function curl(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, CURL);
  if (parsed === undefined) return UNKNOWN;
  if (hasOption(parsed, 'K', 'config')) return UNKNOWN;
  const formats = optionValues(parsed, 'w', 'write-out');
  if (formats.some((f) => !f.literal || f.text.includes('%output{') || f.text.startsWith('@')))
    return UNKNOWN;
  const out = writes(
    optionValues(
      parsed,
      'o',
      'output',
      'D',
      'dump-header',
      'c',
      'cookie-jar',
      'trace',
      'trace-ascii',
      'stderr',
      'etag-save',
      'hsts',
      'alt-svc',
      'libcurl',
    ),
  );
  const dir = optionValue(parsed, 'output-dir');
  if (hasOption(parsed, 'O', 'remote-name', 'remote-name-all')) out.push(...treeWrites(dir ?? HERE));
  else if (dir !== undefined && out.length > 0) out.push(...treeWrites(dir));
  // --create-dirs makes the directories above each output.
  if (hasOption(parsed, 'create-dirs')) {
    for (const o of optionValues(parsed, 'o', 'output')) out.push(...parentWrites(o));
    if (dir !== undefined) out.push(...parentWrites(dir));
  }
  return out;
}

/**
 * ar: `d`, `m`, `q`, `r`, `s` change the archive; `x` extracts members into the working
 * directory; `p` and `t` only read. Modifiers `a`, `b`, `i` take a member name first, `N` a count.
 */
function ar(args: readonly ShellWord[]): readonly WrapperEffect[] {
  let at = 0;
  // `--plugin NAME`, `--target BFD` and other long options come first.
  while (args[at]?.literal === true && (args[at] as ShellWord).text.startsWith('--')) {
    const text = (args[at] as ShellWord).text;
    at += text.includes('=') || !/^--(plugin|target|output)$/.test(text) ? 1 : 2;
  }
  const keys = args[at];
  if (keys === undefined) return NOTHING;
  if (!keys.literal) return UNKNOWN;
  const letters = keys.text.replace(/^-/, '');
  let next = at + 1;
  if (/[abi]/.test(letters.replace(/^[dmpqrstx]/, ''))) next++;
  if (letters.includes('N')) next++;
  const archive = args[next];
  if (archive === undefined) return NOTHING;
  const operation = /[dmpqrstx]/.exec(letters)?.[0];
  switch (operation) {
    case 'd':
    case 'm':
    case 'q':
    case 'r':
    case 's':
      return [write(archive)];
    case 'x':
      return treeWrites(HERE);
    case 'p':
    case 't':
      return NOTHING;
    default:
      return UNKNOWN;
  }
}

/**
 * cpio: copy-in (`-i`) extracts into the working directory (or `-D DIR`), absolute member names
 * included unless `--no-absolute-filenames`: then `unknown`; pass-through (`-p DIR`) writes DIR;
 * `-O FILE`/`-F FILE` write the archive.
 */
function cpio(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const parsed = parseOptions(args, {
    short: 'DEFHIMOREs',
    long: names('directory pattern-file file format message owner block-size rsh-command'),
    longFlags: ['extract', 'create', 'pass-through', 'no-absolute-filenames'],
    permute: true,
  });
  if (parsed === undefined) return UNKNOWN;
  const out = writes(optionValues(parsed, 'O'));
  if (!hasOption(parsed, 'i', 'extract')) out.push(...writes(optionValues(parsed, 'F', 'file')));
  if (hasOption(parsed, 'i', 'extract')) {
    if (!hasOption(parsed, 'no-absolute-filenames') || hasOption(parsed, 't', 'list')) {
      return hasOption(parsed, 't', 'list') ? out : UNKNOWN;
    }
    out.push(...treeWrites(optionValue(parsed, 'D', 'directory') ?? HERE));
  }
  if (hasOption(parsed, 'p', 'pass-through')) out.push(...treesWritten(parsed.operands.slice(0, 1)));
  return out;
}

/** 7z COMMAND ARCHIVE …: `a`, `u`, `d`, `rn` change the archive; `x`, `e` extract into `-oDIR` or here. */
function sevenZip(args: readonly ShellWord[]): readonly WrapperEffect[] {
  const words = args.filter((w) => !(w.literal && w.text.startsWith('-')));
  const command = words[0];
  if (command === undefined) return NOTHING;
  if (!command.literal || args.some((w) => !w.literal)) return UNKNOWN;
  const dir = args.find((w) => w.text.startsWith('-o'));
  switch (command.text) {
    case 'a':
    case 'u':
    case 'd':
    case 'rn':
      return writes(words.slice(1, 2));
    case 'x':
    case 'e':
      return treeWrites(dir === undefined ? HERE : lit(dir.text.slice(2)));
    case 'l':
    case 't':
    case 'h':
    case 'i':
    case 'b':
      return NOTHING;
    default:
      return UNKNOWN;
  }
}

/** `pg_dump -f FILE`, `pg_restore -f FILE`, `pg_basebackup -D DIR`, `mysqldump -r FILE`. */
function fileOption(spec: OptionSpec, ...names: string[]): Handler {
  return (args) => {
    const parsed = parseOptions(args, { ...spec, permute: true });
    return parsed === undefined ? UNKNOWN : writes(optionValues(parsed, ...names));
  };
}

const PG_CONNECTION = ['dbname', 'host', 'port', 'username', 'role'];

/** Programs that write, create, remove or re-permission files they are given, by basename. */
export const FILE_WRITERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ['rm', operandsWritten({ longOptional: ['interactive', 'preserve-root'] })],
  [
    'rmdir',
    (args) => {
      // `rmdir -p a/b` removes `a/b`, then `a`.
      const parsed = parseOptions(args, { short: '', permute: true });
      if (parsed === undefined) return UNKNOWN;
      const parents = hasOption(parsed, 'p', 'parents') ? parsed.operands.flatMap(parentWrites) : [];
      return [...writes(parsed.operands), ...parents];
    },
  ],
  ['unlink', operandsWritten({})],
  ['mkdir', mkdir],
  ['mkfifo', operandsWritten({ short: 'm', long: ['mode'], longOptional: ['context'] })],
  ['mknod', mknod],
  ['link', link],
  ['mktemp', mktemp],
  // moreutils' sponge soaks up stdin, then writes FILE (`-a` appends).
  ['sponge', operandsWritten({})],
  ...['dos2unix', 'unix2dos', 'mac2unix', 'unix2mac'].map((n) => [n, lineEndings] as const),
  ['setfattr', setfattr],
  [
    'shuf',
    optionWrites(
      { short: 'oinr', long: ['output', 'input-range', 'head-count', 'random-source'] },
      'o',
      'output',
    ),
  ],
  ['yq', yq],
  ...['less', 'more'].map(
    (n) =>
      [
        n,
        optionWrites(
          { short: 'oObhjkpPtTxyz#', long: ['log-file', 'LOG-FILE'] },
          'o',
          'O',
          'log-file',
          'LOG-FILE',
        ),
      ] as const,
  ),
  // ssh's options end at the destination: what follows is the remote command's.
  ['ssh', optionWrites({ short: 'BbcDEeFIiJLlmOopQRSWw', permute: false }, 'E')],
  ...[
    'useradd',
    'adduser',
    'usermod',
    'userdel',
    'deluser',
    'newusers',
    'chpasswd',
    'passwd',
    'chsh',
    'chfn',
    'chage',
    'groupadd',
    'addgroup',
    'groupmod',
    'groupdel',
    'delgroup',
    'gpasswd',
    'chgpasswd',
    'pwconv',
    'pwunconv',
    'grpconv',
    'grpunconv',
    'vipw',
    'vigr',
  ].map((n) => [n, accounts] as const),
  ['visudo', visudo],
  ['mount', mount],
  ['umount', mount],
  ['fallocate', fallocate],
  ['chmod', changesOwnerOrMode(['reference'], /^[-+=][rwxXstugo]*$|^-[0-7]+$/)],
  ['chown', changesOwnerOrMode(['reference', 'from'], undefined)],
  ['chgrp', changesOwnerOrMode(['reference'], undefined)],
  ['chattr', chattr],
  ['setfacl', setfacl],
  ['tar', tar],
  ['gtar', tar],
  ['bsdtar', tar],
  ['unzip', unzip],
  ['zip', zip],
  ...DEVICE_WRITERS,
  ['dpkg', dpkg],
  ['crontab', crontab],
  // tcpdump -w FILE; -z runs a program on each file it rotates (`-C`, `-G`).
  [
    'tcpdump',
    (args) => {
      const parsed = parseOptions(args, {
        short: 'BcCEFGijmMrsTVwWyz',
        long: names(
          'buffer-size count file-size interface time-stamp-type print-sampling relinquish-privileges snapshot-length',
        ),
        permute: true,
      });
      if (parsed === undefined || hasOption(parsed, 'z')) return UNKNOWN;
      return writes(optionValues(parsed, 'w'));
    },
  ],
  // initdb [-D] DATADIR: the new cluster's directory (PGDATA when none is given).
  [
    'initdb',
    (args) => {
      const parsed = parseOptions(args, {
        short: 'DEUXLAT',
        long: names(
          'pgdata encoding username waldir locale auth auth-host auth-local pwfile lc-collate lc-ctype lc-messages lc-monetary lc-numeric lc-time text-search-config set locale-provider icu-locale icu-rules builtin-locale waldir wal-segsize',
        ),
        permute: true,
      });
      if (parsed === undefined) return UNKNOWN;
      const dir = optionValue(parsed, 'D', 'pgdata') ?? parsed.operands[0];
      return dir === undefined
        ? UNKNOWN
        : [...treeWrites(dir), ...treesWritten(optionValues(parsed, 'X', 'waldir'))];
    },
  ],
  // redis-cli --rdb FILE and --functions-rdb FILE save a dump.
  [
    'redis-cli',
    (args) => {
      const out: WrapperEffect[] = [];
      for (let i = 0; i < args.length; i++) {
        if (args[i]?.literal === true && /^--(rdb|functions-rdb)$/.test((args[i] as ShellWord).text))
          out.push(...writes([args[i + 1]]));
      }
      return out;
    },
  ],
  ['systemctl', systemctl],
  // at and batch queue a job (its commands are classified with the wrappers); atrm removes one.
  ...['at', 'batch', 'atrm'].map((n): readonly [string, Handler] => [
    n,
    (args) =>
      n === 'at' && args.some((w) => w.literal && /^-[a-zA-Z]*[lc]/.test(w.text))
        ? NOTHING
        : SPOOLS.flatMap(treeWrites),
  ]),
  [
    'dpkg-deb',
    (args) => {
      const parsed = parseOptions(args, DPKG_SPEC);
      return parsed === undefined ? UNKNOWN : (dpkgDeb(parsed) ?? NOTHING);
    },
  ],
  ...['apt-get', 'apt', 'aptitude'].map((n): readonly [string, Handler] => [n, apt]),
  ['split', split],
  ['csplit', csplit],
  ['xxd', xxd],
  ['openssl', openssl],
  ...['gpg', 'gpg2'].map((n) => [n, gpg] as const),
  ['ssh-keygen', sshKeygen],
  ['git', git],
  ['rsync', rsync],
  ['scp', scp],
  ['wget', wget],
  ['curl', curl],
  ['ar', ar],
  ['cpio', cpio],
  ...['7z', '7za', '7zr'].map((n) => [n, sevenZip] as const),
  [
    'pg_dump',
    fileOption({ short: 'fdhpUnNtTZjSEx', long: ['file', 'format', ...PG_CONNECTION] }, 'f', 'file'),
  ],
  ['pg_dumpall', fileOption({ short: 'fdhpUlS', long: ['file', ...PG_CONNECTION] }, 'f', 'file')],
  [
    'pg_restore',
    fileOption({ short: 'fdhpUnNtTjSIPL', long: ['file', 'format', ...PG_CONNECTION] }, 'f', 'file'),
  ],
  [
    'pg_basebackup',
    (args) => {
      const parsed = parseOptions(args, {
        short: 'DdhpUFXrTZtl',
        long: ['pgdata', ...PG_CONNECTION],
        permute: true,
      });
      return parsed === undefined ? UNKNOWN : treesWritten(optionValues(parsed, 'D', 'pgdata'));
    },
  ],
  [
    'psql',
    fileOption(
      {
        short: 'cdfhLopUvPTFR',
        long: [
          'command',
          'file',
          'log-file',
          'output',
          'pset',
          'variable',
          'set',
          'table-attr',
          'field-separator',
          'record-separator',
          ...PG_CONNECTION,
        ],
      },
      'o',
      'output',
      'L',
      'log-file',
    ),
  ],
  [
    'mysqldump',
    fileOption(
      { short: 'rhPuSp', long: ['result-file', 'host', 'port', 'user', 'socket'] },
      'r',
      'result-file',
    ),
  ],
]);
