// Where bash reads characters differently from tree-sitter-bash, checked on the syntax tree:
// line continuations (bash removes them before anything else, except inside single quotes,
// `$'…'`, comments and quoted here-documents), blanks (only space and tab separate words; form
// feed, vertical tab, carriage return and Unicode spaces are word characters), comments (`#`
// starts one only at the start of a word), here-document bodies (see heredoc.ts), and the `;`
// bash does not need after `)` or `}` before `done`/`fi`/…, a newline inside a word, and
// backquoted substitutions that end earlier than the grammar ends them. Each check either rewrites the text to
// what bash reads or says the two readings differ, which the classifier turns into `unknown`.
import type { Node, Tree } from 'web-tree-sitter';
import { heredocDelimiter, readHeredocBody } from './heredoc.js';

/** Node types whose text keeps a backslash-newline as it is. */
const LITERAL_CONTINUATIONS: ReadonlySet<string> = new Set(['raw_string', 'ansi_c_string', 'comment']);

/** A text with line continuations removed, and where they were, in the new text's offsets. */
export interface Joined {
  readonly text: string;
  /** Where a continuation was removed. */
  readonly removed: readonly number[];
  /** Where a continuation was kept (in quotes, a comment or a quoted here-document body). */
  readonly kept: readonly number[];
}

/**
 * `text` with every line continuation bash would remove removed, judged on `tree` (a parse of
 * `text`). Continuations inside single quotes, `$'…'`, comments and the bodies of here-documents
 * with a quoted delimiter stay. The judgement rests on a parse of text that still had them, so
 * {@link continuationsAgree} must confirm it on the parse of the result.
 */
export function removeContinuations(text: string, tree: Tree): Joined {
  const protectedRanges = literalRanges(tree);
  let out = '';
  let from = 0;
  let k = 0;
  const removed: number[] = [];
  const kept: number[] = [];
  for (let nl = text.indexOf('\\\n'); nl !== -1; nl = text.indexOf('\\\n', nl + 2)) {
    while (k < protectedRanges.length && (protectedRanges[k]?.[1] ?? 0) <= nl) k++;
    const range = protectedRanges[k];
    if (range !== undefined && range[0] <= nl && nl < range[1]) {
      kept.push(out.length + nl - from);
      continue;
    }
    // An escaped backslash is not a continuation: count the run of backslashes, stopping where
    // a kept range (a quoted string's own backslashes) ends.
    const floor = k > 0 ? (protectedRanges[k - 1]?.[1] ?? 0) : 0;
    let run = 1;
    while (nl - run >= Math.max(floor, from) && text.charAt(nl - run) === '\\') run++;
    if (run % 2 === 0) continue;
    out += text.slice(from, nl);
    removed.push(out.length);
    from = nl + 2;
  }
  return from === 0 ? { text, removed, kept } : { text: out + text.slice(from), removed, kept };
}

/**
 * Whether the parse of the joined text agrees with where continuations were removed and kept:
 * none removed inside what is now a comment or a quoted string, none kept outside one.
 */
export function continuationsAgree(joined: Joined, tree: Tree): boolean {
  const ranges = literalRanges(tree);
  const inside = (at: number): boolean => ranges.some(([start, end]) => start < at && at <= end);
  return joined.removed.every((at) => !inside(at)) && joined.kept.every((at) => inside(at));
}

/** Ranges whose text keeps a backslash-newline as it is. */
function literalRanges(tree: Tree): [number, number][] {
  const ranges: [number, number][] = [];
  walk(tree.rootNode, (node) => {
    if (LITERAL_CONTINUATIONS.has(node.type)) {
      ranges.push([node.startIndex, node.endIndex]);
      return false;
    }
    if (node.type === 'heredoc_redirect') {
      const start = node.namedChildren.find((c) => c.type === 'heredoc_start');
      const body = node.namedChildren.find((c) => c.type === 'heredoc_body');
      if (start !== undefined && body !== undefined && heredocDelimiter(start.text)?.quoted !== false) {
        ranges.push([body.startIndex, body.endIndex]);
      }
    }
    return true;
  });
  return ranges.sort((a, b) => a[0] - b[0]);
}

/** Characters JavaScript calls white space that bash reads as word characters. */
const ODD_BLANKS = /[^\S \t\n]/g;

/** Reserved words bash recognises right after a `)` or `}` without a `;`. */
const AFTER_CLOSE: ReadonlySet<string> = new Set(['then', 'do', 'done', 'fi', 'esac', 'else', 'elif', '}']);

/**
 * Whether tree-sitter's reading of `text` can be trusted where this module can check it: no
 * odd blank outside a word, no comment bash would not start, here-document bodies that end
 * where bash ends them, and no parse error other than a `;` bash does not need.
 */
export function readingAgrees(text: string, tree: Tree): boolean {
  const root = tree.rootNode;
  for (const m of text.matchAll(ODD_BLANKS)) {
    // bash reads it as part of a word: the grammar must have too.
    const node = root.descendantForIndex(m.index, m.index + 1);
    if (node === null || node.childCount > 0 || node.startIndex > m.index || node.endIndex <= m.index)
      return false;
    if (node.type === 'comment' && !commentStartsWord(text, node.startIndex)) return false;
  }
  // An unquoted newline always ends a word in bash, yet the grammar reads `ls` NEWLINE `\rm x`
  // as one command whose name holds the newline.
  for (const m of text.matchAll(/\n/g)) {
    const node = root.descendantForIndex(m.index, m.index + 1);
    if (node?.type === 'word' && node.startIndex <= m.index && m.index < node.endIndex) return false;
  }
  // A backquoted substitution ends at the first backquote not escaped, yet the grammar reads
  // `` `echo a` `rm x` `` as one substitution.
  if (text.includes('`') && !backquotesAgree(root)) return false;
  const mayHaveHeredoc = text.includes('<<');
  const mayHaveComment = text.includes('#');
  if (!mayHaveHeredoc && !mayHaveComment && !root.hasError) return true;
  let agrees = true;
  walk(root, (node) => {
    if (!agrees) return false;
    if (node.isError || (node.isMissing && !needlessSemicolon(node))) agrees = false;
    // A comment ends at the newline, a backslash before it notwithstanding.
    else if (node.type === 'comment')
      agrees = commentStartsWord(text, node.startIndex) && !node.text.includes('\n');
    else if (node.type === 'heredoc_redirect') agrees = heredocAgrees(text, node);
    return agrees;
  });
  return agrees;
}

/** Whether no backquoted substitution holds a backquote that is not escaped. */
function backquotesAgree(root: Node): boolean {
  let agrees = true;
  walk(root, (node) => {
    if (!agrees) return false;
    if (node.type === 'command_substitution' && node.text.startsWith('`')) {
      const inner = node.text.slice(1, -1);
      for (let i = inner.indexOf('`'); i !== -1; i = inner.indexOf('`', i + 1)) {
        let run = 0;
        while (i - run - 1 >= 0 && inner.charAt(i - run - 1) === '\\') run++;
        if (run % 2 === 0) agrees = false;
      }
    }
    return agrees;
  });
  return agrees;
}

/** `#` starts a comment only at the start of a word: after a blank, a newline or an operator. */
function commentStartsWord(text: string, at: number): boolean {
  if (at === 0) return true;
  return ' \t\n;&|()<>'.includes(text.charAt(at - 1));
}

/** The `;` tree-sitter wants in `(ls) done` or `{ ls; } fi`, which bash does not need. */
function needlessSemicolon(node: Node): boolean {
  if (node.type !== ';' || node.startIndex !== node.endIndex) return false;
  const before = node.previousSibling;
  const after = node.nextSibling;
  if (before === null || after === null || after.isNamed) return false;
  return /[)}]$/.test(before.text) && AFTER_CLOSE.has(after.type);
}

/** Whether bash ends this here-document's body where tree-sitter does, with the same text. */
function heredocAgrees(text: string, node: Node): boolean {
  const start = node.namedChildren.find((c) => c.type === 'heredoc_start');
  const body = node.namedChildren.find((c) => c.type === 'heredoc_body');
  const end = node.namedChildren.find((c) => c.type === 'heredoc_end');
  const first = body ?? end;
  if (start === undefined || first === undefined) return false;
  const delimiter = heredocDelimiter(start.text);
  if (delimiter === undefined) return false;
  const stripTabs = node.children.some((c) => c.type === '<<-');
  const lineStart = text.lastIndexOf('\n', first.startIndex - 1) + 1;
  const bash = readHeredocBody(text, lineStart, delimiter, stripTabs);
  if (bash.terminated) {
    if (end === undefined || end.text === '' || end.endIndex !== bash.end) return false;
  } else if (end !== undefined && end.text !== '') {
    return false;
  }
  // With an unquoted delimiter bash expands the body it read; it must be the text tree-sitter
  // parsed for expansions (it differs only where continuations or tabs were not removed).
  if (!delimiter.quoted && bash.terminated && end !== undefined) {
    const endLine = text.lastIndexOf('\n', end.startIndex - 1) + 1;
    let raw = text.slice(lineStart, endLine);
    if (stripTabs) raw = raw.replace(/^\t+/gm, '');
    if (raw !== bash.text) return false;
  }
  return true;
}

/** Visits every node, depth first; `enter` returning false skips the node's children. */
function walk(root: Node, enter: (node: Node) => boolean): void {
  const cursor = root.walk();
  try {
    for (;;) {
      if (enter(cursor.currentNode) && cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return;
      }
    }
  } finally {
    cursor.delete();
  }
}
