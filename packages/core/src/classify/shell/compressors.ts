// What the file compressors write: each file operand gets its (de)compressed form beside it
// (`gzip /etc/x` writes /etc/x.gz, `gunzip /etc/x.gz` writes /etc/x) and, unless the program keeps
// it, is removed. Both are writes; the name written is worked out as the program does, from its
// suffix (`-S`), its mode (`-d`, the program's name) and its output options (`zstd -o`, `lz4 IN
// OUT`). Where the name cannot be known (`gunzip -N` takes it from inside the file, a list of files
// read from a file) the operand's whole directory is written, or the request is unknown.
import { posix } from 'node:path';
import { hasOption, optionValue, parseOptions, type OptionSpec, type ParsedOptions } from './options.js';
import type { ShellWord } from './words.js';
import type { WrapperEffect } from './effects.js';
import { treeWrites, writes } from './file-writers.js';

const UNKNOWN: readonly WrapperEffect[] = [{ kind: 'unknown' }];

/** One compressor family: its options and how it names what it writes. */
interface Family {
  /** Valued options. */
  readonly spec: OptionSpec;
  /** The suffix compressing adds, unless an option of `suffixOptions` gives another. */
  readonly suffix: string;
  /** Options that give the suffix (`-S`). */
  readonly suffixOptions?: readonly string[];
  /** Decompressing: suffixes it strips (lower case), with what replaces each (`.tgz` → `.tar`). */
  readonly strips: readonly (readonly [string, string])[];
  /** What a decompressed name without a known suffix gets (bzip2: `.out`); none: not written. */
  readonly unknownSuffix?: string;
  /** Keeps its input unless told to remove it (zstd, lz4). */
  readonly keeps: boolean;
  /** Options that make it keep its input, or (for a family that keeps) remove it. */
  readonly keepFlags: readonly string[];
  /** Options that name a single output file. */
  readonly outputOption?: readonly string[];
  /** Options that name a directory written into. */
  readonly outputDirOptions?: readonly string[];
  /** Options that read the list of inputs from a file (inputs unknown). */
  readonly listOptions?: readonly string[];
  /** Decompressing restores a name stored in the file (gzip `-N`). */
  readonly storedName?: readonly string[];
  /** The second operand is the output file (lz4 without `-m`). */
  readonly outputOperand?: boolean;
}

const GZIP: Family = {
  spec: { short: 'bpS', long: ['blocksize', 'processes', 'suffix', 'rsyncable-chunk'] },
  suffix: '.gz',
  suffixOptions: ['S', 'suffix'],
  strips: [
    ['.gz', ''],
    ['.z', ''],
    ['-gz', ''],
    ['-z', ''],
    ['_z', ''],
    ['.tgz', '.tar'],
    ['.taz', '.tar'],
  ],
  keeps: false,
  keepFlags: ['k', 'keep'],
  storedName: ['N', 'name'],
};

const BZIP2: Family = {
  spec: { short: '', long: [] },
  suffix: '.bz2',
  strips: [
    ['.bz2', ''],
    ['.bz', ''],
    ['.tbz2', '.tar'],
    ['.tbz', '.tar'],
  ],
  unknownSuffix: '.out',
  keeps: false,
  keepFlags: ['k', 'keep'],
};

const XZ_SPEC: OptionSpec = {
  short: 'TMSFC',
  long: [
    'threads',
    'memlimit',
    'memory',
    'memlimit-compress',
    'memlimit-decompress',
    'memlimit-mt-decompress',
    'suffix',
    'format',
    'check',
    'block-size',
    'block-list',
    'flush-timeout',
    'filters',
    'filters1',
    'filters2',
    'filters3',
    'filters4',
    'filters5',
    'filters6',
    'filters7',
    'filters8',
    'filters9',
    'filters-help',
    'lzma1',
    'lzma2',
    'x86',
    'arm',
    'armthumb',
    'arm64',
    'powerpc',
    'ia64',
    'sparc',
    'riscv',
    'delta',
  ],
  longOptional: ['files', 'files0'],
};

const XZ_STRIPS: readonly (readonly [string, string])[] = [
  ['.xz', ''],
  ['.txz', '.tar'],
  ['.lzma', ''],
  ['.tlz', '.tar'],
  ['.lz', ''],
];

const XZ: Family = {
  spec: XZ_SPEC,
  suffix: '.xz',
  suffixOptions: ['S', 'suffix'],
  strips: XZ_STRIPS,
  keeps: false,
  keepFlags: ['k', 'keep'],
  listOptions: ['files', 'files0'],
};

const LZMA: Family = { ...XZ, suffix: '.lzma' };

const ZSTD: Family = {
  spec: {
    short: 'oDTBM',
    long: [
      'output',
      'threads',
      'memory',
      'memlimit',
      'memlimit-decompress',
      'dict',
      'filelist',
      'output-dir-flat',
      'output-dir-mirror',
      'format',
      'patch-from',
      'block-size',
      'stream-size',
      'size-hint',
      'target-compressed-block-size',
      'split',
    ],
    longOptional: [
      'long',
      'zstd',
      'adapt',
      'train',
      'train-cover',
      'train-fastcover',
      'train-legacy',
      'ultra',
    ],
  },
  suffix: '.zst',
  strips: [
    ['.zst', ''],
    ['.tzst', '.tar'],
    ['.gz', ''],
    ['.tgz', '.tar'],
    ['.xz', ''],
    ['.txz', '.tar'],
    ['.lzma', ''],
    ['.lz4', ''],
    ['.tlz4', '.tar'],
  ],
  keeps: true,
  keepFlags: ['rm'],
  outputOption: ['o', 'output'],
  outputDirOptions: ['output-dir-flat', 'output-dir-mirror'],
  listOptions: ['filelist'],
};

const LZ4: Family = {
  spec: { short: 'BD', long: ['dict'] },
  suffix: '.lz4',
  strips: [['.lz4', '']],
  keeps: true,
  keepFlags: ['rm'],
  outputOperand: true,
};

const LZIP: Family = {
  spec: {
    short: 'bBmnoSs',
    long: ['member-size', 'data-size', 'match-length', 'threads', 'output', 'volume-size', 'dictionary-size'],
  },
  suffix: '.lz',
  strips: [
    ['.lz', ''],
    ['.tlz', '.tar'],
  ],
  keeps: false,
  keepFlags: ['k', 'keep'],
  outputOption: ['o', 'output'],
};

/** By program: its family, and whether the program's name alone means decompressing. */
const PROGRAMS: ReadonlyMap<string, readonly [Family, boolean]> = new Map([
  ['gzip', [GZIP, false]],
  ['gunzip', [GZIP, true]],
  ['pigz', [GZIP, false]],
  ['unpigz', [GZIP, true]],
  ['bzip2', [BZIP2, false]],
  ['bunzip2', [BZIP2, true]],
  ['pbzip2', [BZIP2, false]],
  ['lbzip2', [BZIP2, false]],
  ['xz', [XZ, false]],
  ['unxz', [XZ, true]],
  ['lzma', [LZMA, false]],
  ['unlzma', [LZMA, true]],
  ['zstd', [ZSTD, false]],
  ['unzstd', [ZSTD, true]],
  ['pzstd', [ZSTD, false]],
  ['lz4', [LZ4, false]],
  ['unlz4', [LZ4, true]],
  ['lzip', [LZIP, false]],
  ['plzip', [LZIP, false]],
]);

/** The programs {@link compressorWrites} knows. */
export const COMPRESSORS: readonly string[] = [...PROGRAMS.keys()];

function lit(text: string): ShellWord {
  return { text, literal: true, glob: false };
}

/** xz's `-F lzma` / `--format=lzma` writes `.lzma`, `--format=lzip` reads `.lz`. */
function suffixOf(family: Family, parsed: ParsedOptions): string | undefined {
  const given = family.suffixOptions === undefined ? undefined : optionValue(parsed, ...family.suffixOptions);
  if (given !== undefined) return given.literal && given.text !== '' ? given.text : undefined;
  if (family === XZ || family === LZMA) {
    const format = optionValue(parsed, 'F', 'format');
    if (format !== undefined) {
      if (!format.literal) return undefined;
      if (format.text === 'lzma' || format.text === 'alone') return '.lzma';
      if (format.text === 'lzip') return '.lz';
    }
  }
  return family.suffix;
}

/**
 * The name one operand gets: its compressed name, or its decompressed one (`undefined` where
 * the program writes nothing for it, `null` where the name cannot be known).
 */
function outputName(
  family: Family,
  operand: ShellWord,
  decompress: boolean,
  suffix: string,
): ShellWord | undefined | null {
  if (!operand.literal) return null;
  if (!decompress) return { ...operand, text: operand.text + suffix };
  const lower = operand.text.toLowerCase();
  const strips: (readonly [string, string])[] = [[suffix.toLowerCase(), ''], ...family.strips];
  for (const [from, to] of strips) {
    if (lower.endsWith(from) && lower.length > from.length && !lower.endsWith(`/${from}`)) {
      return { ...operand, text: operand.text.slice(0, -from.length) + to };
    }
  }
  return family.unknownSuffix === undefined
    ? undefined
    : { ...operand, text: operand.text + family.unknownSuffix };
}

/** The directory an operand is in (`.` for a bare name). */
function directoryOf(operand: ShellWord): ShellWord {
  return lit(posix.dirname(operand.text));
}

/**
 * What one compressor invocation writes, or `undefined` when the program is not a compressor
 * this module knows.
 *
 * @example
 * ```ts
 * // `gunzip -k /var/log/a.gz`
 * compressorWrites('gunzip', words); // a write of /var/log/a
 * ```
 */
export function compressorWrites(
  program: string,
  args: readonly ShellWord[],
): readonly WrapperEffect[] | undefined {
  const known = PROGRAMS.get(program);
  if (known === undefined) return undefined;
  const [family, byName] = known;
  const parsed = parseOptions(args, { ...family.spec, permute: true });
  if (parsed === undefined) return UNKNOWN;
  // To standard output, or nothing written at all.
  // (lz4's `-l` is its legacy format, not a listing.)
  const lists = family === LZ4 ? ['list'] : ['l', 'list'];
  if (hasOption(parsed, 'c', 'stdout', 'to-stdout', 't', 'test', ...lists)) return [];
  if (family.listOptions !== undefined && hasOption(parsed, ...family.listOptions)) return UNKNOWN;
  const decompress = byName || hasOption(parsed, 'd', 'decompress', 'uncompress');
  const suffix = suffixOf(family, parsed);
  if (suffix === undefined) return UNKNOWN;
  let inputs = parsed.operands.filter((w) => !(w.literal && w.text === '-'));
  const out: WrapperEffect[] = [];
  if (family.outputOperand === true && !hasOption(parsed, 'm', 'multiple')) {
    // lz4 IN [OUT]: one input; OUT (when given) is what it writes.
    const [input, output] = parsed.operands;
    if (output !== undefined) {
      out.push(...writes([output]));
      inputs = [];
      if (input !== undefined && hasOption(parsed, ...family.keepFlags)) out.push(...writes([input]));
    } else inputs = input === undefined || (input.literal && input.text === '-') ? [] : [input];
  }
  const removes = family.keeps
    ? hasOption(parsed, ...family.keepFlags)
    : !hasOption(parsed, ...family.keepFlags);
  const recursive = hasOption(parsed, 'r', 'recursive');
  const output = family.outputOption === undefined ? undefined : optionValue(parsed, ...family.outputOption);
  if (output !== undefined) out.push(...writes([output]));
  for (const dir of family.outputDirOptions ?? []) {
    const value = optionValue(parsed, dir);
    if (value !== undefined) out.push(...treeWrites(value));
  }
  const named = output !== undefined || (family.outputDirOptions ?? []).some((d) => hasOption(parsed, d));
  const restoresName =
    decompress && family.storedName !== undefined && hasOption(parsed, ...family.storedName);
  for (const input of inputs) {
    if (recursive) {
      // Every file under a directory operand, as the operand itself when it is a file.
      out.push(...treeWrites(input));
      continue;
    }
    if (removes) out.push(...writes([input]));
    if (named) continue;
    if (restoresName) {
      // The name comes from inside the file: anything in the operand's directory.
      out.push(...(input.literal ? treeWrites(directoryOf(input)) : writes([input])));
      continue;
    }
    const name = outputName(family, input, decompress, suffix);
    if (name === null) out.push(...writes([input]));
    else if (name !== undefined) out.push(...writes([name]));
  }
  return out;
}
