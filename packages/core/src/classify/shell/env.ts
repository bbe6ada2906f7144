// Environment variables that decide what runs. Setting one (as a prefix `X=… cmd`, a plain
// assignment, `export`, or `env X=…`) can make an allowed command run something else, so the
// classifier either classifies the command the variable names or fails closed.

/**
 * Variables whose value is a command line a program runs through a shell (pagers, editors,
 * hooks). Their value is classified as a command line of its own.
 */
const COMMAND_VARIABLES: ReadonlySet<string> = new Set([
  'PAGER',
  'MANPAGER',
  'GIT_PAGER',
  'SYSTEMD_PAGER',
  'PSQL_PAGER',
  'EDITOR',
  'VISUAL',
  'GIT_EDITOR',
  'SUDO_EDITOR',
  'GIT_SSH_COMMAND',
  'GIT_EXTERNAL_DIFF',
  'GIT_SEQUENCE_EDITOR',
  'PROMPT_COMMAND',
  'RSYNC_RSH',
  'BROWSER',
]);

/**
 * Variables that change which program or library runs, or how the shell parses what follows.
 * Their effect cannot be resolved statically: setting one is `unknown`.
 */
const UNRESOLVABLE_VARIABLES: ReadonlySet<string> = new Set([
  'PATH',
  'IFS',
  'ENV',
  'BASH_ENV',
  'SHELLOPTS',
  'BASHOPTS',
  'PS4',
  'SHELL',
  'GCONV_PATH',
  'HOSTALIASES',
  'PYTHONPATH',
  'PYTHONHOME',
  'PYTHONSTARTUP',
  'PYTHONINSPECT',
  'PERL5LIB',
  'PERL5OPT',
  'PERLLIB',
  'RUBYOPT',
  'RUBYLIB',
  'NODE_OPTIONS',
  'NODE_PATH',
  'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS',
  'JDK_JAVA_OPTIONS',
  'CLASSPATH',
  'GIT_SSH',
  'GIT_EXEC_PATH',
  'GIT_ASKPASS',
  'GIT_CONFIG_GLOBAL',
  'GIT_CONFIG_SYSTEM',
  'GIT_CONFIG_PARAMETERS',
  // Where git reads and writes: the repository, the working tree, the index, the objects, the
  // hooks a new repository gets. A write reported at `.` would land elsewhere.
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_TEMPLATE_DIR',
  'SSH_ASKPASS',
  'SUDO_ASKPASS',
  'LESSOPEN',
  'LESSCLOSE',
  'LESSKEY',
  // bash's own tables: `BASH_CMDS[ls]=/bin/rm` makes `ls` run rm; BASH_ALIASES defines aliases.
  'BASH_CMDS',
  'BASH_ALIASES',
  'BASH_LOADABLES_PATH',
  'BASH_XTRACEFD',
  'EXECIGNORE',
  // glibc loads locales (and so character sets, see LOCALE_VARIABLES) from here.
  'LOCPATH',
  'LOCALE_ARCHIVE',
]);

/**
 * Variables that choose the character set bash reads the line in. Under BIG5, GBK, GB18030 or
 * SJIS the last byte of a two-byte character can be `\`: bash reads `中\;` as one character
 * followed by a `;` separator, where the classifier, reading UTF-8, sees an escaped `;`. Only
 * C, POSIX and UTF-8 locales read the line as the classifier does.
 */
const LOCALE_VARIABLES: ReadonlySet<string> = new Set(['LC_ALL', 'LC_CTYPE', 'LANG']);
/** `C`, `POSIX`, or a UTF-8 locale name (`en_US.UTF-8`, `C.utf8`, `sr_RS.UTF-8@latin`). */
const SAME_READING_LOCALE = /^(?:C|POSIX|[A-Za-z]+(?:_[A-Za-z]+)?\.utf-?8(?:@[A-Za-z0-9]+)?)$/i;

/** Variables by prefix: the dynamic loaders' (`LD_PRELOAD`, `DYLD_INSERT_LIBRARIES`, …), bash's exported functions, git's config injection. */
const UNRESOLVABLE_PREFIXES: readonly string[] = [
  'LD_',
  'DYLD_',
  'BASH_FUNC_',
  'GIT_CONFIG_KEY_',
  'GIT_CONFIG_VALUE_',
];

/** What setting a variable means for classification. */
export type VariableEffect = 'none' | 'command' | 'unknown';

/**
 * How setting the variable `name` to `value` affects what runs. `value` is `undefined` when it
 * is not known (not literal, or read at run time).
 *
 * @example
 * ```ts
 * variableEffect('PAGER', 'less'); // 'command': the value is a command line
 * variableEffect('LC_ALL', 'zh_TW.BIG5'); // 'unknown'
 * variableEffect('LANG', 'en_US.UTF-8'); // 'none'
 * ```
 */
export function variableEffect(name: string, value?: string): VariableEffect {
  if (COMMAND_VARIABLES.has(name)) return 'command';
  if (LOCALE_VARIABLES.has(name)) {
    return value !== undefined && SAME_READING_LOCALE.test(value) ? 'none' : 'unknown';
  }
  if (UNRESOLVABLE_VARIABLES.has(name)) return 'unknown';
  if (UNRESOLVABLE_PREFIXES.some((p) => name.startsWith(p))) return 'unknown';
  // A name that is not a plain identifier (`BASH_FUNC_x%%`, or something built from an
  // expansion) cannot be checked against the lists above.
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? 'none' : 'unknown';
}
