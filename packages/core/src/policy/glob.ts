import { buildAutomaton, type GlobAutomaton, type GlobNode, type WildcardLimits } from './glob-automaton.js';

/**
 * How `*` behaves in a pattern (docs/ §4).
 *
 * - `flat`: shell command lines, SQL names, identities, target and operation names. `*` matches
 *   any run of characters, including `/`, `.`, spaces and newlines; `?` any one character.
 * - `path`: Kubernetes resources: `*`, `?` and classes stay inside one `/`-separated segment;
 *   `**` as a whole segment matches any number of segments (zero included).
 */
export type GlobFlavour = 'flat' | 'path';

/** A compiled pattern (or list of patterns): true when the input matches. */
export type Matcher = (input: string) => boolean;

/** A pattern that cannot be compiled; the message says why. */
export class GlobSyntaxError extends TypeError {}

const SLASH = 0x2f;

/**
 * What wildcards may not match, per flavour. `neverCrossed` lists code units that no wildcard
 * matches (only a literal character in the pattern does); it is empty today and is where, for
 * example, control characters go for a flavour that must never let `*` run across them.
 */
const LIMITS: Readonly<Record<GlobFlavour, WildcardLimits>> = {
  flat: { separator: undefined, neverCrossed: [] },
  path: { separator: SLASH, neverCrossed: [] },
};

// Nesting bound for `{…}` so a hostile pattern cannot exhaust the parser's stack.
const MAX_BRACE_DEPTH = 32;

/**
 * Whether a pattern has no glob syntax at all, so it matches exactly itself.
 *
 * @example
 * ```ts
 * isLiteralPattern('warehouse', 'flat'); // true
 * isLiteralPattern('public.*', 'flat'); // false
 * ```
 */
export function isLiteralPattern(pattern: string, flavour: GlobFlavour): boolean {
  const special = flavour === 'path' ? /[*?[\]{}\\()|]/ : /[*?[\]{}\\]/;
  return (
    !special.test(pattern) && !pattern.startsWith('!') && !(flavour === 'path' && pattern.startsWith('./'))
  );
}

/**
 * Compiles one glob into a matcher, once, so matching does no parsing.
 *
 * Syntax (both flavours): `*` (any run; `**` is the same except as a whole path segment), `?`
 * (one character), `[abc]`, `[a-z]`, `[!x]`/`[^x]`, `{a,b}` alternatives (nestable; a brace
 * without a comma is literal), `\` escapes the next character, and a leading `!` negates the
 * whole pattern (path: each further leading `!` negates again). In the path flavour `*`, `?`
 * and classes never match `/`, `**` as a whole segment matches zero or more segments, and
 * `(`, `)`, `|` and POSIX classes are refused rather than given regular-expression meaning.
 *
 * Matching takes O(pattern × input) time whatever the pattern: it simulates an automaton
 * over a set of live states instead of backtracking.
 *
 * @example
 * ```ts
 * compileGlob('rm -rf /*', 'flat')('rm -rf /etc/passwd'); // true
 * compileGlob('namespaces/*\/secrets/**', 'path')('namespaces/prod/secrets/db'); // true
 * ```
 * @throws {GlobSyntaxError} for an empty pattern, unbalanced braces or brackets, a trailing `\`,
 * a reversed range, or syntax the flavour refuses.
 */
export function compileGlob(pattern: string, flavour: GlobFlavour): Matcher {
  const { nodes, negated } = parseGlob(pattern, flavour);
  const fast = negated ? undefined : fastPath(nodes, flavour);
  const m = fast ?? automatonMatcher(nodes, flavour);
  return negated ? (input) => !m(input) : m;
}

/**
 * Compiles a list of patterns into one matcher that is true when any pattern matches. Literal
 * patterns are looked up in a set; the other positive patterns share one automaton, so a list
 * costs one pass over the input.
 *
 * @example
 * ```ts
 * compileGlobList(['analysts', 'sre-*'], 'flat')('sre-oncall'); // true
 * ```
 * @throws {GlobSyntaxError} when a pattern cannot be compiled.
 */
export function compileGlobList(patterns: readonly string[], flavour: GlobFlavour): Matcher {
  const split = splitPatterns(patterns, flavour);
  const literals = new Set(split.literals);
  const positive = split.positive;
  const globs: Matcher[] = split.negated.map((nodes) => {
    const m = automatonMatcher(nodes, flavour);
    return (input) => !m(input);
  });
  const [onlyPositive] = positive;
  if (positive.length === 1 && onlyPositive !== undefined) {
    globs.push(fastPath(onlyPositive, flavour) ?? automatonMatcher(onlyPositive, flavour));
  } else if (positive.length > 1) {
    globs.push(listMatcher(buildAutomaton(positive, LIMITS[flavour])));
  }
  if (globs.length === 0) {
    if (literals.size === 1) {
      const only = literals.values().next().value as string;
      return (input) => input === only;
    }
    return (input) => literals.has(input);
  }
  const [onlyGlob] = globs;
  if (literals.size === 0 && globs.length === 1 && onlyGlob !== undefined) return onlyGlob;
  return (input) => {
    if (literals.has(input)) return true;
    for (const g of globs) if (g(input)) return true;
    return false;
  };
}

/**
 * A pattern list asked about every input under a prefix at once: a directory written into
 * (`/etc/`) stands for every path inside it.
 */
export interface PrefixMatcher {
  /**
   * Whether some input that starts with `prefix` matches a pattern. Where it cannot tell it says
   * true (a deny or review rule then applies: fail closed).
   */
  readonly some: (prefix: string) => boolean;
  /**
   * Whether every input that starts with `prefix` matches some pattern. Where it cannot tell it
   * says false (an allow rule then does not apply: fail closed).
   */
  readonly every: (prefix: string) => boolean;
}

/**
 * Compiles a list of patterns (as {@link compileGlobList} reads it: any pattern matching is a
 * match) for questions about every input under a prefix.
 *
 * @example
 * ```ts
 * const m = compileGlobPrefixes(['/etc/ssh/sshd_config', '/srv/*'], 'flat');
 * m.some('/etc/'); // true: /etc/ssh/sshd_config is under /etc/
 * m.every('/srv/app/'); // true: `*` matches everything after /srv/
 * m.every('/etc/'); // false
 * ```
 * @throws {GlobSyntaxError} when a pattern cannot be compiled.
 */
export function compileGlobPrefixes(patterns: readonly string[], flavour: GlobFlavour): PrefixMatcher {
  const { literals, positive, negated: negatedNodes } = splitPatterns(patterns, flavour);
  const negated = negatedNodes.map((nodes) => buildAutomaton([nodes], LIMITS[flavour]));
  const union = positive.length > 0 ? buildAutomaton(positive, LIMITS[flavour]) : undefined;
  // `!Q` matches some input under the prefix unless Q matches them all, and all of them where
  // Q matches none. A literal names one input: it can make `some` true, never `every` (that
  // would take the literals and globs together to cover everything; answering false is safe).
  return Object.freeze({
    some: (prefix: string) =>
      literals.some((l) => l.startsWith(prefix)) ||
      union?.someAfter(prefix) === true ||
      negated.some((q) => !q.everyAfter(prefix)),
    every: (prefix: string) =>
      union?.everyAfter(prefix) === true || negated.some((q) => !q.someAfter(prefix)),
  });
}

/** A pattern list's literal patterns, and the parsed positive and negated (`!…`) globs. */
function splitPatterns(
  patterns: readonly string[],
  flavour: GlobFlavour,
): { literals: string[]; positive: GlobNode[][]; negated: GlobNode[][] } {
  const out = { literals: [] as string[], positive: [] as GlobNode[][], negated: [] as GlobNode[][] };
  for (const p of patterns) {
    if (isLiteralPattern(p, flavour)) {
      out.literals.push(p);
      continue;
    }
    const parsed = parseGlob(p, flavour);
    (parsed.negated ? out.negated : out.positive).push(parsed.nodes);
  }
  return out;
}

/**
 * Matches like {@link compileGlob} and counts the automaton's steps (state visits), for tests
 * that prove matching is linear: steps ≤ 2 × states × (input length + 1). Internal.
 */
export function countGlobSteps(
  pattern: string,
  flavour: GlobFlavour,
  input: string,
): { matched: boolean; steps: number; states: number } {
  const { nodes, negated } = parseGlob(pattern, flavour);
  const automaton = buildAutomaton([nodes], LIMITS[flavour]);
  const steps = { count: 0 };
  const matched = automaton.run(input, steps) !== negated;
  return { matched, steps: steps.count, states: automaton.states };
}

function listMatcher(a: GlobAutomaton): Matcher {
  return (input) => a.run(input);
}

// Most patterns start with literal text (`namespaces/`, `public.`): one startsWith answers it,
// and the automaton only runs over the rest.
function automatonMatcher(nodes: readonly GlobNode[], flavour: GlobFlavour): Matcher {
  let k = 0;
  while (nodes[k]?.t === 'char') k++;
  const a = buildAutomaton([nodes.slice(k)], LIMITS[flavour]);
  if (k === 0) return (input) => a.run(input);
  const prefix = String.fromCharCode(...nodes.slice(0, k).map((n) => (n.t === 'char' ? n.code : 0)));
  return (input) => input.startsWith(prefix) && a.run(input, undefined, k);
}

// Patterns made only of literal characters and `*` in the shapes policies use most are answered
// with one string method — linear, and faster than the automaton.
function fastPath(nodes: readonly GlobNode[], flavour: GlobFlavour): Matcher | undefined {
  if (flavour !== 'flat' || LIMITS.flat.neverCrossed.length > 0) return undefined;
  if (!nodes.every((n) => n.t === 'char' || n.t === 'star')) return undefined;
  const stars = nodes.filter((n) => n.t === 'star').length;
  const text = (from: number, to: number): string =>
    String.fromCharCode(...nodes.slice(from, to).map((n) => (n.t === 'char' ? n.code : 0)));
  const n = nodes.length;
  const firstIsStar = nodes[0]?.t === 'star';
  const lastIsStar = nodes.at(-1)?.t === 'star';
  if (stars === 0) {
    const lit = text(0, n);
    return (input) => input === lit;
  }
  if (stars === 1 && n === 1) return () => true;
  if (stars === 1 && lastIsStar) {
    const prefix = text(0, n - 1);
    return (input) => input.startsWith(prefix);
  }
  if (stars === 1 && firstIsStar) {
    const suffix = text(1, n);
    return (input) => input.endsWith(suffix);
  }
  if (stars === 2 && firstIsStar && lastIsStar) {
    const middle = text(1, n - 1);
    return (input) => input.includes(middle);
  }
  return undefined;
}

/** Parses a pattern into automaton nodes; a leading `!` becomes `negated`. */
function parseGlob(pattern: string, flavour: GlobFlavour): { nodes: GlobNode[]; negated: boolean } {
  if (pattern.length === 0) throw new GlobSyntaxError('a pattern cannot be empty');
  let body = pattern;
  let negated = false;
  if (flavour === 'flat') {
    if (body.startsWith('!') && body.length > 1) {
      negated = true;
      body = body.slice(1);
    }
  } else {
    while (body.startsWith('!') && body.length > 1) {
      negated = !negated;
      body = body.slice(1);
    }
    // A leading `./` means the same as nothing (resources are never relative).
    while (body.startsWith('./') && body.length > 2) body = body.slice(2);
  }
  const parser = new Parser(body, flavour);
  const nodes = parser.sequence(0);
  if (parser.i < body.length)
    throw new GlobSyntaxError('unbalanced "}": escape it as \\} to match it literally');
  return { nodes, negated };
}

class Parser {
  i = 0;
  private readonly path: boolean;

  constructor(
    private readonly s: string,
    flavour: GlobFlavour,
  ) {
    this.path = flavour === 'path';
  }

  /** Parses until the end, or (inside braces, depth > 0) until an unescaped `,` or `}`. */
  sequence(depth: number): GlobNode[] {
    const { s } = this;
    const nodes: GlobNode[] = [];
    while (this.i < s.length) {
      const c = s.charAt(this.i);
      if (depth > 0 && (c === ',' || c === '}')) break;
      if (c === '}') throw new GlobSyntaxError('unbalanced "}": escape it as \\} to match it literally');
      if (c === '*') this.star(nodes, depth);
      else if (c === '?') {
        nodes.push({ t: 'any' });
        this.i++;
      } else if (c === '\\') {
        if (this.i + 1 >= s.length) throw new GlobSyntaxError('a pattern cannot end with "\\"');
        nodes.push({ t: 'char', code: s.charCodeAt(this.i + 1) });
        this.i += 2;
      } else if (c === '[') this.bracket(nodes);
      else if (c === '{') this.braces(nodes, depth);
      else if (this.path && (c === '(' || c === ')' || c === '|')) {
        throw new GlobSyntaxError(
          `"${c}" is not glob syntax here: escape it as \\${c}, or list alternatives as {a,b}`,
        );
      } else if (this.path && c === ']') {
        throw new GlobSyntaxError('unbalanced "]": escape it as \\] to match it literally');
      } else {
        nodes.push({ t: 'char', code: s.charCodeAt(this.i) });
        this.i++;
      }
    }
    return nodes;
  }

  private star(nodes: GlobNode[], depth: number): void {
    const { s } = this;
    const from = this.i;
    while (s[this.i] === '*') this.i++;
    const run = this.i - from;
    const prev = nodes.at(-1);
    if (!this.path || run !== 2) {
      if (prev?.t !== 'star') nodes.push({ t: 'star' });
      return;
    }
    // `**` (exactly two) is a globstar only as a whole segment: after the start of a sequence or a `/`, and
    // before the end of one or a `/`.
    const next = s[this.i];
    const endsSegment = next === undefined || next === '/' || (depth > 0 && (next === ',' || next === '}'));
    const afterSlash = prev?.t === 'char' && prev.code === SLASH;
    const atStart = prev === undefined;
    if ((afterSlash || atStart) && next === '{') {
      // Kept from picomatch: `**` right before braces crosses segments with no slash of its own.
      nodes.push({ t: 'globstar' });
      return;
    }
    if (!endsSegment || !(afterSlash || atStart)) {
      if (prev?.t !== 'star') nodes.push({ t: 'star' });
      return;
    }
    if (afterSlash && next === undefined && nodes.at(-2)?.t === 'star') {
      // Kept from picomatch so existing rules keep their meaning: a final `/**` after a segment
      // ending in `*` needs the slash (`a/*/**` does not match `a/b`, only `a/b/…`).
      nodes.push({ t: 'globstar' });
    } else if (afterSlash && next === '/') {
      // `a/**/b` matches `a/b` and `a/x/y/b`; kept from picomatch: it also matches where the
      // input ends right after `a` if what follows can match nothing (`a/**/{b,*}` matches
      // `a`) — except a `*` opening the segment, which needs a character after it.
      this.i++;
      nodes.pop();
      const slash: GlobNode = { t: 'char', code: SLASH };
      const alts: GlobNode[][] = [[slash, { t: 'globstar' }, slash], [slash]];
      const after = s[this.i];
      if (after !== undefined && after !== '*' && !(depth > 0 && (after === ',' || after === '}'))) {
        alts.push([{ t: 'end' }]);
      }
      nodes.push({ t: 'alt', alts });
    } else if (afterSlash) {
      // `a/**` matches `a` and `a/x/y`; `a/**/b` matches `a/b`: the slash before is optional
      // together with the segments.
      nodes.pop();
      nodes.push({ t: 'opt', seq: [{ t: 'char', code: SLASH }, { t: 'globstar' }] });
    } else if (next === '/') {
      // `**/x` matches `x` and `a/b/x`.
      this.i++;
      nodes.push({ t: 'opt', seq: [{ t: 'globstar' }, { t: 'char', code: SLASH }] });
    } else {
      nodes.push({ t: 'globstar' });
    }
  }

  private bracket(nodes: GlobNode[]): void {
    const { s } = this;
    const end = classEnd(s, this.i);
    if (end < 0) {
      if (this.path) throw new GlobSyntaxError('unbalanced "[": close it with "]" or escape it as \\[');
      nodes.push({ t: 'char', code: s.charCodeAt(this.i++) });
      return;
    }
    let j = this.i + 1;
    let negated = false;
    if (s[j] === '!' || s[j] === '^') {
      negated = true;
      j++;
    }
    if (this.path && s.slice(j, end).includes('[:')) {
      throw new GlobSyntaxError(
        'POSIX classes such as [[:alpha:]] are not supported: write ranges, e.g. [a-zA-Z]',
      );
    }
    const ranges: number[] = [];
    let first = true;
    while (j < end || (first && s[j] === ']')) {
      first = false;
      let from = s.charCodeAt(j);
      if (s[j] === '\\') from = s.charCodeAt(++j);
      j++;
      let to = from;
      if (s[j] === '-' && j + 1 < end) {
        j++;
        to = s[j] === '\\' ? s.charCodeAt(++j) : s.charCodeAt(j);
        j++;
        if (to < from) {
          throw new GlobSyntaxError(
            `range ${String.fromCharCode(from)}-${String.fromCharCode(to)} is reversed`,
          );
        }
      }
      ranges.push(from, to);
    }
    nodes.push({ t: 'class', ranges, negated });
    this.i = end + 1;
  }

  private braces(nodes: GlobNode[], depth: number): void {
    if (depth >= MAX_BRACE_DEPTH) throw new GlobSyntaxError(`braces nest deeper than ${MAX_BRACE_DEPTH}`);
    const { s } = this;
    const open = this.i++;
    const alts: GlobNode[][] = [];
    for (;;) {
      alts.push(this.sequence(depth + 1));
      const c = s[this.i];
      if (c === undefined) throw new GlobSyntaxError('unbalanced "{": close it with "}" or escape it as \\{');
      this.i++;
      if (c === '}') break;
    }
    const [only] = alts;
    if (alts.length === 1 && only !== undefined) {
      // A brace without a comma is literal text around its (still active) content.
      nodes.push({ t: 'char', code: s.charCodeAt(open) }, ...only, { t: 'char', code: 0x7d });
      return;
    }
    nodes.push({ t: 'alt', alts });
  }
}

/** Index of the `]` closing a class opened at `open`, or -1 when it is not a class. */
function classEnd(s: string, open: number): number {
  let i = open + 1;
  if (s[i] === '!' || s[i] === '^') i++;
  if (s[i] === ']') i++; // a leading ] is literal
  for (; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === ']') return i;
  }
  return -1;
}
