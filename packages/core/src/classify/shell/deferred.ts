// Text that bash evaluates a second time. Arithmetic evaluation expands `$(…)` inside an array
// subscript it meets in a value (`x='a[$(rm -rf /)]'; echo $((x))` runs rm), and so do prompt
// expansion (`${x@P}`), indirection (`${!x}`), `test -v`, `let`, `declare -i` and names given
// to `declare`/`read`/`printf -v`. None of that is visible in the syntax tree, so the walker
// records two facts per request: whether a value that could carry such a payload enters the
// shell (a quoted `$(…)`, a command substitution, `read`, …) and whether anything evaluates
// values a second time. A request with both is unknown.
import type { Node } from 'web-tree-sitter';
import { decodeAnsiC } from './words.js';
import type { ShellWord } from './words.js';

/** What a request does with deferred text, collected over the whole request (all nesting levels). */
export interface DeferredState {
  /** A value that may hold `$(…)` or a backquote reaches a variable, an argument or a stream. */
  source: boolean;
  /** Something evaluates values again: arithmetic, subscripts, `${!x}`, `${x@P}`, `let`, … */
  sink: boolean;
}

/** `$(` (not `$((`) or a backquote: a command substitution once the text is evaluated again. */
const SUBSTITUTION = /\$\((?!\()|`/;

/** Test operators whose operands are arithmetic expressions (`[[ a -eq b ]]`). */
const ARITHMETIC_TESTS: ReadonlySet<string> = new Set(['-eq', '-ne', '-lt', '-le', '-gt', '-ge']);
/** Test operators that take a variable name, subscript included (`[[ -v 'a[$(id)]' ]]`). */
const NAME_TESTS: ReadonlySet<string> = new Set(['-v', '-R']);

/**
 * Whether a leaf's text would still spell a command substitution after quote removal: quoted
 * (`'$(rm x)'`, `"\$(rm x)"`, `$'\x24(rm x)'`) or escaped, so it does not run where it is
 * written but may run where the value is evaluated again.
 */
export function leafCarriesSubstitution(node: Node): boolean {
  const text = node.text;
  switch (node.type) {
    case 'ansi_c_string':
      return SUBSTITUTION.test(decodeAnsiC(text.slice(2, -1)));
    case 'raw_string':
    case 'string_content':
    case 'word':
    case 'heredoc_content':
      return (text.includes('$') || text.includes('`')) && SUBSTITUTION.test(text.replaceAll('\\', ''));
    default:
      return false;
  }
}

/**
 * Whether a syntax node evaluates values a second time: arithmetic (`$((…))`, `$[…]`, `((…))`,
 * C-style `for`), an array subscript other than `[@]`/`[*]`, a substring offset `${x:n}`,
 * indirection `${!x}`, prompt expansion `${x@P}`, or an arithmetic or name test in `[[ … ]]`.
 * `type` is the node's type and `source` the text its offsets index (cheaper than asking the
 * node for its children or text).
 */
export function nodeIsSink(node: Node, type: string, source: string): boolean {
  switch (type) {
    case 'arithmetic_expansion':
    case 'c_style_for_statement':
      return true;
    case 'compound_statement':
      return source.startsWith('((', node.startIndex);
    case 'subscript': {
      const text = source.slice(node.startIndex, node.endIndex);
      return !/\[[@*]\]$/.test(text);
    }
    case 'expansion':
      return EVALUATING_EXPANSION.test(source.slice(node.startIndex, node.endIndex));
    case 'test_operator': {
      const op = source.slice(node.startIndex, node.endIndex);
      // Only `[[ … ]]` evaluates operands as arithmetic; the `[` builtin parses plain integers.
      return NAME_TESTS.has(op) || (ARITHMETIC_TESTS.has(op) && inDoubleBracket(node));
    }
    default:
      return false;
  }
}

/** `${!x}`, `${x@P}`, or a substring `${x:n}` / `${a[i]:n}` (`:-`, `:=`, `:?`, `:+` are not). */
const EVALUATING_EXPANSION = /^\$\{!|@P\}$|^\$\{#?[\w@*]+(?:\[[^\]]*\])?:(?![-=?+])/;

function inDoubleBracket(node: Node): boolean {
  for (let p = node.parent; p !== null; p = p.parent) {
    if (p.type === 'test_command') return p.firstChild?.type === '[[';
  }
  return false;
}

/**
 * Whether single quotes inside this node are literal characters that bash expands through:
 * inside `${…}` within double quotes (`"${x:-'$(rm x)'}"` runs rm), and inside arithmetic or
 * a subscript (`${a['$(rm x)']}` runs rm).
 */
export function quotesAreNotQuoting(node: Node): boolean {
  let inExpansion = false;
  for (let p = node.parent; p !== null; p = p.parent) {
    switch (p.type) {
      case 'subscript':
      case 'arithmetic_expansion':
        return true;
      case 'compound_statement':
        if (p.firstChild?.type === '((') return true;
        break;
      case 'expansion':
        inExpansion = true;
        break;
      case 'string':
        if (inExpansion) return true;
        break;
      case 'command':
      case 'program':
      case 'command_substitution':
        return false;
    }
  }
  return false;
}

/** Builtins whose variable-name arguments may carry a subscript that is evaluated. */
const NAME_TAKERS: ReadonlySet<string> = new Set([
  'declare',
  'typeset',
  'local',
  'readonly',
  'export',
  'read',
  'mapfile',
  'readarray',
  'printf',
  'unset',
  'getopts',
  'wait',
]);
/** Builtins and programs that put text from outside the command line into variables or argv. */
const RUNTIME_SOURCES: ReadonlySet<string> = new Set([
  'read',
  'mapfile',
  'readarray',
  'getopts',
  'xargs',
  'find',
  'parallel',
]);

/** Records what running `name` (a basename) with `args` does to deferred text. */
export function commandDeferred(name: string, args: readonly ShellWord[], state: DeferredState): void {
  if (RUNTIME_SOURCES.has(name)) state.source = true;
  if (name === 'printf' && args.some((w) => w.literal && /^-[^-]*v/.test(w.text))) state.source = true;
  if (args.some((w) => SUBSTITUTION.test(w.text))) state.source = true;
  if (name === 'let') {
    state.sink = true;
  } else if (NAME_TAKERS.has(name)) {
    // `declare -i`/`-n` evaluate every later value; a name with a subscript evaluates it now.
    const integer = ['declare', 'typeset', 'local', 'readonly'].includes(name);
    if (args.some((w) => w.text.includes('[') || (integer && /^[-+][a-zA-Z]*[in]/.test(w.text)))) {
      state.sink = true;
    }
  } else if (name === 'test' || name === '[') {
    if (args.some((w) => NAME_TESTS.has(w.text))) state.sink = true;
  }
}
