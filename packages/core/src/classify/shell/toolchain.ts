// What the binary tools and compilers write: `strip` and `ranlib` change their operands in
// place, `objcopy IN [OUT]` writes OUT (or IN), the linkers, assemblers and compiler drivers write
// `-o FILE` (or `a.out`, or an object file beside each source in the working directory). What
// makes them load or run other code (a plugin, a wrapper, a spec file, programs from `-B DIR`, a
// response file `@FILE` of further options) is `unknown`.
import type { WrapperEffect } from './effects.js';
import { treeWrites, writes } from './file-writers.js';
import { optionValue, parseOptions, type OptionSpec, type ParsedOptions } from './options.js';
import type { ShellWord } from './words.js';

type Handler = (args: readonly ShellWord[]) => readonly WrapperEffect[];

const UNKNOWN: readonly WrapperEffect[] = [{ kind: 'unknown' }];

function lit(text: string): ShellWord {
  return { text, literal: true, glob: false };
}

/** Every value given for any of `names`, in order. */
function optionValues(parsed: ParsedOptions, ...names: string[]): ShellWord[] {
  const out: ShellWord[] = [];
  for (const o of parsed.options) if (names.includes(o.name) && o.value !== undefined) out.push(o.value);
  return out;
}

/** `@FILE` (more options read from FILE) or a plugin to load. */
function loadsMore(args: readonly ShellWord[]): boolean {
  return args.some((w) => !w.literal || w.text.startsWith('@') || /^--plugin(=|$)/.test(w.text));
}

/** The long options of strip and objcopy that take a value. */
const BFD_LONG = [
  'input-target',
  'output-target',
  'target',
  'binary-architecture',
  'only-section',
  'remove-section',
  'remove-relocations',
  'keep-section',
  'strip-symbol',
  'keep-symbol',
  'strip-unneeded-symbol',
  'localize-symbol',
  'globalize-symbol',
  'weaken-symbol',
  'keep-global-symbol',
  'add-section',
  'update-section',
  'dump-section',
  'set-section-flags',
  'set-section-alignment',
  'rename-section',
  'add-symbol',
  'redefine-sym',
  'redefine-syms',
  'strip-symbols',
  'strip-unneeded-symbols',
  'keep-symbols',
  'localize-symbols',
  'globalize-symbols',
  'keep-global-symbols',
  'weaken-symbols',
  'add-gnu-debuglink',
  'only-keep-debug',
  'change-section-address',
  'change-section-lma',
  'change-section-vma',
  'change-start',
  'set-start',
  'adjust-start',
  'change-addresses',
  'adjust-vma',
  'gap-fill',
  'pad-to',
  'byte',
  'interleave-width',
  'heap',
  'stack',
  'image-base',
  'section-alignment',
  'file-alignment',
  'subsystem',
  'prefix-symbols',
  'prefix-sections',
  'prefix-alloc-sections',
  'elf-stt-common',
  'extract-symbol',
  'compress-debug-sections',
  'set-section-flags',
  'verilog-data-width',
];

/** strip FILE…: each changed in place, or `-o OUT` (one input) written instead. */
function strip(args: readonly ShellWord[]): readonly WrapperEffect[] {
  if (loadsMore(args)) return UNKNOWN;
  const parsed = parseOptions(args, { short: 'FIOKNRo', long: [...BFD_LONG, 'output-file'], permute: true });
  if (parsed === undefined) return UNKNOWN;
  const out = optionValue(parsed, 'o', 'output-file');
  return out === undefined ? writes(parsed.operands) : writes([out]);
}

/** objcopy IN [OUT]: OUT, or IN changed in place; `--dump-section NAME=FILE` writes FILE. */
function objcopy(args: readonly ShellWord[]): readonly WrapperEffect[] {
  if (loadsMore(args)) return UNKNOWN;
  const parsed = parseOptions(args, { short: 'IOBFjRKNLGWbi', long: BFD_LONG, permute: true });
  if (parsed === undefined) return UNKNOWN;
  const [input, output] = parsed.operands;
  const dumped = optionValues(parsed, 'dump-section').map((v) => {
    const eq = v.text.indexOf('=');
    return v.literal && eq > 0 ? lit(v.text.slice(eq + 1)) : v;
  });
  if (dumped.some((w) => !w.literal)) return UNKNOWN;
  return [...writes([output ?? input]), ...writes(dumped)];
}

/** ranlib ARCHIVE…: each archive's index is rewritten. */
function ranlib(args: readonly ShellWord[]): readonly WrapperEffect[] {
  if (loadsMore(args)) return UNKNOWN;
  const parsed = parseOptions(args, { short: '', long: [], permute: true });
  return parsed === undefined ? UNKNOWN : writes(parsed.operands);
}

/** Options of ld and as that take a value (the linker's `-o`, `-T SCRIPT`, `-L DIR`, …). */
const LINKER: OptionSpec = {
  short: 'oTLlemyYuFfhIAaRcz',
  long: [
    'output',
    'script',
    'library-path',
    'library',
    'entry',
    'map',
    'Map',
    'trace-symbol',
    'undefined',
    'soname',
    'dynamic-linker',
    'version-script',
    'dependency-file',
    'sysroot',
    'defsym',
    'just-symbols',
    'auxiliary',
    'filter',
    'section-start',
    'Ttext',
    'Tdata',
    'Tbss',
    'hash-style',
    'build-id',
    'out-implib',
    'retain-symbols-file',
    'dynamic-list',
    'wrap',
    'plugin-opt',
    'debug-prefix-map',
    'MD',
    'statistics',
  ],
  permute: true,
};

/** ld, as: `-o FILE` (default `a.out`), `-Map FILE`, `--dependency-file FILE`. */
function linker(args: readonly ShellWord[]): readonly WrapperEffect[] {
  if (loadsMore(args)) return UNKNOWN;
  const parsed = parseOptions(args, LINKER);
  if (parsed === undefined) return UNKNOWN;
  const out = optionValue(parsed, 'o', 'output') ?? lit('a.out');
  // as's listing: `-a[cdghlmns]=FILE`.
  const listings = args.flatMap((w) => {
    const m = /^-a[a-z]*=(.+)$/s.exec(w.text);
    return m === null ? [] : [lit(m[1] ?? '')];
  });
  return writes([
    out,
    ...optionValues(parsed, 'Map', 'map', 'dependency-file', 'out-implib', 'MD'),
    ...listings,
  ]);
}

/**
 * The compiler drivers (gcc, cc, clang, g++, …): `-o FILE`, else `a.out` or, compiling only
 * (`-c`, `-S`), an output beside each source in the working directory; dependency files
 * (`-MF`), `-save-temps` and profile output land there too, so the working directory is written
 * unless `-o` names the only output. `-E`, `-M`, `-fsyntax-only`, `--version` write stdout.
 */
function compiler(args: readonly ShellWord[]): readonly WrapperEffect[] {
  if (args.some((w) => !w.literal || w.text.startsWith('@'))) return UNKNOWN;
  // Programs or code loaded from the command line: a wrapper around each program, a plugin, a
  // directory to find the programs in, a spec file (which can run anything), a linker plugin.
  if (
    args.some((w) =>
      /^(-wrapper|-fplugin=|-fplugin-arg|-B|-specs=|--specs=|-fuse-ld=\/|--ld-path=|-Xlinker$|-Wl,.*--plugin|-Xassembler$|-Wa,.*@|-fprofile-generate=|-fauto-profile=)/.test(
        w.text,
      ),
    )
  )
    return UNKNOWN;
  const texts = args.map((w) => w.text);
  const out: WrapperEffect[] = [];
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i] as string;
    if (text === '-o' || text === '-MF') out.push(...writes([args[++i]]));
    else if (text.startsWith('-o') && text.length > 2) out.push(...writes([lit(text.slice(2))]));
  }
  if (
    texts.length === 0 ||
    texts.every((t) => /^(--version|-v|--help|-dumpversion|-dumpmachine|-print-.*|-###)$/.test(t))
  )
    return [];
  // Only preprocessing or checking: `-o` or stdout, unless dependency files are asked for.
  const noObjects = texts.some((t) => /^(-E|-M|-MM|-fsyntax-only)$/.test(t));
  // Files named by the compiler itself, in the working directory: `a.out`, objects beside
  // sources, dependency files, temporaries kept, profile and coverage data.
  const ownNames = texts.some((t) =>
    /^-(MD|MMD|MF|save-temps.*|fprofile-.*|ftest-coverage|-coverage|fdump-.*|gsplit-dwarf)$/.test(t),
  );
  if (ownNames || (!noObjects && out.length === 0)) out.push(...treeWrites(lit('.')));
  return out;
}

/** The programs this module reads, by basename. */
export const TOOLCHAIN_HANDLERS: readonly (readonly [string, Handler])[] = [
  ['strip', strip],
  ['objcopy', objcopy],
  ['ranlib', ranlib],
  ['ld', linker],
  ['ld.bfd', linker],
  ['ld.gold', linker],
  ['ld.lld', linker],
  ['as', linker],
  ...['gcc', 'cc', 'c++', 'g++', 'clang', 'clang++', 'c89', 'c99', 'tcc'].map(
    (n): readonly [string, Handler] => [n, compiler],
  ),
];
