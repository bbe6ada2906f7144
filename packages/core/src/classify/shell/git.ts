// What a git subcommand does beyond its global options: the commands it runs (`submodule foreach`,
// `bisect run`, `rebase -x`, `filter-branch` filters, `difftool -x`, a configuration value that
// names a command), the files it writes (the repository for anything that records, the working
// tree for what checks out, `archive -o`, `bundle create`, `format-patch`, `config --global`),
// and `unknown` for a subcommand git does not have built in (an alias or a `git-NAME` program
// found at run time, either of which may be a shell command).
import type { WrapperEffect } from './effects.js';
import { hasOption, optionValue, parseOptions, type OptionSpec } from './options.js';
import type { ShellWord } from './words.js';

/** git configuration keys whose value is a command git runs. */
export const GIT_COMMAND_KEYS =
  /^(core\.(pager|sshcommand|editor|fsmonitor|askpass)|sequence\.editor|diff\.external|gpg\.(program|\w+\.program)|pager\.[^=]+|credential\.helper|alias\.[^=]+|uploadpack\.packobjectshook)$/i;
/** git configuration keys whose effect cannot be resolved (hooks, includes, transports). */
export const GIT_UNKNOWN_KEYS =
  /^(core\.hookspath|include\.path|includeif\..*|protocol\..*|core\.gitproxy|http\..*proxy.*|filter\..*|diff\..*\.textconv|merge\..*\.driver)$/i;

const UNKNOWN: WrapperEffect = { kind: 'unknown' };

function lit(text: string): ShellWord {
  return { text, literal: true, glob: false };
}

function script(word: ShellWord | undefined): WrapperEffect {
  return word?.literal === true ? { kind: 'script', text: word.text } : UNKNOWN;
}

/**
 * What setting git configuration `key` to `value` runs: the value as a command line for a key
 * that names a command (an alias or credential helper only when it starts with `!`),
 * `unknown` for a key whose effect cannot be resolved, nothing otherwise.
 *
 * @example
 * ```ts
 * gitConfigEffects('core.pager', 'less'); // [{ kind: 'script', text: 'less' }]
 * gitConfigEffects('user.name', 'A'); // []
 * ```
 */
export function gitConfigEffects(key: string, value: string): WrapperEffect[] {
  if (GIT_UNKNOWN_KEYS.test(key)) return [UNKNOWN];
  if (!GIT_COMMAND_KEYS.test(key)) return [];
  if (/^(alias|credential)\./i.test(key) && !value.startsWith('!')) return [];
  return [script(lit(value.replace(/^!/, '')))];
}

/**
 * Subcommands that only read the repository and working tree (their output options are read
 * separately: `--output=FILE`).
 */
const READERS = new Set(
  (
    'log show diff grep ls-files ls-tree ls-remote rev-parse rev-list cat-file blame annotate ' +
    'describe shortlog status show-ref for-each-ref name-rev version help var check-ignore ' +
    'check-attr check-mailmap check-ref-format cherry whatchanged count-objects verify-commit ' +
    'verify-tag verify-pack merge-base diff-tree diff-files diff-index fsck range-diff ' +
    'show-branch get-tar-commit-id column patch-id stripspace request-pull daemon send-email ' +
    'upload-pack upload-archive credential difftool archive bugreport diagnose whatchanged ' +
    'show-index fmt-merge-msg hook merge-tree fast-export'
  ).split(' '),
);

/** Subcommands that change the working tree (and the repository). */
const TREE_WRITERS = new Set(
  (
    'checkout switch restore reset pull merge rebase cherry-pick revert stash apply am clean rm ' +
    'mv worktree submodule sparse-checkout bisect filter-branch read-tree checkout-index ' +
    'merge-file merge-index mergetool subtree merge-one-file'
  ).split(' '),
);

/** Other built-in subcommands: each writes the repository. */
const REPOSITORY_WRITERS = new Set(
  (
    'add commit tag branch fetch push gc repack prune prune-packed config remote notes reflog ' +
    'update-ref update-index update-server-info symbolic-ref hash-object mktag mktree commit-tree ' +
    'write-tree fast-import index-pack pack-objects pack-refs unpack-objects receive-pack ' +
    'replace maintenance multi-pack-index commit-graph bundle format-patch init clone rerere ' +
    'fetch-pack send-pack http-fetch http-push backfill refs replay shell unpack-file ' +
    'interpret-trailers mailinfo mailsplit'
  ).split(' '),
);

/** Where git writes for one request: the repository and the working tree (both a tree). */
export interface GitPlaces {
  /** The repository (`--git-dir`, else the working directory or `-C DIR`). */
  readonly repository: ShellWord;
  /** The working tree (`--work-tree`, else the working directory or `-C DIR`). */
  readonly tree: ShellWord;
  /** A path as git reads it: relative to `-C DIR` (where DIR stands for all of it). */
  readonly under: (path: ShellWord) => ShellWord;
}

/** `-x CMD`, `--exec CMD`, `--exec=CMD` in words. */
function execOptions(words: readonly ShellWord[], short: string, longs: readonly string[]): WrapperEffect[] {
  const out: WrapperEffect[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as ShellWord;
    if (!w.literal) continue;
    if (w.text === `-${short}` || longs.some((l) => w.text === `--${l}`)) out.push(script(words[++i]));
    else if (w.text.startsWith(`-${short}`) && !w.text.startsWith('--') && w.text.length > 2)
      out.push(script(lit(w.text.slice(2))));
    else {
      const long = longs.find((l) => w.text.startsWith(`--${l}=`));
      if (long !== undefined) out.push(script(lit(w.text.slice(long.length + 3))));
    }
  }
  return out;
}

/** `--output=FILE` / `--output FILE` (diff, log, show, format-patch…): FILE is written. */
function outputFile(words: readonly ShellWord[]): ShellWord[] {
  const out: ShellWord[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as ShellWord;
    if (w.literal && w.text === '--output') {
      const value = words[++i];
      if (value !== undefined) out.push(value);
    } else if (w.literal && w.text.startsWith('--output=')) out.push(lit(w.text.slice(9)));
  }
  return out;
}

/** `git config`'s options that take a value. */
const CONFIG_SPEC: OptionSpec = {
  short: 'ft',
  long: ['file', 'blob', 'type', 'default', 'comment', 'value', 'url'],
  longOptional: ['get-color', 'get-colorbool'],
  permute: true,
};

/** The paths `git config` writes when it sets, or none when it only reads. */
function configTarget(rest: readonly ShellWord[], places: GitPlaces): ShellWord[] | undefined {
  const parsed = parseOptions(rest, CONFIG_SPEC);
  if (parsed === undefined) return undefined;
  const reads =
    hasOption(
      parsed,
      'get',
      'get-all',
      'get-regexp',
      'get-urlmatch',
      'list',
      'l',
      'blob',
      'get-color',
      'get-colorbool',
    ) ||
    ['get', 'list'].includes(parsed.operands[0]?.text ?? '') ||
    (parsed.operands.length === 1 &&
      !hasOption(parsed, 'unset', 'unset-all', 'remove-section', 'rename-section', 'edit', 'e'));
  if (reads) return [];
  const file = optionValue(parsed, 'f', 'file');
  if (file !== undefined) return [places.under(file)];
  if (hasOption(parsed, 'global')) return [lit('~/.gitconfig'), lit('~/.config/git/config')];
  if (hasOption(parsed, 'system')) return [lit('/etc/gitconfig')];
  return [places.repository];
}

/** What `git config` sets runs (see gitConfigEffects), for `KEY VALUE` and `set KEY VALUE`. */
function configEffects(rest: readonly ShellWord[]): WrapperEffect[] {
  const parsed = parseOptions(rest, CONFIG_SPEC);
  if (parsed === undefined) return [UNKNOWN];
  const words = parsed.operands;
  const [first, second] = words[0]?.text === 'set' ? words.slice(1) : words;
  if (first === undefined || second === undefined) return [];
  if (!first.literal || !second.literal) return [UNKNOWN];
  return gitConfigEffects(first.text, second.text);
}

/**
 * Whether the subcommand starts the configured editor (`core.editor`, `GIT_EDITOR`, else vi):
 * a command from configuration that, like vi, reads what to do from stdin. A commit or tag
 * without a message, an interactive rebase or add, `config --edit`, …
 */
function startsEditor(sub: string, rest: readonly ShellWord[]): boolean {
  const flags = rest.filter((w) => w.literal && w.text.startsWith('-')).map((w) => w.text);
  const has = (re: RegExp): boolean => flags.some((f) => re.test(f));
  const message = has(/^(-[a-zA-Z]*[mFC]|--message|--file|--reuse-message|--no-edit|--fixup)/);
  const first = rest.find((w) => !(w.literal && w.text.startsWith('-')))?.text;
  switch (sub) {
    case 'commit':
      return !message || has(/^(-[a-zA-Z]*e|--edit)$/);
    case 'tag':
      return has(/^-[a-zA-Z]*[as]|^--(annotate|sign)$/) && !message;
    case 'rebase':
      return has(/^(-[a-zA-Z]*i|--interactive|--edit-todo)$/);
    case 'config':
      return has(/^(-e|--edit)$/) || first === 'edit';
    case 'add':
    case 'stash':
    case 'checkout':
    case 'reset':
    case 'restore':
      return has(/^(-[a-zA-Z]*[pie]|--patch|--interactive|--edit)$/) && first !== 'list';
    case 'merge':
    case 'pull':
    case 'revert':
    case 'cherry-pick':
      return has(/^(-e|--edit)$/);
    case 'notes':
      return ['add', 'append', 'edit'].includes(first ?? '') && !message;
    case 'branch':
      return has(/^--edit-description$/);
    default:
      return false;
  }
}

/**
 * What one subcommand does (see the file comment): the commands it runs, the paths it writes
 * (built with `write`, and `tree` for a directory written into), `unknown` where that cannot be
 * known. Does not throw.
 *
 * @example
 * ```ts
 * // `git -C /srv/app tag v1`
 * gitSubcommand('tag', [v1], places, write, treeWrites); // writes of /srv/app and /srv/app/
 * ```
 */
export function gitSubcommand(
  sub: string,
  rest: readonly ShellWord[],
  places: GitPlaces,
  write: (path: ShellWord) => WrapperEffect,
  tree: (path: ShellWord) => WrapperEffect[],
): WrapperEffect[] {
  const out: WrapperEffect[] = [];
  const first = rest.find((w) => !(w.literal && w.text.startsWith('-')));
  if (startsEditor(sub, rest)) out.push(UNKNOWN);
  out.push(...outputFile(rest).map((f) => write(places.under(f))));
  // fast-export and fast-import keep their marks in a file.
  for (const w of rest) {
    const marks = w.literal ? /^--export-marks=(.+)$/s.exec(w.text) : null;
    if (marks !== null) out.push(write(places.under(lit(marks[1] ?? ''))));
  }
  switch (sub) {
    case 'submodule': {
      const at = rest.findIndex((w) => w.literal && w.text === 'foreach');
      if (at !== -1) {
        // The rest of the words are joined and run by a shell in each submodule.
        const words = rest.slice(at + 1).filter((w) => !(w.literal && w.text === '--recursive'));
        out.push(words.some((w) => !w.literal) ? UNKNOWN : script(lit(words.map((w) => w.text).join(' '))));
      }
      if (['status', 'summary'].includes(first?.text ?? 'status')) return out;
      break;
    }
    case 'bisect':
      if (first?.text === 'run') {
        const at = rest.indexOf(first);
        out.push({ kind: 'argv', words: rest.slice(at + 1) });
      }
      if (['log', 'visualize', 'view', 'terms'].includes(first?.text ?? '')) return out;
      break;
    case 'rebase':
      // (--exec is read with git's other command options, in programs.ts.)
      out.push(...execOptions(rest, 'x', []));
      break;
    case 'difftool':
      out.push(...execOptions(rest, 'x', ['extcmd']));
      return out;
    case 'filter-branch':
      for (let i = 0; i < rest.length; i++) {
        const w = rest[i] as ShellWord;
        if (w.literal && /^--(env|tree|index|parent|msg|commit|tag-name)-filter$/.test(w.text))
          out.push(script(rest[++i]));
        else if (w.literal && /^--(env|tree|index|parent|msg|commit|tag-name)-filter=/.test(w.text))
          out.push(script(lit(w.text.slice(w.text.indexOf('=') + 1))));
      }
      break;
    case 'config': {
      const target = configTarget(rest, places);
      if (target === undefined) return [UNKNOWN];
      if (target.length > 0) out.push(...configEffects(rest), ...target.flatMap(tree));
      return out;
    }
    case 'archive': {
      const parsed = parseOptions(rest, {
        short: 'o',
        long: ['output', 'format', 'prefix', 'remote', 'exec', 'add-file', 'add-virtual-file', 'mtime'],
        permute: true,
      });
      const file = parsed === undefined ? undefined : optionValue(parsed, 'o', 'output');
      if (file !== undefined) out.push(write(places.under(file)));
      return out;
    }
    case 'bundle':
      if (first?.text === 'create') {
        const at = rest.indexOf(first);
        const file = rest.slice(at + 1).find((w) => !(w.literal && w.text.startsWith('-')));
        if (file !== undefined) out.push(write(places.under(file)));
        return out;
      }
      if (first?.text !== 'unbundle') return out;
      break;
    case 'format-patch': {
      const parsed = parseOptions(rest, {
        short: 'ov',
        long: [
          'output-directory',
          'subject-prefix',
          'suffix',
          'start-number',
          'in-reply-to',
          'to',
          'cc',
          'from',
          'signature',
          'signature-file',
          'base',
          'interdiff',
          'range-diff',
          'creation-factor',
          'description-file',
          'cover-from-description',
          'filename-max-length',
          'add-header',
          'reroll-count',
          'rfc',
        ],
        longOptional: ['thread', 'attach', 'inline', 'notes', 'rfc'],
        permute: true,
      });
      if (parsed === undefined) return [UNKNOWN];
      if (hasOption(parsed, 'stdout')) return out;
      const dir = optionValue(parsed, 'o', 'output-directory');
      out.push(...tree(dir === undefined ? places.under(lit('.')) : places.under(dir)));
      return out;
    }
    case 'worktree':
      if (first?.text === 'list') return out;
      if (first?.text === 'add' || first?.text === 'move' || first?.text === 'remove') {
        const at = rest.indexOf(first);
        const parsed = parseOptions(rest.slice(at + 1), {
          short: 'bB',
          long: ['reason', 'orphan'],
          permute: true,
        });
        if (parsed === undefined) return [UNKNOWN];
        const paths = first.text === 'add' ? parsed.operands.slice(0, 1) : parsed.operands;
        for (const p of paths) out.push(...tree(places.under(p)));
      }
      out.push(...tree(places.repository));
      return out;
    case 'branch':
    case 'tag': {
      // `--merged [COMMIT]` and its kin default their value when they come last.
      const last = rest[rest.length - 1];
      const words =
        last?.literal === true && /^--(no-)?(merged|contains)$|^--points-at$/.test(last.text)
          ? rest.slice(0, -1)
          : rest;
      const parsed = parseOptions(words, {
        short: 'mFu',
        long: [
          'contains',
          'no-contains',
          'merged',
          'no-merged',
          'points-at',
          'format',
          'sort',
          'column',
          'message',
          'file',
          'set-upstream-to',
          'color',
          'abbrev',
          'cleanup',
          'local-user',
          'trailer',
        ],
        permute: true,
      });
      if (parsed === undefined) return [UNKNOWN];
      const lists =
        hasOption(parsed, 'l', 'list', 'show-current', 'v', 'verify') &&
        !hasOption(parsed, 'd', 'D', 'delete', 'm', 'M', 'move', 'c', 'C', 'copy');
      const changes =
        parsed.operands.length > 0 ||
        hasOption(
          parsed,
          'd',
          'D',
          'delete',
          'm',
          'M',
          'move',
          'c',
          'C',
          'copy',
          'u',
          'set-upstream-to',
          'unset-upstream',
          'edit-description',
        );
      if (lists || !changes) return out;
      break;
    }
    case 'remote':
      if (first === undefined || ['show', 'get-url'].includes(first.text)) return out;
      break;
    case 'stash':
      if (['list', 'show'].includes(first?.text ?? '')) return out;
      break;
    case 'notes':
      if (['list', 'show'].includes(first?.text ?? 'list')) return out;
      break;
    case 'reflog':
      if (['show', 'exists'].includes(first?.text ?? 'show')) return out;
      break;
    case 'hash-object':
      if (!rest.some((w) => w.literal && w.text === '-w')) return out;
      break;
    default:
      break;
  }
  if (READERS.has(sub)) return out;
  if (TREE_WRITERS.has(sub)) {
    out.push(...tree(places.tree));
    if (places.repository !== places.tree) out.push(...tree(places.repository));
    return out;
  }
  if (REPOSITORY_WRITERS.has(sub)) {
    out.push(...tree(places.repository));
    return out;
  }
  // An alias or a git-NAME program: what runs is decided at run time.
  return [...out, UNKNOWN];
}
