import picomatch from 'picomatch';

/**
 * How `*` behaves in a pattern (docs/ §4).
 *
 * - `flat`: shell command lines, SQL names, identities, target and operation names. `*` matches
 *   any run of characters, including `/`, `.`, spaces and newlines; `?` any one character.
 * - `path`: Kubernetes resources, with picomatch's own semantics (`dot: true`): `*` stays inside
 *   one `/`-separated segment and `**` crosses segments.
 */
export type GlobFlavour = 'flat' | 'path';

/** A compiled pattern (or list of patterns): true when the input matches. */
export type Matcher = (input: string) => boolean;

/** A pattern that cannot be compiled; the message says why. */
export class GlobSyntaxError extends TypeError {}

// Brace expansion multiplies; a policy pattern never needs more than this many alternatives,
// and the bound keeps a hostile or mistaken pattern from exhausting memory at load.
const MAX_ALTERNATIVES = 256;

const STAR = 0;
const ANY = 1;
const CHAR = 2;
const CLASS = 3;

interface Token {
  readonly kind: typeof STAR | typeof ANY | typeof CHAR | typeof CLASS;
  /** CHAR: the UTF-16 code unit. */
  readonly code: number;
  /** CLASS: inclusive [from, to] code-unit ranges. */
  readonly ranges: readonly number[];
  readonly negated: boolean;
}

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
  if (flavour === 'path') return !picomatch.scan(pattern).isGlob && !pattern.includes('\\');
  return !/[*?[\]{}\\]/.test(pattern) && !pattern.startsWith('!');
}

/**
 * Compiles one glob into a matcher, once, so matching does no parsing.
 *
 * Flat syntax: `*` (any run, `**` is the same), `?` (one character), `[abc]`, `[a-z]`,
 * `[!x]`/`[^x]`, `{a,b}` alternatives (nestable), `\` escapes the next character, and a
 * leading `!` negates the whole pattern. Path syntax is picomatch's with `dot: true`.
 *
 * Flat matching runs in O(pattern × input) time whatever the pattern (no regular expression,
 * so no catastrophic backtracking on long command lines).
 *
 * @example
 * ```ts
 * compileGlob('rm -rf /*', 'flat')('rm -rf /etc/passwd'); // true
 * compileGlob('namespaces/*\/secrets/**', 'path')('namespaces/prod/secrets/db'); // true
 * ```
 * @throws {GlobSyntaxError} for an empty pattern, unbalanced braces, or a pattern picomatch rejects.
 */
export function compileGlob(pattern: string, flavour: GlobFlavour): Matcher {
  if (pattern.length === 0) throw new GlobSyntaxError('a pattern cannot be empty');
  if (flavour === 'path') {
    try {
      const m = picomatch(pattern, { dot: true, strictBrackets: true });
      return (input) => m(input);
    } catch (cause) {
      throw new GlobSyntaxError(`invalid pattern: ${cause instanceof Error ? cause.message : String(cause)}`);
    }
  }
  let body = pattern;
  let negated = false;
  if (body.startsWith('!') && body.length > 1) {
    negated = true;
    body = body.slice(1);
  }
  const alternatives = expandBraces(body);
  const matchers = alternatives.map((alt) => compileFlat(tokenize(alt)));
  const [only] = matchers;
  const any: Matcher =
    matchers.length === 1 && only !== undefined ? only : (input) => matchers.some((m) => m(input));
  return negated ? (input) => !any(input) : any;
}

/**
 * Compiles a list of patterns into one matcher that is true when any pattern matches. Literal
 * patterns are looked up in a set.
 *
 * @example
 * ```ts
 * compileGlobList(['analysts', 'sre-*'], 'flat')('sre-oncall'); // true
 * ```
 * @throws {GlobSyntaxError} when a pattern cannot be compiled.
 */
export function compileGlobList(patterns: readonly string[], flavour: GlobFlavour): Matcher {
  const literals = new Set<string>();
  const globs: Matcher[] = [];
  for (const p of patterns) {
    if (isLiteralPattern(p, flavour)) literals.add(p);
    else globs.push(compileGlob(p, flavour));
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

/** Expands `{a,b}` alternatives (nested allowed); `\` escapes are kept for the tokenizer. */
function expandBraces(pattern: string): string[] {
  const open = findUnescaped(pattern, '{', 0);
  if (open < 0) {
    if (findUnescaped(pattern, '}', 0) >= 0) {
      throw new GlobSyntaxError('unbalanced "}": escape it as \\} to match it literally');
    }
    return [pattern];
  }
  // Find the matching close brace and the top-level commas between.
  let depth = 0;
  const commas: number[] = [];
  let close = -1;
  for (let i = open; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      const end = classEnd(pattern, i);
      if (end > 0) {
        i = end;
        continue;
      }
    }
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) {
        close = i;
        break;
      }
    } else if (c === ',' && depth === 1) commas.push(i);
  }
  if (close < 0) throw new GlobSyntaxError('unbalanced "{": close it with "}" or escape it as \\{');
  const head = pattern.slice(0, open);
  const tails = expandBraces(pattern.slice(close + 1));
  const parts: string[] = [];
  let start = open + 1;
  for (const comma of [...commas, close]) {
    parts.push(pattern.slice(start, comma));
    start = comma + 1;
  }
  const out: string[] = [];
  for (const part of parts) {
    for (const inner of expandBraces(part)) {
      for (const tail of tails) {
        out.push(commas.length === 0 ? `${head}\\{${inner}\\}${tail}` : head + inner + tail);
        if (out.length > MAX_ALTERNATIVES) {
          throw new GlobSyntaxError(`braces expand to more than ${MAX_ALTERNATIVES} alternatives`);
        }
      }
    }
  }
  return out;
}

function findUnescaped(s: string, ch: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '[') {
      const end = classEnd(s, i);
      if (end > 0) i = end;
    } else if (s[i] === ch) return i;
  }
  return -1;
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

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  const none: readonly number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '*') {
      if (tokens.at(-1)?.kind !== STAR) tokens.push({ kind: STAR, code: 0, ranges: none, negated: false });
    } else if (c === '?') {
      tokens.push({ kind: ANY, code: 0, ranges: none, negated: false });
    } else if (c === '\\') {
      if (i + 1 >= pattern.length) throw new GlobSyntaxError('a pattern cannot end with "\\"');
      tokens.push({ kind: CHAR, code: pattern.charCodeAt(++i), ranges: none, negated: false });
    } else if (c === '[' && classEnd(pattern, i) > 0) {
      const end = classEnd(pattern, i);
      let j = i + 1;
      let negated = false;
      if (pattern[j] === '!' || pattern[j] === '^') {
        negated = true;
        j++;
      }
      const ranges: number[] = [];
      let first = true;
      while (j < end || (first && pattern[j] === ']')) {
        first = false;
        let from = pattern.charCodeAt(j);
        if (pattern[j] === '\\') from = pattern.charCodeAt(++j);
        j++;
        let to = from;
        if (pattern[j] === '-' && j + 1 < end) {
          j++;
          to = pattern[j] === '\\' ? pattern.charCodeAt(++j) : pattern.charCodeAt(j);
          j++;
          if (to < from) {
            throw new GlobSyntaxError(
              `range ${String.fromCharCode(from)}-${String.fromCharCode(to)} is reversed`,
            );
          }
        }
        ranges.push(from, to);
      }
      tokens.push({ kind: CLASS, code: 0, ranges, negated });
      i = end;
    } else {
      tokens.push({ kind: CHAR, code: pattern.charCodeAt(i), ranges: none, negated: false });
    }
  }
  return tokens;
}

function compileFlat(tokens: readonly Token[]): Matcher {
  const n = tokens.length;
  const simple = tokens.every((t) => t.kind === CHAR || t.kind === STAR);
  if (simple) {
    const stars = tokens.filter((t) => t.kind === STAR).length;
    const text = (from: number, to: number): string =>
      String.fromCharCode(...tokens.slice(from, to).map((t) => t.code));
    if (stars === 0) {
      const lit = text(0, n);
      return (input) => input === lit;
    }
    if (stars === 1 && n === 1) return () => true;
    const firstIsStar = tokens[0]?.kind === STAR;
    const lastIsStar = tokens.at(-1)?.kind === STAR;
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
  }
  return (input) => matchTokens(tokens, input);
}

// Wildcard matching with one backtrack point: each non-star token consumes exactly one code
// unit, so the last star seen is the only choice worth revisiting. O(tokens × input).
function matchTokens(tokens: readonly Token[], input: string): boolean {
  const m = tokens.length;
  const n = input.length;
  let p = 0;
  let s = 0;
  let starP = -1;
  let starS = 0;
  while (s < n) {
    const t = tokens[p];
    if (t !== undefined && t.kind !== STAR && matchOne(t, input.charCodeAt(s))) {
      p++;
      s++;
    } else if (t !== undefined && t.kind === STAR) {
      starP = p++;
      starS = s;
    } else if (starP >= 0) {
      p = starP + 1;
      s = ++starS;
    } else {
      return false;
    }
  }
  while (p < m && tokens[p]?.kind === STAR) p++;
  return p === m;
}

function matchOne(t: Token, code: number): boolean {
  if (t.kind === CHAR) return t.code === code;
  if (t.kind === ANY) return true;
  let inside = false;
  const r = t.ranges;
  for (let i = 0; i < r.length; i += 2) {
    if (code >= (r[i] ?? Infinity) && code <= (r[i + 1] ?? -Infinity)) {
      inside = true;
      break;
    }
  }
  return inside !== t.negated;
}
