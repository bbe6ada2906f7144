// Shell command lines → actions (docs/classification.md, "Shell command lines"). Parses with the real bash
// grammar (tree-sitter-bash) and walks every place a command can run. Anything the walker does
// not recognise is `unknown`, so a new grammar construct fails closed.
import { posix } from 'node:path';
import type { Node, Tree } from 'web-tree-sitter';
import { cachedActions, LruCache } from './sql/cache.js';
import type { Action } from '../types.js';
import { bashParser, loadBashParser } from './shell/parser.js';
import {
  arrayDeferred,
  commandDeferred,
  deferredUnresolved,
  forDeferred,
  heredocDeferred,
  inArithmetic,
  leafCarriesSubstitution,
  newDeferredState,
  nodeDeferred,
  quotesAreNotQuoting,
  recordAssignment,
  textIsHarmless,
  valueIsHarmless,
  type DeferredState,
} from './shell/deferred.js';
import type { WrapperEffect } from './shell/effects.js';
import { variableEffect } from './shell/env.js';
import { treePaths } from './shell/file-writers.js';
import { heredocDelimiter } from './shell/heredoc.js';
import { continuationsAgree, readingAgrees, removeContinuations, type Joined } from './shell/readings.js';
import {
  displayWord,
  literalValue,
  unescapeHeredoc,
  wordsOf,
  wordsOfParts,
  type ShellWord,
} from './shell/words.js';
import { neverReadsStdin, passesStdinOn, readsStdinAsData } from './shell/programs.js';
import { wrapperEffects } from './shell/wrappers.js';

/** How many command lines deep `sh -c "sh -c …"`, `eval` and wrappers may nest. */
const MAX_NESTING = 16;
/** How deep the syntax tree may be before the rest counts as unresolvable. */
const MAX_TREE_DEPTH = 400;
/** More distinct actions than this and the request counts as unresolvable. */
const MAX_ACTIONS = 1000;
/**
 * Longer command lines are unknown without parsing: classification is synchronous, and a
 * megabyte of `ls;ls;…` would hold the event loop for seconds.
 */
const MAX_COMMAND_LENGTH = 64 * 1024;

const UNKNOWN: Action = { operation: 'unknown' };

/** Redirect targets that are not files: writing to them changes nothing. */
const NOT_FILES: ReadonlySet<string> = new Set(['/dev/null', '/dev/stdout', '/dev/stderr']);

/** Reserved words: as a command name they mean tree-sitter read the line differently from bash. */
const RESERVED: ReadonlySet<string> = new Set([
  '{',
  '}',
  '!',
  '[[',
  ']]',
  '((',
  '))',
  'if',
  'then',
  'elif',
  'else',
  'fi',
  'case',
  'esac',
  'for',
  'select',
  'while',
  'until',
  'do',
  'done',
  'in',
  'function',
]);

/** Nodes that only group other nodes: every named child is visited. */
const CONTAINERS: ReadonlySet<string> = new Set([
  'program',
  'list',
  'pipeline',
  'compound_statement',
  'subshell',
  'do_group',
  'negated_command',
  'if_statement',
  'elif_clause',
  'else_clause',
  'while_statement',
  'for_statement',
  'c_style_for_statement',
  'case_statement',
  'case_item',
  'variable_assignments',
  'command_substitution',
  'process_substitution',
  'heredoc_redirect',
  'herestring_redirect',
  'heredoc_body',
  'string',
  'translated_string',
  'concatenation',
  'expansion',
  'simple_expansion',
  'subscript',
  'arithmetic_expansion',
  'array',
  'brace_expression',
  'binary_expression',
  'unary_expression',
  'postfix_expression',
  'ternary_expression',
  'parenthesized_expression',
  'number',
  'command_name',
]);

/** Nodes with nothing inside that can run. */
const LEAVES: ReadonlySet<string> = new Set([
  'word',
  'raw_string',
  'ansi_c_string',
  'variable_name',
  'special_variable_name',
  'string_content',
  'heredoc_content',
  'heredoc_start',
  'heredoc_end',
  'comment',
  'test_operator',
  'regex',
  'extglob_pattern',
  'file_descriptor',
]);

/**
 * Loads tree-sitter and the bash grammar's WebAssembly. Call once before
 * {@link classifyShellCommand}; later calls return at once.
 *
 * @example
 * ```ts
 * await loadShellClassifier();
 * ```
 * @throws Error when the WebAssembly cannot be loaded (the promise rejects; a later call retries).
 */
export function loadShellClassifier(): Promise<void> {
  return loadBashParser();
}

/**
 * Classifies a shell command line into the actions it would take (docs/ §3): an `exec` for
 * every simple command that would run (argv after quote removal, joined by single spaces),
 * including commands inside substitutions, control structures, function bodies and wrappers
 * (`sudo`, `xargs`, `sh -c`, …); a `write` for every output redirection to a file; `unknown`
 * for anything that cannot be resolved statically. Never throws for any input once loaded.
 *
 * @example
 * ```ts
 * await loadShellClassifier();
 * classifyShellCommand('ls | xargs rm');
 * // → [{ operation: 'exec', resource: 'ls' }, { operation: 'exec', resource: 'xargs rm' },
 * //    { operation: 'exec', resource: 'rm {}' }]
 * ```
 * @throws TypeError when called before {@link loadShellClassifier} has finished.
 */
export function classifyShellCommand(command: string): readonly Action[] {
  if (bashParser() === undefined) {
    throw new TypeError('The shell classifier is not loaded: await loadShellClassifier() first.');
  }
  if (typeof command !== 'string' || command.length > MAX_COMMAND_LENGTH) return [UNKNOWN];
  // The same command line classifies the same way: parse it once (bounded LRU, exact text).
  return cachedActions(shellCache, command, MAX_CACHED_LENGTH, () => classifyUncached(command));
}

const shellCache = new LruCache<string, readonly Action[]>(1000);
const MAX_CACHED_LENGTH = 16_384;

function classifyUncached(command: string): readonly Action[] {
  const out = new Actions();
  // bash never sees past a NUL (exec arguments are C strings): the text classified is not the
  // text that would run.
  if (command.includes('\0')) out.unknown();
  try {
    classifyScript(command, out, 0);
  } catch {
    // A walker bug, a stack overflow on pathological input, a WebAssembly failure: fail closed.
    out.unknown();
  }
  return out.result();
}

/** The most directories a request's relative writes are placed in (see Actions.placeWrites). */
const MAX_PLACES = 16;

/** The distinct actions found so far, in the order found. */
class Actions {
  private readonly list: Action[] = [];
  private readonly seen = new Set<string>();
  private overflowed = false;
  /** What the request evaluates again, and what it sets variables to (see shell/deferred.ts). */
  readonly deferred: DeferredState = newDeferredState();
  // Where relative writes land: the directories the request changes to, whether one of them
  // cannot be known, whether the root changes, and the relative paths written.
  private readonly directories: string[] = [];
  private directoryUnknown = false;
  private rootChanged = false;
  private readonly relativeWrites: string[] = [];
  private placed = false;
  /** The text mentions $CDPATH: `cd NAME` may go anywhere. */
  cdPathMentioned = false;

  add(action: Action): void {
    const key = `${action.operation}\u0000${action.resource ?? ''}`;
    if (this.seen.has(key)) return;
    if (this.list.length >= MAX_ACTIONS) {
      this.overflowed = true;
      return;
    }
    this.seen.add(key);
    this.list.push(action);
    if (action.operation === 'write' && action.resource?.startsWith('/') === false) {
      this.relativeWrites.push(action.resource);
    }
  }

  unknown(): void {
    this.add(UNKNOWN);
  }

  /** The working directory changes to `dir` (`undefined`: to a directory that is not known). */
  chdir(dir: ShellWord | undefined): void {
    if (dir === undefined || !dir.literal || dir.glob) this.directoryUnknown = true;
    else if (!this.directories.includes(dir.text)) this.directories.push(dir.text);
  }

  /** A command runs under another root: every path it writes is somewhere else. */
  chroot(): void {
    this.rootChanged = true;
  }

  /**
   * Each relative path written, placed in each directory the request may be in when it is
   * written: the login directory (the path as written) and every directory reachable by the
   * request's directory changes, in any order and any number (control flow is not followed:
   * `cd /etc; rm passwd` may run `rm` in either). `unknown` where a place cannot be known.
   */
  private placeWrites(): void {
    if (this.placed) return;
    this.placed = true;
    if (this.rootChanged && this.list.some((a) => a.operation === 'write')) this.unknown();
    if (this.relativeWrites.length === 0 || (this.directories.length === 0 && !this.directoryUnknown)) return;
    // A bare name goes through $CDPATH when it is set; a path shown in its $'…' form (control
    // characters) cannot be joined to a directory.
    const bare = (d: string): boolean => !/^(?:\/|\.\.?(?:\/|$))/.test(d);
    if (
      this.directoryUnknown ||
      (this.cdPathMentioned && this.directories.some(bare)) ||
      this.relativeWrites.some((w) => w.startsWith("$'"))
    ) {
      this.unknown();
      return;
    }
    const places = new Set<string>(['.']);
    for (let round = 0; round < this.directories.length; round++) {
      for (const place of [...places]) {
        for (const dir of this.directories) {
          places.add(posix.normalize(dir.startsWith('/') ? dir : `${place}/${dir}`));
          if (places.size > MAX_PLACES) {
            this.unknown();
            return;
          }
        }
      }
    }
    places.delete('.');
    const written = [...this.relativeWrites];
    for (const place of places) {
      for (const path of written)
        this.add({ operation: 'write', resource: posix.normalize(`${place}/${path}`) });
    }
  }

  result(): readonly Action[] {
    this.placeWrites();
    // A line that runs nothing (empty, a comment, a bare assignment, `[[ … ]]`) is not something
    // a policy can allow by name; fail closed rather than hand the engine an empty list.
    if (this.list.length === 0) return [UNKNOWN];
    // Something evaluates text again that the request does not prove harmless: what runs depends
    // on run-time text (`read x; echo $((x))` runs whatever `a[$(…)]` it reads).
    if (deferredUnresolved(this.deferred)) this.unknown();
    if (this.overflowed && !this.seen.has(`unknown\u0000`)) return [...this.list, UNKNOWN];
    return this.list;
  }
}

/** What a shell started by a command would read as its script on standard input. */
type Stdin = { readonly script: string } | undefined;

/**
 * Where a command's standard input comes from: the exec's own (`own`; a request that gives
 * stdin is checked by the dispatcher, classify.ts), text from inside the line (`data`: a pipe,
 * `<`, a here-document or here-string, `>(…)`), or the rest of the script a shell is reading
 * from stdin (`script`).
 */
type StdinSource = 'own' | 'data' | 'script';

interface Walk {
  readonly out: Actions;
  /** The command line being walked (node offsets index into it). */
  readonly source: string;
  /** How many command lines deep this walk is (`sh -c`, `eval`, wrappers). */
  readonly nesting: number;
  /** The text can hold a node that evaluates values again (`[`, `((`, `${`): checking is needed. */
  readonly mayHaveSink: boolean;
  /** The text can hold quoted `$(…)` or a backquote: leaves need a look. */
  readonly mayCarry: boolean;
  /** Where the standard input of the commands walked comes from. */
  readonly stdin: StdinSource;
}

/** A walk over `text`, with the cheap text checks that let most nodes skip the deferred checks. */
function newWalk(out: Actions, text: string, nesting: number, stdin: StdinSource): Walk {
  return {
    out,
    source: text,
    nesting,
    stdin,
    mayHaveSink: /\[|\(\(|\$\{/.test(text),
    mayCarry: text.includes('$') || text.includes('`'),
  };
}

function classifyScript(text: string, out: Actions, nesting: number, stdin: StdinSource = 'own'): void {
  if (nesting > MAX_NESTING) {
    out.unknown();
    return;
  }
  const parsed = parseAsBashReads(text);
  if (parsed === undefined) {
    out.unknown();
    return;
  }
  const { tree, source, agrees } = parsed;
  // $CDPATH sends `cd NAME` anywhere; with autocd any word may be a directory to change to.
  if (source.includes('CDPATH')) out.cdPathMentioned = true;
  if (source.includes('autocd')) out.chdir(undefined);
  try {
    // Which continuations bash removes was judged on a parse that still had them (a comment or
    // quote the grammar only sees once they are gone): if the new parse disagrees, unknown.
    if (!agrees) out.unknown();
    // Error recovery may have dropped or misread part of the line, or bash reads a character
    // differently from the grammar: whatever the walk still finds is reported too (it can only
    // make the decision stricter), plus `unknown`.
    if (!readingAgrees(source, tree)) out.unknown();
    visit(tree.rootNode, newWalk(out, source, nesting, stdin), 0);
  } finally {
    tree.delete();
  }
}

/**
 * Parses `text` as bash reads it: bash removes line continuations before it reads anything
 * else, so a text with continuations is parsed again without them (`agrees` says whether that
 * parse confirms which were removed). The caller deletes the tree.
 */
function parseAsBashReads(text: string): { tree: Tree; source: string; agrees: boolean } | undefined {
  const parser = bashParser();
  const tree = parser?.parse(text) ?? null;
  if (parser === undefined || tree === null) return undefined;
  if (!text.includes('\\\n')) return { tree, source: text, agrees: true };
  let joined: Joined;
  try {
    joined = removeContinuations(text, tree);
  } catch (err) {
    tree.delete();
    throw err;
  }
  if (joined.text === text) return { tree, source: text, agrees: true };
  tree.delete();
  const again = parser.parse(joined.text);
  if (again === null) return undefined;
  return { tree: again, source: joined.text, agrees: continuationsAgree(joined, again) };
}

function visit(node: Node, walk: Walk, depth: number): void {
  if (depth > MAX_TREE_DEPTH || node.isError || node.isMissing) {
    walk.out.unknown();
    return;
  }
  const type = node.type;
  const deferred = walk.out.deferred;
  if (walk.mayHaveSink) nodeDeferred(node, type, walk.source, deferred);
  // Not behind `mayHaveSink`: a sink in a nested script (`sh -c …`) may read this variable.
  if (type === 'for_statement') forDeferred(node, deferred);
  if (LEAVES.has(type)) {
    if (walk.mayCarry) visitLeaf(node, walk);
    return;
  }
  if (type === 'command_substitution') {
    if (node.text.startsWith('`') && node.text.includes('\\')) {
      visitBackquoted(node, walk);
      return;
    }
  }
  switch (type) {
    case 'command':
      visitCommand(node, walk, depth, []);
      return;
    case 'pipeline': {
      // Every element after the first reads the pipe: text from inside the line.
      const fed: Walk = { ...walk, stdin: 'data' };
      for (const [i, child] of node.namedChildren.entries()) visit(child, i === 0 ? walk : fed, depth + 1);
      return;
    }
    case 'process_substitution': {
      // `>(…)` reads what the command writes into it; `<(…)` shares the command's stdin.
      const inner: Walk = node.text.startsWith('>') ? { ...walk, stdin: 'data' } : walk;
      for (const child of node.namedChildren) visit(child, inner, depth + 1);
      return;
    }
    case 'redirected_statement':
      visitRedirected(node, walk, depth);
      return;
    case 'file_redirect':
      if (fileRedirect(node, walk, depth).length > 0) walk.out.unknown();
      return;
    case 'variable_assignment':
      visitAssignment(node, walk, depth);
      return;
    case 'heredoc_redirect':
      visitHeredoc(node, walk, depth);
      return;
    case 'declaration_command':
    case 'unset_command':
      visitDeclaration(node, walk, depth);
      return;
    case 'test_command':
      visitTest(node, walk, depth);
      return;
    case 'function_definition':
      // The body runs whenever the function is called, possibly later on the same line.
      for (const [i, child] of node.namedChildren.entries()) {
        if (node.fieldNameForNamedChild(i) !== 'name') visit(child, walk, depth + 1);
      }
      return;
    default:
      if (!CONTAINERS.has(type)) {
        walk.out.unknown();
        return;
      }
      for (const child of node.namedChildren) visit(child, walk, depth + 1);
  }
}

/**
 * A here-document. In an unquoted body bash runs every `$(…)` and backquote, but
 * tree-sitter-bash does not parse backquotes there and loses `$(…)` after one or after a tab in
 * a `<<-` body. So the body is scanned here as bash expands it, and each substitution found is
 * classified (what the grammar did find is visited too).
 */
function visitHeredoc(node: Node, walk: Walk, depth: number): void {
  for (const child of node.namedChildren) visit(child, walk, depth + 1);
  const start = node.namedChildren.find((c) => c.type === 'heredoc_start');
  const body = node.namedChildren.find((c) => c.type === 'heredoc_body');
  if (start === undefined || body === undefined) return;
  if (heredocDelimiter(start.text)?.quoted !== false) return;
  const text = body.text;
  heredocDeferred(text, walk.out.deferred);
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '\\') {
      i++;
    } else if (c === '`') {
      let close = i + 1;
      while (close < text.length && text.charAt(close) !== '`') close += text.charAt(close) === '\\' ? 2 : 1;
      if (close >= text.length) {
        walk.out.unknown();
        return;
      }
      classifyScript(
        text.slice(i + 1, close).replace(/\\([`$\\])/g, '$1'),
        walk.out,
        walk.nesting + 1,
        walk.stdin,
      );
      i = close;
    } else if (c === '$' && text.charAt(i + 1) === '(' && text.charAt(i + 2) !== '(') {
      const inner = substitutionAt(text, i);
      if (inner === undefined) {
        walk.out.unknown();
        return;
      }
      classifyScript(inner, walk.out, walk.nesting + 1, walk.stdin);
    }
  }
}

/** The command line of the `$(…)` that starts at `at` in `text`, as the grammar matches it. */
function substitutionAt(text: string, at: number): string | undefined {
  const tree = bashParser()?.parse(`: ${text.slice(at)}`) ?? null;
  if (tree === null) return undefined;
  try {
    let node: Node | null = tree.rootNode.descendantForIndex(2, 4);
    while (node !== null && !(node.type === 'command_substitution' && node.startIndex === 2))
      node = node.parent;
    if (node === null || node.hasError || !node.text.endsWith(')')) return undefined;
    return node.text.slice(2, -1);
  } finally {
    tree.delete();
  }
}

/**
 * Inside backquotes bash removes the backslash before `\``, `$` and `\` (and `"` within double
 * quotes) and parses the result again, so `` `echo \`id\`` `` runs id. The grammar keeps the
 * escapes; classify the text bash would parse instead.
 */
function visitBackquoted(node: Node, walk: Walk): void {
  let inString = false;
  for (let p = node.parent; p !== null && !inString; p = p.parent) {
    if (p.type === 'string') inString = true;
    else if (p.type === 'command_substitution' || p.type === 'program') break;
  }
  const escaped = inString ? /\\([`$\\"])/g : /\\([`$\\])/g;
  classifyScript(node.text.slice(1, -1).replace(escaped, '$1'), walk.out, walk.nesting + 1, walk.stdin);
}

/**
 * Leaves run nothing themselves, but quoted `$(…)` text is a payload for later evaluation, and
 * in a few places bash expands through the quotes tree-sitter sees (`"${x:-'$(id)'}"`,
 * `${a['$(id)']}`), or the grammar left a substitution inside a plain word.
 */
function visitLeaf(node: Node, walk: Walk): void {
  if (!leafCarriesSubstitution(node)) return;
  const type = node.type;
  if ((type === 'raw_string' || type === 'ansi_c_string') && quotesAreNotQuoting(node)) walk.out.unknown();
  else if ((type === 'word' || type === 'string_content') && hasBareSubstitution(node.text))
    walk.out.unknown();
}

/** An unescaped `$(` or backquote in text the grammar kept as plain text. */
function hasBareSubstitution(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '\\') i++;
    else if (c === '`' || (c === '$' && text.charAt(i + 1) === '(')) return true;
  }
  return false;
}

function visitRedirected(node: Node, walk: Walk, depth: number): void {
  const body = node.childForFieldName('body');
  const redirects = node.namedChildren.filter((_, i) => node.fieldNameForNamedChild(i) !== 'body');
  if (body?.type === 'command') {
    visitCommand(body, walk, depth + 1, redirects);
    return;
  }
  // `{ …; } < f`, `while …; done <<EOF`: every command inside reads the redirected stdin.
  const inner: Walk = { ...walk, stdin: stdinSource(redirects) ?? walk.stdin };
  for (const [i, child] of node.namedChildren.entries()) {
    visit(child, node.fieldNameForNamedChild(i) === 'body' ? inner : walk, depth + 1);
  }
}

/**
 * Where the redirections make stdin come from: `data` for `<`, `<&N`, a here-document or a
 * here-string; `own` for `< /dev/null` and `<&-` (nothing to read); `undefined` when they leave
 * stdin alone.
 */
function stdinSource(redirects: readonly Node[]): StdinSource | undefined {
  let source: StdinSource | undefined;
  for (const r of redirects) {
    const descriptor = r.childForFieldName('descriptor')?.text;
    if (descriptor !== undefined && descriptor !== '0') continue;
    if (r.type === 'heredoc_redirect' || r.type === 'herestring_redirect') source = 'data';
    else if (r.type === 'file_redirect') {
      const op = operatorOf(r);
      if (op === '<&-') source = 'own';
      else if (op.startsWith('<')) {
        const target = r.childrenForFieldName('destination');
        source = target.length === 1 && target[0]?.text === '/dev/null' && op === '<' ? 'own' : 'data';
      }
    }
  }
  return source;
}

/** What may separate the words of one simple command: blanks and line continuations. */
const BLANK = /^(?:[ \t]|\\\r?\n)*$/;
/** Line continuations alone: bash removes them before splitting words, so `r\⏎m` is `rm`. */
const CONTINUATIONS = /^(?:\\\n)+$/;
const REDIRECT_TYPES: ReadonlySet<string> = new Set([
  'file_redirect',
  'heredoc_redirect',
  'herestring_redirect',
]);

/**
 * Groups word nodes into shell words: nodes that touch in the source are one word. Anything
 * but blanks between them means the grammar skipped text it did not understand (`'a'\ b`
 * loses its escaped space): that is unknown.
 */
function groupWords(nodes: readonly Node[], walk: Walk): Node[][] {
  const groups: Node[][] = [];
  let prev: Node | undefined;
  for (const node of nodes) {
    const gap = prev === undefined ? ' ' : walk.source.slice(prev.endIndex, node.startIndex);
    if (!blankGap(gap)) walk.out.unknown();
    const last = groups.at(-1);
    if ((gap === '' || CONTINUATIONS.test(gap)) && last !== undefined) last.push(node);
    else groups.push([node]);
    prev = node;
  }
  return groups;
}

/** Whether `gap` between two nodes of one command is only what bash also skips. */
function blankGap(gap: string): boolean {
  // `\` before CR-LF escapes the CR for bash, while the grammar reads a line continuation.
  return BLANK.test(gap) && !gap.includes('\r');
}

/**
 * One simple command. `outer` are the redirects tree-sitter attached to the enclosing
 * redirected_statement: they belong to this command (their stray words are its arguments).
 */
function visitCommand(node: Node, walk: Walk, depth: number, outer: readonly Node[]): void {
  const groups: Node[][] = [];
  const redirects: Node[] = [];
  // Whether the next word node continues the current word (they touch, and nothing that ends
  // a word, such as a redirection, came between).
  let current: Node[] | undefined;
  let prev: Node | undefined;
  for (const child of node.children) {
    if (child.type === 'comment') continue;
    const gap = prev === undefined ? ' ' : walk.source.slice(prev.endIndex, child.startIndex);
    if (!blankGap(gap)) walk.out.unknown();
    prev = child;
    if (child.type === 'variable_assignment') {
      visitAssignment(child, walk, depth + 1);
      current = undefined;
    } else if (REDIRECT_TYPES.has(child.type)) {
      redirects.push(child);
      current = undefined;
    } else {
      if (child.isNamed) visit(child, walk, depth + 1);
      const word = child.type === 'command_name' ? (child.namedChildren[0] ?? child) : child;
      if (current !== undefined && (gap === '' || CONTINUATIONS.test(gap))) {
        current.push(word);
      } else {
        current = [word];
        groups.push(current);
      }
    }
  }
  const hasName = node.namedChildren.some((c) => c.type === 'command_name');
  const argv = groups.map((group) => wordsOfParts(group));
  const extra: ShellWord[] = [];
  for (const redirect of [...redirects, ...outer]) {
    if (redirect.type === 'file_redirect') extra.push(...fileRedirect(redirect, walk, depth + 1));
    else visit(redirect, walk, depth + 1);
  }
  const [name, ...args] = argv;
  const all = [...redirects, ...outer];
  const source = stdinSource(all);
  // `exec < FILE` gives every later command of the line that stdin.
  if (source === 'data' && argv.length === 1 && name?.length === 1 && name[0]?.text === 'exec') {
    walk.out.unknown();
  }
  if (!hasName || name === undefined) {
    // Only assignments and redirections: nothing runs, unless a stray word is a command name.
    if (extra.length > 0 || argv.length > 0) walk.out.unknown();
    return;
  }
  if (name.length !== 1) {
    // `{rm,-rf,/}` as a command name: brace expansion decides what runs.
    walk.out.unknown();
    return;
  }
  runArgv([...name, ...args.flat(), ...extra], { ...walk, stdin: source ?? walk.stdin }, stdinOf(all));
}

/** An argv that would be executed: the exec action, then whatever the program runs itself. */
function runArgv(words: readonly ShellWord[], walk: Walk, stdin: Stdin): void {
  const name = words[0];
  if (name === undefined) return;
  if (!name.literal || name.glob || name.text === '' || RESERVED.has(name.text)) {
    walk.out.unknown();
    return;
  }
  // A word whose brace expansion is past the bound: what runs is not known.
  if (words.some((w) => w.overflow === true)) walk.out.unknown();
  const args = words.slice(1).map((w) => displayWord(w.text));
  const resource = [displayWord(name.text), ...args].join(' ');
  walk.out.add({ operation: 'exec', resource });
  let inner: Walk = { ...walk, nesting: walk.nesting + 1 };
  const base = name.text.slice(name.text.lastIndexOf('/') + 1);
  // `/bin/rm -rf /` is rm: report it by name too, so a rule on `rm -rf *` sees it.
  if (base !== name.text && base !== '')
    walk.out.add({ operation: 'exec', resource: [displayWord(base), ...args].join(' ') });
  commandDeferred(base, words.slice(1), walk.out.deferred);
  const effects = wrapperEffects(base, words.slice(1));
  if (effects.length > 0 && inner.nesting > MAX_NESTING) {
    walk.out.unknown();
    return;
  }
  if (walk.stdin !== 'own') {
    if (!stdinIsHandled(base, resource, effects, walk.stdin)) walk.out.unknown();
    // xargs gives the commands it runs /dev/null as stdin, unless it reads its arguments from a
    // file (`-a`), when they inherit its own.
    if (base === 'xargs' && !words.some((w) => /^-[a-zA-Z0-9]*a|^--arg/.test(w.text))) {
      inner = { ...inner, stdin: 'own' };
    }
  }
  for (const effect of effects) {
    switch (effect.kind) {
      case 'argv':
        runArgv(effect.words, inner, stdin);
        break;
      case 'script':
        classifyScript(effect.text, walk.out, inner.nesting, inner.stdin);
        break;
      case 'stdin':
        // The script's own commands read the rest of it (`bash <<EOF` then `psql` reads the
        // lines after it as SQL): they must be ones that never read stdin.
        if (stdin === undefined) walk.out.unknown();
        else classifyScript(stdin.script, walk.out, inner.nesting, 'script');
        break;
      case 'write':
        write(effect.path, walk);
        break;
      case 'assign': {
        // A non-literal word names the variable but its value is unknown (`printf -v NAME`).
        const eq = effect.word.text.indexOf('=');
        const value = effect.word.literal ? effect.word.text.slice(eq + 1) : undefined;
        const name = effect.word.text.slice(0, eq);
        const harmless = value !== undefined && textIsHarmless(value);
        recordAssignment(walk.out.deferred, name.replace(/\[.*/s, ''), harmless);
        assignment(name, value, inner);
        break;
      }
      case 'chdir':
        walk.out.chdir(effect.dir);
        break;
      case 'chroot':
        walk.out.chroot();
        break;
      case 'unknown':
        walk.out.unknown();
        break;
    }
  }
}

/**
 * Whether a command whose stdin is not the exec's own may read it: a shell that reads its
 * script from it (the `stdin` effect classifies that script), a wrapper that only passes it on
 * to the command it runs (checked in turn), or a program known to read it as data only (the
 * allowlist an exec's given stdin meets too, shell/programs.ts). Anything else may run what it
 * reads (`psql`'s `\!`, ftp's `!`, crontab, ssh, any REPL): an allowlist, as new ones keep
 * turning up.
 */
function stdinIsHandled(
  base: string,
  resource: string,
  effects: readonly WrapperEffect[],
  source: StdinSource,
): boolean {
  if (effects.some((e) => e.kind === 'stdin')) return true;
  const runs = effects.some((e) => e.kind === 'argv' || e.kind === 'script');
  if (runs && passesStdinOn(base) && effects.every((e) => e.kind !== 'unknown' && e.kind !== 'write')) {
    return true;
  }
  return source === 'script' ? neverReadsStdin(resource) : readsStdinAsData(resource);
}

/**
 * The script a shell started by this command would read on stdin: a literal heredoc or
 * here-string. Anything else (the SSH channel, a pipe, a file) is unknown.
 */
function stdinOf(redirects: readonly Node[]): Stdin {
  let stdin: Stdin;
  for (const r of redirects) {
    const descriptor = r.childForFieldName('descriptor')?.text;
    if (descriptor !== undefined && descriptor !== '0') continue;
    if (r.type === 'heredoc_redirect') {
      const start = r.namedChildren.find((c) => c.type === 'heredoc_start')?.text ?? '';
      const body = r.namedChildren.find((c) => c.type === 'heredoc_body');
      const quotedDelimiter = /['"\\]/.test(start);
      const text = body?.text ?? '';
      // Any unescaped `$` or backquote: the script is partly run-time text.
      const expands = /(?:^|[^\\])(?:\\\\)*[$`]/.test(text);
      stdin = quotedDelimiter ? { script: text } : expands ? undefined : { script: unescapeHeredoc(text) };
    } else if (r.type === 'herestring_redirect') {
      const word = r.namedChildren.find((c) => c.type !== 'file_descriptor');
      const value = word === undefined ? undefined : literalValue(word);
      stdin = value === undefined ? undefined : { script: value };
    } else if (r.type === 'file_redirect') {
      const op = operatorOf(r);
      if (op === '<' || op === '<&') stdin = undefined;
    }
  }
  return stdin;
}

function operatorOf(node: Node): string {
  return node.children.find((c) => !c.isNamed)?.type ?? '';
}

/**
 * A `file_redirect`: adds its write (or unknown) and returns the words after its target, which
 * bash passes to the command as arguments (`echo > f rm -rf /` runs `echo rm -rf /`).
 */
function fileRedirect(node: Node, walk: Walk, depth: number): ShellWord[] {
  const destinations = node.childrenForFieldName('destination');
  for (const d of destinations) visit(d, walk, depth + 1);
  const op = operatorOf(node);
  const [targetGroup, ...rest] = groupWords(destinations, walk);
  const extra = rest.flatMap((group) => wordsOfParts(group));
  const targets = targetGroup === undefined ? [] : wordsOfParts(targetGroup);
  // Brace expansion in a target is an "ambiguous redirect" error; treat like no target.
  const target = targets.length === 1 ? targets[0] : undefined;
  switch (op) {
    case '>':
    case '>>':
    case '>|':
    case '&>':
    case '&>>':
      if (target === undefined) walk.out.unknown();
      else write(target, walk);
      return extra;
    case '>&':
    case '<&':
      // `>&2` and `2>&1` duplicate descriptors; `>& file` writes the file (bash).
      if (target === undefined || !target.literal) walk.out.unknown();
      else if (!/^(\d+|-|\d+-)$/.test(target.text) && op === '>&') write(target, walk);
      return extra;
    case '<':
      // Reading a file is no action, but bash turns /dev/tcp/HOST/PORT into a connection.
      if (target === undefined || !target.literal || /^\/dev\/(tcp|udp)\//.test(target.text)) {
        walk.out.unknown();
      }
      return extra;
    case '<&-':
    case '>&-':
      return extra;
    default:
      walk.out.unknown();
      return extra;
  }
}

function write(path: ShellWord, walk: Walk): void {
  if (!path.literal && path.within !== undefined) {
    // A path known to lie under these directories (find's `{}`): a write inside each.
    for (const dir of path.within) writeTree(dir, walk);
    return;
  }
  if (path.literal && path.glob) {
    // A glob only in its last component names entries of one directory: a write inside it.
    const dir = globDirectory(path.text);
    if (dir === undefined) walk.out.unknown();
    else writeTree(dir, walk);
    return;
  }
  // An expansion could name any file.
  if (!path.literal || path.text === '') {
    walk.out.unknown();
    return;
  }
  const file = path.text.startsWith('~') ? homePath(path.text) : onePath(path.text);
  if (file === undefined) {
    walk.out.unknown();
    return;
  }
  // bash opens a network connection for /dev/tcp/HOST/PORT and /dev/udp/…: not a file.
  if (/^\/dev\/(tcp|udp)\//.test(path.text) || /^\/dev\/(tcp|udp)\//.test(file)) walk.out.unknown();
  else if (!NOT_FILES.has(file)) walk.out.add({ operation: 'write', resource: displayWord(file) });
}

/**
 * A written path in one spelling, so a rule on `/etc/passwd` meets `/etc//passwd`,
 * `/etc/./passwd` and `/srv/../etc/passwd`: repeated slashes collapsed, `.` and `..` segments
 * resolved as text (a symlink is not followed: the path is what was written). A relative path
 * stays relative and keeps the `..` it climbs above its start with; a trailing `/` (a directory
 * written into) is kept.
 */
function onePath(text: string): string {
  return posix.normalize(text);
}

/**
 * A written path under the home directory (`~`, `~/…`) in one spelling, or `undefined` where
 * the directory is not known: another user's home (`~root/…`), the working directory (`~+`),
 * the last one (`~-`), the directory stack (`~2`), or a path that climbs out of the home
 * (`~/../x`). (Quoted, `'~/x'` is a name in the working directory: as a relative path it is
 * placed there too, see Actions.placeWrites.)
 */
function homePath(text: string): string | undefined {
  if (text === '~') return text;
  if (!text.startsWith('~/')) return undefined;
  if (text === '~/') return text;
  const rest = posix.normalize(text.slice(2).replace(/^\/+/, ''));
  if (rest === '..' || rest.startsWith('../')) return undefined;
  return rest === '.' ? '~' : rest === './' ? '~/' : `~/${rest}`;
}

/** Writes inside directory `dir`: `dir` and `dir/` (see `treePaths`). */
function writeTree(dir: string, walk: Walk): void {
  for (const path of treePaths({ text: dir, literal: true, glob: false })) write(path, walk);
}

/**
 * The directory whose entries a glob names, when its pattern characters are all in its last
 * component (`/var/lib/apt/lists/*`, `logs/*.gz`, `*.o` → `.`): what it expands to lies inside
 * that directory. `undefined` when a pattern character is in a directory part, the directory
 * climbs (`..`), or the last component starts with `.` (`.*` matches `..` in older bash).
 */
function globDirectory(text: string): string | undefined {
  const slash = text.lastIndexOf('/');
  const dir = slash === -1 ? '.' : text.slice(0, slash) || '/';
  const last = text.slice(slash + 1);
  if (/[*?[\]{}]/.test(dir) || last === '' || last.startsWith('.')) return undefined;
  if (dir.split('/').includes('..')) return undefined;
  return dir;
}

function visitAssignment(node: Node, walk: Walk, depth: number): void {
  for (const child of node.namedChildren) visit(child, walk, depth + 1);
  let nameNode = node.childForFieldName('name');
  if (nameNode?.type === 'subscript') nameNode = nameNode.childForFieldName('name');
  const value = node.childForFieldName('value');
  const literal = value === null ? '' : literalValue(value);
  // Arithmetic stores the number an expression yields (`for ((i=0;…))`), never text.
  const deferred = walk.out.deferred;
  recordAssignment(deferred, nameNode?.text ?? '', inArithmetic(node) || valueIsHarmless(value));
  if (value?.type === 'array') arrayDeferred(value, walk.source, deferred);
  assignment(nameNode?.text ?? '', literal, walk);
}

/** Setting variable `name` to `value` (`undefined`: not literal). */
function assignment(name: string, value: string | undefined, walk: Walk): void {
  switch (variableEffect(name, value)) {
    case 'none':
      return;
    case 'unknown':
      walk.out.unknown();
      return;
    case 'command':
      if (value === undefined) walk.out.unknown();
      else if (value.trim() !== '') classifyScript(value, walk.out, walk.nesting + 1);
  }
}

/** `export`, `declare`, `local`, `readonly`, `typeset`, `unset`: builtins that run as commands. */
function visitDeclaration(node: Node, walk: Walk, depth: number): void {
  const words: ShellWord[] = [];
  for (const child of node.children) {
    if (!child.isNamed) {
      if (words.length === 0) words.push({ text: child.type, literal: true, glob: false });
      continue;
    }
    visit(child, walk, depth + 1);
    if (child.type === 'variable_assignment') {
      const value = child.childForFieldName('value');
      const literal = value === null ? '' : literalValue(value);
      const name = child.childForFieldName('name')?.text ?? '';
      const op = child.text.slice(name.length).startsWith('+=') ? '+=' : '=';
      words.push(
        literal === undefined
          ? { text: child.text, literal: false, glob: false }
          : { text: `${name}${op}${literal}`, literal: true, glob: false },
      );
    } else if (child.type !== 'comment') {
      words.push(...wordsOf(child));
    }
  }
  runArgv(words, walk, undefined);
}

/**
 * `[ … ]` is the `[` builtin: an exec of its words. `[[ … ]]` is syntax and runs nothing of
 * its own. Commands substituted inside either are classified.
 */
function visitTest(node: Node, walk: Walk, depth: number): void {
  for (const child of node.namedChildren) visit(child, walk, depth + 1);
  // `[` and `[[` are the test builtin and keyword only as words of their own: `[!a-z]` is a
  // glob naming a program, which the grammar reads as a test.
  const open = node.children[0];
  if (open !== undefined && !' \t\n'.includes(walk.source.charAt(open.endIndex) || 'x')) {
    walk.out.unknown();
    return;
  }
  if (node.children[0]?.type !== '[') return;
  const words: string[] = [];
  const flatten = (n: Node): void => {
    if (!n.isNamed) {
      words.push(n.text);
      return;
    }
    if (
      ['unary_expression', 'binary_expression', 'parenthesized_expression', 'test_command'].includes(n.type)
    ) {
      for (const c of n.children) flatten(c);
      return;
    }
    words.push(...wordsOf(n).map((w) => w.text));
  };
  flatten(node);
  walk.out.add({ operation: 'exec', resource: words.map(displayWord).join(' ') });
}
