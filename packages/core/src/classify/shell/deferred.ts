// Text that bash evaluates a second time. Arithmetic evaluation expands `$(…)` inside an array
// subscript it meets in a value (`x='a[$(rm -rf /)]'; echo $((x))` runs rm), and so do prompt
// expansion (`${x@P}`), indirection (`${!x}`), `[[ -v $x ]]`, `let`, `declare -i`/`-n` and
// subscripted names given to `declare`, `read` or `printf -v`. What a value holds is not visible
// where it is evaluated, and a `$(` can be assembled from pieces no single token shows
// (`y='a[$''(id)]'`, `d=\$; y="${d}(id)"`, a file name met by a glob). So the classifier does not
// look for payloads; it asks for proof of their absence. Every place that evaluates text again
// (a "sink") names the variables it reads (its operands), and the request is unknown unless
// each operand is proven harmless within the request: set, and only ever set to text made of
// numbers and operators (no name, `$`, quote or backquote), which no evaluation can turn into a
// command. A sink whose text is anything else (command output, `$1`, a quote) is unknown.
import type { Node } from 'web-tree-sitter';
import { parseOptions, type OptionSpec, type ParsedOptions } from './options.js';
import { decodeAnsiC, literalValue, unescapeDoubleQuoted, wordsOf } from './words.js';
import type { ShellWord } from './words.js';

/** What a request does with text evaluated again, collected over the whole request (all nesting levels). */
export interface DeferredState {
  /** Variables whose values some sink evaluates. */
  readonly operands: Set<string>;
  /** Each variable the request sets, and whether every value it is given is harmless text. */
  readonly assigned: Map<string, boolean>;
  /** A sink evaluates text that no variable can vouch for: command output, `$1`, a quote, … */
  opaque: boolean;
  /** Something may set variables the classifier cannot name (`source`, `declare "$x"`). */
  unnamedAssignment: boolean;
  /** `declare -i`/`-n` (or `local`, `typeset`, `readonly`): every value assigned is evaluated. */
  everyValueEvaluated: boolean;
}

/** A state with nothing recorded. */
export function newDeferredState(): DeferredState {
  return {
    operands: new Set(),
    assigned: new Map(),
    opaque: false,
    unnamedAssignment: false,
    everyValueEvaluated: false,
  };
}

/**
 * Whether what the request evaluates again cannot be proven harmless: a sink read opaque text,
 * or one of its operands is not a variable the request sets to harmless text only.
 */
export function deferredUnresolved(state: DeferredState): boolean {
  if (state.opaque) return true;
  const names = state.everyValueEvaluated ? [...state.operands, ...state.assigned.keys()] : state.operands;
  for (const name of names) {
    // An assignment the classifier could not name may have been to this variable.
    if (state.unnamedAssignment) return true;
    const harmless = state.assigned.get(name);
    if (BASH_SETS.has(name)) return true;
    // Never set in the request: the environment's value, which the request does not show.
    if (harmless === undefined ? !NUMERIC_BUILTINS.has(name) : !harmless) return true;
  }
  return false;
}

/**
 * Variables bash itself sets from run-time text (the directory, the line read, a regex match):
 * an assignment in the request does not decide what they hold when a sink reads them.
 */
const BASH_SETS: ReadonlySet<string> = new Set([
  '_',
  'PWD',
  'OLDPWD',
  'DIRSTACK',
  'REPLY',
  'OPTARG',
  'MAPFILE',
  'BASH_REMATCH',
  'BASH_COMMAND',
  'BASH_EXECUTION_STRING',
  'BASH_ARGV',
  'BASH_ARGV0',
  'BASH_SOURCE',
  'FUNCNAME',
  'COPROC',
  'COMPREPLY',
  'COMP_LINE',
  'COMP_WORDS',
  'READLINE_LINE',
]);

/** Variables bash keeps numeric whatever the environment says (readonly, or computed on reading). */
const NUMERIC_BUILTINS: ReadonlySet<string> = new Set([
  'RANDOM',
  'SRANDOM',
  'SECONDS',
  'LINENO',
  'BASHPID',
  'PPID',
  'UID',
  'EUID',
  'EPOCHSECONDS',
  'EPOCHREALTIME',
  'OPTIND',
  'BASH_SUBSHELL',
]);

/** Records that the request sets `name`, to harmless text or not. */
export function recordAssignment(state: DeferredState, name: string, harmless: boolean): void {
  state.assigned.set(name, harmless && state.assigned.get(name) !== false);
}

/**
 * Text that no evaluation can turn into a command or a variable reference: numbers (`42`,
 * `0x1f`, `2#101`), operators, blanks. The set is closed under concatenation, so `x+=…` and
 * adjacent pieces of a word stay harmless.
 */
const HARMLESS = /^(?:[\s+\-*/%<>=!&|^~?:,().]|[0-9][0-9A-Za-z_@#]*)*$/;

/** Whether text, evaluated as arithmetic, a prompt or a variable name, can reach nothing. */
export function textIsHarmless(text: string): boolean {
  return HARMLESS.test(text);
}

/**
 * Whether the value node of an assignment is harmless text: a literal after full quote removal
 * of the whole word (adjacent pieces and `$'…'` included), with arithmetic expansions and `$#`,
 * `$?`, `$$`, `$!`, `${#x}` counted as the numbers they become. `null` (`x=`) is empty text.
 */
export function valueIsHarmless(node: Node | null): boolean {
  if (node === null) return true;
  if (node.type === 'array') return node.namedChildren.every((element) => elementIsHarmless(element));
  const text = numericText(node);
  return text !== undefined && textIsHarmless(text);
}

/** An array element: `v`, or `[i]=v` whose value part is harmless. */
function elementIsHarmless(node: Node): boolean {
  const text = numericText(node);
  return text !== undefined && textIsHarmless(text.replace(/^\[[^\]]*\]\+?=/, ''));
}

/** Expansions that always become a number. */
const NUMERIC_EXPANSION = /^\$(?:[#?$!]|\{[#?$!]\}|\{#[A-Za-z_]\w*(?:\[[@*]\])?\})$/;

/** The text a word becomes, with numeric expansions as `0`; `undefined` if anything else expands. */
function numericText(node: Node): string | undefined {
  const literal = literalValue(node);
  if (literal !== undefined) return literal;
  switch (node.type) {
    case 'arithmetic_expansion':
      return '0';
    case 'simple_expansion':
    case 'expansion':
      return NUMERIC_EXPANSION.test(node.text) ? '0' : undefined;
    case 'concatenation': {
      let out = '';
      for (const child of node.children) {
        const part = numericText(child);
        if (part === undefined) return undefined;
        out += part;
      }
      return out;
    }
    case 'string': {
      // Every character between the quotes must belong to a child read here.
      let out = '';
      let covered = 2;
      for (const child of node.namedChildren) {
        covered += child.endIndex - child.startIndex;
        const part = child.type === 'string_content' ? unescapeDoubleQuoted(child.text) : numericText(child);
        if (part === undefined) return undefined;
        out += part;
      }
      return covered === node.endIndex - node.startIndex ? out : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Whether this node sits in arithmetic (`for ((i=0;…))`, `$((x=1))`), where an assignment
 * stores the number the expression yields, never text.
 */
export function inArithmetic(node: Node): boolean {
  for (let p = node.parent; p !== null; p = p.parent) {
    switch (p.type) {
      case 'arithmetic_expansion':
      case 'c_style_for_statement':
        return true;
      case 'compound_statement':
        return p.firstChild?.type === '((';
      case 'command':
      case 'program':
      case 'subscript':
      case 'command_substitution':
      case 'declaration_command':
        return false;
    }
  }
  return false;
}

/**
 * A `for` or `select` loop sets its variable: harmless only when every word of a literal list
 * is (`for i in 1 2 3`, `{1..9}`). A glob, an expansion, no list (the positional parameters) or
 * `select` (a line the user types) sets it to run-time text.
 */
export function forDeferred(node: Node, state: DeferredState): void {
  const name = node.childForFieldName('variable')?.text;
  if (name === undefined) return;
  const values = node.childrenForFieldName('value');
  const harmless =
    node.firstChild?.type === 'for' &&
    values.length > 0 &&
    values.every((v) => wordsOf(v).every((w) => w.literal && !w.glob && textIsHarmless(w.text)));
  recordAssignment(state, name, harmless);
}

/**
 * An array literal: `[i]=v` elements evaluate `i` as a subscript (`a=([x]=1)`), unless the
 * declaration makes the array associative (`declare -A m=([k]=v)`).
 */
export function arrayDeferred(node: Node, source: string, state: DeferredState): void {
  const parent = node.parent?.parent;
  const associative =
    parent?.type === 'declaration_command' &&
    parent.children.some((c) => c.type === 'word' && /^-[a-zA-Z]*A/.test(c.text));
  if (associative) return;
  for (const element of node.namedChildren) {
    const text = source.slice(element.startIndex, element.endIndex);
    if (!text.startsWith('[')) continue;
    const close = matching(text, 0, '[', ']');
    if (close === undefined) state.opaque = true;
    else scanArithmetic(text.slice(1, close), state);
  }
}

/**
 * Records what a syntax node evaluates a second time: arithmetic (`$((…))`, `$[…]`, `((…))`,
 * C-style `for`), an array subscript other than `[@]`/`[*]`, a substring offset `${x:n}`,
 * indirection `${!x}`, prompt expansion `${x@P}`, or an arithmetic or name test in `[[ … ]]`.
 * `type` is the node's type and `source` the text its offsets index (cheaper than asking the
 * node for its children or text).
 */
export function nodeDeferred(node: Node, type: string, source: string, state: DeferredState): void {
  switch (type) {
    case 'arithmetic_expansion': {
      const text = source.slice(node.startIndex, node.endIndex);
      if (text.startsWith('$((') && text.endsWith('))')) scanArithmetic(text.slice(3, -2), state);
      else if (text.startsWith('$[') && text.endsWith(']')) scanArithmetic(text.slice(2, -1), state);
      else state.opaque = true;
      return;
    }
    case 'command_substitution': {
      // `$((echo x))` is arithmetic to bash (it finds the `))`); the grammar may read `$( (…) )`.
      const text = source.slice(node.startIndex, node.endIndex);
      if (text.startsWith('$((') && text.endsWith('))')) scanArithmetic(text.slice(3, -2), state);
      return;
    }
    case 'c_style_for_statement':
    case 'compound_statement': {
      const open = node.children.find((c) => c.type === '((');
      if (open === undefined) return;
      const close = node.children.find((c) => c.type === '))');
      if (close === undefined) state.opaque = true;
      else scanArithmetic(source.slice(open.endIndex, close.startIndex), state);
      return;
    }
    case 'subscript': {
      const text = source.slice(node.startIndex, node.endIndex);
      const open = text.indexOf('[');
      if (open === -1 || !text.endsWith(']')) state.opaque = true;
      else if (!/^\[[@*]\]$/.test(text.slice(open))) scanArithmetic(text.slice(open + 1, -1), state);
      return;
    }
    case 'expansion': {
      const text = source.slice(node.startIndex, node.endIndex);
      if (text.startsWith('${') && text.endsWith('}')) expansionDeferred(text.slice(2, -1), state);
      return;
    }
    case 'test_operator': {
      const op = source.slice(node.startIndex, node.endIndex);
      if (NAME_TESTS.has(op)) {
        const operand = node.nextNamedSibling;
        if (operand !== null) nameOperand(wordsOf(operand), operand.text, state);
      } else if (ARITHMETIC_TESTS.has(op) && inDoubleBracket(node)) {
        // Only `[[ … ]]` evaluates operands as arithmetic; the `[` builtin parses plain integers.
        const parent = node.parent;
        for (const side of ['left', 'right']) {
          const operand = parent?.childForFieldName(side);
          if (operand === null || operand === undefined) state.opaque = true;
          else arithmeticWord(wordsOf(operand), operand.text, state);
        }
      }
      return;
    }
  }
}

/** Test operators whose operands are arithmetic expressions (`[[ a -eq b ]]`). */
const ARITHMETIC_TESTS: ReadonlySet<string> = new Set(['-eq', '-ne', '-lt', '-le', '-gt', '-ge']);
/** Test operators that take a variable name, subscript included (`[[ -v 'a[$(id)]' ]]`). */
const NAME_TESTS: ReadonlySet<string> = new Set(['-v', '-R']);

function inDoubleBracket(node: Node): boolean {
  for (let p = node.parent; p !== null; p = p.parent) {
    if (p.type === 'test_command') return p.firstChild?.type === '[[';
  }
  return false;
}

/** A word evaluated as arithmetic: its text after quote removal, or (not literal) as written. */
function arithmeticWord(words: readonly ShellWord[], raw: string, state: DeferredState): void {
  const [word, ...rest] = words;
  if (word === undefined || rest.length > 0) state.opaque = true;
  else scanArithmetic(word.literal ? word.text : raw, state);
}

/**
 * A word used as a variable name: a literal name evaluates only its subscript (`a[i]`); a name
 * that is not literal (`"$x"`) is whatever its value says, so the value must be harmless.
 */
function nameOperand(words: readonly ShellWord[], raw: string, state: DeferredState): void {
  const [word, ...rest] = words;
  if (word === undefined || rest.length > 0) state.opaque = true;
  else if (!word.literal) scanArithmetic(raw, state);
  else {
    subscriptOf(word.text, state);
    // bash 5.2 evaluates only the subscript, but which expansions `-v` performs has changed
    // between versions (`assoc_expand_once`, `array_expand_once`): the name counts as read too.
    // Real command lines almost never test a variable they do not set, so this costs nothing.
    const variable = /^[A-Za-z_]\w*/.exec(word.text)?.[0];
    if (variable !== undefined) state.operands.add(variable);
  }
}

/** The subscript of a literal `name[…]`, which bash evaluates. */
function subscriptOf(name: string, state: DeferredState): void {
  const open = /^[A-Za-z_]\w*\[/.exec(name)?.[0].length;
  if (open === undefined) return;
  const close = matching(name, open - 1, '[', ']');
  if (close === undefined) state.opaque = true;
  else scanArithmetic(name.slice(open, close), state);
}

/** The index of the bracket closing the one at `at`, or `undefined`. */
function matching(text: string, at: number, open: string, close: string): number | undefined {
  let depth = 0;
  for (let i = at; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === open) depth++;
    else if (c === close && --depth === 0) return i;
  }
  return undefined;
}

/** `${…}` outside arithmetic: the forms that evaluate something again. */
function expansionDeferred(inner: string, state: DeferredState): void {
  const m = PARAMETER.exec(inner);
  if (m === null) {
    state.opaque = true;
    return;
  }
  const [, bang = '', , name = '', subscript, tail = ''] = m;
  if (bang !== '') {
    // `${!prefix*}`, `${!a[@]}` list names and keys; `${!#}` is the last positional parameter.
    if (subscript === undefined && (tail === '*' || tail === '@')) return;
    if (subscript !== undefined && /^\[[@*]\]$/.test(subscript) && tail === '') return;
    if (name === '#' && subscript === undefined && tail === '') return;
    if (subscript === undefined && tail === '' && IDENTIFIER.test(name)) state.operands.add(name);
    else state.opaque = true;
  } else if (tail === '@P') {
    if (IDENTIFIER.test(name)) state.operands.add(name);
    else state.opaque = true;
  } else if (tail.startsWith(':') && !/^:[-=?+]/.test(tail)) {
    scanArithmetic(tail.slice(1), state);
  }
}

/** `${…}`'s inside: `!` or `#`, the parameter, a subscript, then the operator and the rest. */
const PARAMETER = /^(!?)(#?)([A-Za-z_]\w*|\d+|[@*#?$!_-])(\[[^\]]*\])?([\s\S]*)$/;
const IDENTIFIER = /^[A-Za-z_]\w*$/;

/**
 * Text that bash expands (parameters, command substitution, quote removal) and then evaluates
 * as arithmetic. Names and `$name` become operands; `$((…))` nests; `$#`, `$?`, `$$`, `$!` and
 * `${#x}` are numbers; anything else that could bring in text (command substitution, `$1`, `$@`,
 * a single quote, a backslash, a backquote, a character arithmetic has no use for) is opaque.
 */
export function scanArithmetic(text: string, state: DeferredState): void {
  let i = 0;
  while (i < text.length && !state.opaque) {
    const c = text.charAt(i);
    if (/[0-9]/.test(c)) {
      i += /^[0-9][0-9A-Za-z_@#]*/.exec(text.slice(i))?.[0].length ?? 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const name = /^[A-Za-z_]\w*/.exec(text.slice(i))?.[0] ?? c;
      i += name.length;
      state.operands.add(name);
      // `x = …` stores a number, never text; `x += …`, `x++` read the old value first.
      if (/^\s*=(?!=)/.test(text.slice(i))) recordAssignment(state, name, true);
    } else if (ARITHMETIC_TEXT.includes(c)) {
      i++;
    } else if (c === '$') {
      i = dollar(text, i, state);
    } else {
      state.opaque = true;
    }
  }
}

/** Characters arithmetic text may hold besides names, numbers and `$`. `"` is removed by bash. */
const ARITHMETIC_TEXT = ' \t\n+-*/%<>=!&|^~?:,();[].#"';

/** An expansion inside arithmetic text at `at` (a `$`); returns where scanning goes on. */
function dollar(text: string, at: number, state: DeferredState): number {
  const next = text.charAt(at + 1);
  if ((next === '(' && text.charAt(at + 2) === '(') || next === '[') return at + 1;
  if ('#?$!'.includes(next) && next !== '') return at + 2;
  const name = /^[A-Za-z_]\w*/.exec(text.slice(at + 1))?.[0];
  if (name !== undefined) {
    state.operands.add(name);
    return at + 1 + name.length;
  }
  if (next === '{') {
    const close = matching(text, at + 1, '{', '}');
    if (close === undefined) {
      state.opaque = true;
      return text.length;
    }
    const m = PARAMETER.exec(text.slice(at + 2, close));
    const [, bang = '', hash = '', name = '', subscript, tail = ''] = m ?? [];
    if (m === null || bang !== '') state.opaque = true;
    else if (IDENTIFIER.test(name)) {
      if (hash === '') state.operands.add(name);
      if (subscript !== undefined && !/^\[[@*]\]$/.test(subscript))
        scanArithmetic(subscript.slice(1, -1), state);
      scanArithmetic(tail, state);
    } else if (!'#?$!'.includes(name) || tail !== '' || subscript !== undefined) {
      state.opaque = true;
    }
    return close + 1;
  }
  // `$(…)`, `$1`, `$@`, `$'…'`, a lone `$`: text from outside the request.
  state.opaque = true;
  return text.length;
}

/**
 * An unquoted here-document body, as bash expands it: the grammar does not always see its
 * arithmetic (after a backquote it reads `$((x))` as `$( (x) )`), so the text is read here.
 */
export function heredocDeferred(text: string, state: DeferredState): void {
  for (let i = 0; i < text.length && !state.opaque; i++) {
    const c = text.charAt(i);
    if (c === '\\') {
      i++;
      continue;
    }
    if (c !== '$') continue;
    const next = text.charAt(i + 1);
    if (next === '(' && text.charAt(i + 2) === '(') {
      const close = matching(text, i + 1, '(', ')');
      if (close === undefined) state.opaque = true;
      else scanArithmetic(text.slice(i + 1, close + 1), state);
    } else if (next === '[') {
      const close = matching(text, i + 1, '[', ']');
      if (close === undefined) state.opaque = true;
      else scanArithmetic(text.slice(i + 2, close), state);
    } else if (next === '{') {
      const close = matching(text, i + 1, '{', '}');
      if (close === undefined) state.opaque = true;
      else {
        const inner = text.slice(i + 2, close);
        expansionDeferred(inner, state);
        const subscript = PARAMETER.exec(inner)?.[4];
        if (subscript !== undefined && !/^\[[@*]\]$/.test(subscript))
          scanArithmetic(subscript.slice(1, -1), state);
      }
    }
  }
}

/** `$(` (not `$((`) or a backquote: a command substitution once the text is evaluated again. */
const SUBSTITUTION = /\$\((?!\()|`/;

/**
 * Whether a leaf's text would still spell a command substitution after quote removal: quoted
 * (`'$(rm x)'`, `"\$(rm x)"`, `$'\x24(rm x)'`) or escaped. Used to find the places where bash
 * expands through quotes the grammar sees ({@link quotesAreNotQuoting}).
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

/** Builtins that declare variables: `-i`/`-n` make every later value evaluated. */
const DECLARERS: ReadonlySet<string> = new Set(['declare', 'typeset', 'local', 'readonly', 'export']);

/** How a builtin that sets variables to run-time text is given their names. */
interface Reader {
  readonly spec: OptionSpec;
  readonly names: (parsed: ParsedOptions) => readonly ShellWord[];
  /** The variable it sets when given no name. */
  readonly implicit?: string;
}

/** Builtins that set variables named by their arguments to run-time text. */
const READERS: ReadonlyMap<string, Reader> = new Map<string, Reader>([
  [
    'read',
    {
      spec: { short: 'adinNptu' },
      names: (o) => [...optionValues(o, 'a'), ...o.operands],
      implicit: 'REPLY',
    },
  ],
  ['mapfile', { spec: { short: 'dnOsuCc' }, names: (o) => o.operands.slice(0, 1), implicit: 'MAPFILE' }],
  ['readarray', { spec: { short: 'dnOsuCc' }, names: (o) => o.operands.slice(0, 1), implicit: 'MAPFILE' }],
  ['getopts', { spec: {}, names: (o) => o.operands.slice(1, 2) }],
  ['printf', { spec: { short: 'v' }, names: (o) => optionValues(o, 'v') }],
  ['wait', { spec: { short: 'p' }, names: (o) => optionValues(o, 'p') }],
]);

function optionValues(parsed: ParsedOptions, name: string): ShellWord[] {
  return parsed.options.flatMap((o) => (o.name === name && o.value !== undefined ? [o.value] : []));
}

/** Records what running `name` (a basename) with `args` does to text evaluated again. */
export function commandDeferred(name: string, args: readonly ShellWord[], state: DeferredState): void {
  if (name === 'source' || name === '.') {
    // The file may set any variable to anything.
    state.unnamedAssignment = true;
  } else if (name === 'let') {
    for (const word of args) scanArithmetic(word.text, state);
  } else if (DECLARERS.has(name)) {
    declared(name, args, state);
  } else if (name === 'unset') {
    for (const word of args) {
      if (word.literal) subscriptOf(word.text, state);
      else if (!IDENTIFIER.test(word.text)) scanArithmetic(word.text, state);
    }
  } else if (name === 'test' || name === '[') {
    args.forEach((word, i) => {
      const operand = args[i + 1];
      if (word.literal && NAME_TESTS.has(word.text) && operand !== undefined)
        nameOperand([operand], operand.text, state);
    });
  } else {
    const reader = READERS.get(name);
    if (reader === undefined) return;
    // Only `-v NAME` matters to printf (its format may be anything) and `-p NAME` to wait (whose
    // job ids are often expansions); both come first.
    const options =
      name === 'printf' ? leadingOptions(args, 'v') : name === 'wait' ? leadingOptions(args, 'p') : args;
    const parsed = parseOptions(options, reader.spec);
    if (parsed === undefined) {
      state.opaque = true;
      return;
    }
    const names = reader.names(parsed);
    if (reader.implicit !== undefined) recordAssignment(state, reader.implicit, false);
    for (const word of names) {
      if (!word.literal) {
        state.opaque = true;
        state.unnamedAssignment = true;
        continue;
      }
      subscriptOf(word.text, state);
      recordAssignment(state, /^[^[]*/.exec(word.text)?.[0] ?? word.text, false);
    }
  }
}

/**
 * `printf -v NAME FORMAT …` → `-v NAME`; `wait -n -p NAME "$pid"` → `-n -p NAME`: the literal
 * flag words up to the one that takes `letter` and its value.
 */
function leadingOptions(args: readonly ShellWord[], letter: string): readonly ShellWord[] {
  for (const [i, word] of args.entries()) {
    if (!word.literal || !/^-[a-zA-Z]+$/.test(word.text)) return [];
    const at = word.text.indexOf(letter);
    if (at !== -1) return args.slice(0, at === word.text.length - 1 ? i + 2 : i + 1);
  }
  return [];
}

/** `declare`, `local`, `export`, …: flags, names (subscripts evaluated) and `NAME=value` words. */
function declared(name: string, args: readonly ShellWord[], state: DeferredState): void {
  for (const word of args) {
    const text = word.text;
    if (!word.literal) {
      // A bare name (the grammar's `variable_name`) sets nothing. `export "X=$v"` sets X to
      // run-time text (and `"a[$i]=…"` evaluates its subscript); `declare "$x"` sets a variable
      // nobody can name, and evaluates the subscript its value may hold.
      if (IDENTIFIER.test(text)) continue;
      const fixed = /^"?([A-Za-z_]\w*)(\[[^\]]*\])?\+?=/.exec(text);
      if (fixed !== null) {
        recordAssignment(state, fixed[1] ?? '', false);
        if (fixed[2] !== undefined) scanArithmetic(fixed[2].slice(1, -1), state);
      } else {
        state.unnamedAssignment = true;
        // bash 5.2's `export` and `readonly` do not evaluate a subscript in an expanded name.
        if (name !== 'export' && name !== 'readonly') state.opaque = true;
      }
      continue;
    }
    if (/^[-+]/.test(text)) {
      // `export -n` removes the export attribute; the others' `-i`/`-n` are integer and nameref.
      if (name !== 'export' && /^[-+][a-zA-Z]*[in]/.test(text)) state.everyValueEvaluated = true;
      continue;
    }
    const target = /^[^=[]*(?:\[[^\]]*\])?/.exec(text)?.[0] ?? text;
    subscriptOf(target, state);
    const rest = text.slice(target.length);
    const variable = /^[^[]*/.exec(target)?.[0] ?? target;
    if (/^\+?=/.test(rest)) recordAssignment(state, variable, textIsHarmless(rest.replace(/^\+?=/, '')));
  }
}
