// How a built-in detector is written. Internal: only id, category and description are public.
//
// Two kinds of detector, both bounded so that a stream can hold back a bounded amount:
// - `keyword`: a cheap literal prefilter (the keywords) finds hits; the pattern is then tried
//   once, sticky, at the hit (or at the start of the run of `back.chars` just before it),
//   inside a window of `maxLength` characters plus LOOKBEHIND/LOOKAHEAD context. The window
//   is part of the definition: whole-text and streamed masking see exactly the same window.
// - `scan`: a global regex over the text for formats without a literal anchor (cards, IBANs,
//   SSNs, …); every attempt reads at most `maxLength` + LOOKAHEAD characters.
import type { DetectorCategory } from '../types.js';
import type { ExampleRng } from './example-rng.js';
import type { SeedSpec } from './seed-index.js';

/** Characters of context a pattern may read before its start (lookbehind). */
export const LOOKBEHIND = 32;
/** Characters a pattern may read after its end (lookahead). */
export const LOOKAHEAD = 8;

/** A test over one UTF-16 code unit. */
export type CharTest = (code: number) => boolean;

/** A positive example: a text and the exact secret inside it that must be masked. */
export type PositiveExample = (rng: ExampleRng) => { readonly text: string; readonly secret: string };

interface DefinitionBase {
  readonly id: string;
  readonly category: DetectorCategory;
  readonly description: string;
  /**
   * The pattern. Named groups listed in `secretGroups` (the first that matched) give the
   * part to mask; without them the whole match is masked. Flags: `y` + `d` for keyword
   * detectors, `g` + `d` for scan detectors.
   */
  readonly pattern: RegExp;
  readonly secretGroups?: readonly string[];
  /** The longest match, in characters. */
  readonly maxLength: number;
  /** Extra checks on a match (checksums, placeholders, key names). */
  readonly validate?: (secret: string, match: RegExpExecArray) => boolean;
  /**
   * `false`: a match is never let through as a documentation stand-in (see
   * {@link isExampleToken}). For blocks such as private keys, whose match runs over whatever
   * follows a block cut short (`... (truncated)`, a line that says `example.com`): that text
   * is not the key, and judging it would leak the key. Default: secrets are judged.
   */
  readonly standIns?: false;
  /**
   * For detectors that recognise `key = value` pairs: whether a structured value under a key
   * (a JSON field, a column) is this kind of secret. Split so the key check can be cached.
   */
  readonly keyValue?: {
    readonly acceptsKey: (key: string) => boolean;
    readonly acceptsValue: (value: string) => boolean;
  };
  readonly positives: readonly PositiveExample[];
  /** Benign texts that must come out unchanged. */
  readonly negatives: readonly string[];
}

/** A detector anchored on literal keywords. */
export interface KeywordDefinition extends DefinitionBase {
  readonly kind: 'keyword';
  readonly keywords: readonly string[];
  readonly ignoreCase: boolean;
  /** The match may start up to `max` characters before the keyword, over a run of `chars`. */
  readonly back?: { readonly max: number; readonly chars: CharTest };
  /** How far before the keyword the masked part may start (0 unless it covers `back`). */
  readonly maskBack: number;
  /** Every character a match may hold after its keyword (used by the idle flush). */
  readonly charset: CharTest;
  /**
   * Tests on the text around a keyword that every match there passes (see {@link KeywordGuard});
   * they apply only while `guard.pattern` is `pattern` (a detector that replaces the pattern
   * token() made keeps a guard that no longer speaks for it).
   */
  readonly guard?: KeywordGuard;
  /**
   * How many characters the pattern may read from the first character it cannot hold
   * (lookaheads after the match; default 1). Used by the idle flush.
   */
  readonly ahead?: number;
  /**
   * For patterns with structure (spaces, separators): given the text from the match start to
   * the end of what is known, the offset from which secret characters could still appear,
   * or -1 when no continuation can change the outcome. Must over-approximate.
   */
  readonly viable?: (tail: string) => number;
  /**
   * For a secret longer than the window lets a match be (a Kubernetes Secret's data block past
   * sixteen entries, or with a value past 4 KiB): after each match, `key(m)` names what ties the
   * text after it to the same secret (undefined: nothing does). `extend(text, key)` is then given
   * the text from the match's end, a window of `maxLength` + LOOKAHEAD characters (less where the
   * input ends first), and says which of its characters go on with the secret: they are masked
   * from `start` to `end` (none where `end` is 0), and what follows is asked the same, so a
   * secret of any length is masked whole, a window at a time, without a longer hold-back.
   */
  readonly continuation?: Continuation;
}

/** How a keyword detector's secret goes on past its window (see KeywordDefinition.continuation). */
export interface Continuation {
  readonly key: (m: RegExpExecArray) => string | undefined;
  readonly extend: (text: string, key: string) => { readonly start: number; readonly end: number };
}

/**
 * What a pattern that begins at its keyword says about the characters around it, checked on
 * the text before the pattern runs: a keyword that fails a test cannot start a match there
 * (`pat` in `path=`, `SK` in `SKU-`, `ip` in `shipped`). Derived from the pattern by
 * {@link token}; each test holds for every match.
 */
export interface KeywordGuard {
  /** The pattern the tests were read from: they hold only while it is the detector's pattern. */
  readonly pattern: RegExp;
  /** Characters that may not come just before the keyword (the pattern's lookbehind)... */
  readonly before?: CharTest;
  /** ...unless they end an escape (`%3D`, `\n`, `\u003d`: see {@link boundaryBefore}). */
  readonly escapes: boolean;
  /** The characters the part after the keyword may start with. */
  readonly first?: CharTest;
  /** The code unit `at` places after the keyword's end, where the pattern has a literal. */
  readonly literal?: { readonly at: number; readonly code: number };
}

/**
 * Whether a keyword of `length` code units at `p` in `text` passes `guard`. Characters not in
 * `text` (before its start, past its end: a stream may not have them yet) pass every test.
 */
export function guardPasses(guard: KeywordGuard, text: string, p: number, length: number): boolean {
  const { before, first, literal } = guard;
  if (before !== undefined && p > 0 && before(text.charCodeAt(p - 1))) {
    if (!guard.escapes || !mayEndEscape(text, p)) return false;
  }
  const q = p + length;
  if (first !== undefined && q < text.length && !first(text.charCodeAt(q))) return false;
  if (
    literal !== undefined &&
    q + literal.at < text.length &&
    text.charCodeAt(q + literal.at) !== literal.code
  )
    return false;
  return true;
}

const isHex = (c: number): boolean => (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 102);

// Whether the text just before `p` may be the end of an escape (ESCAPE_END, in either case:
// a pattern that ignores case reads it so); true where the characters it would take are not
// all in `text`.
function mayEndEscape(text: string, p: number): boolean {
  if (p < 6) return true;
  const c1 = text.charCodeAt(p - 1);
  const c2 = text.charCodeAt(p - 2);
  if (text.charCodeAt(p - 3) === 0x25 && isHex(c2) && isHex(c1)) return true;
  if (c2 === 0x5c && 'nrtbf'.includes(String.fromCharCode(c1 | 0x20))) return true;
  return (
    text.charCodeAt(p - 6) === 0x5c &&
    (text.charCodeAt(p - 5) | 0x20) === 0x75 &&
    isHex(text.charCodeAt(p - 4)) &&
    isHex(text.charCodeAt(p - 3)) &&
    isHex(c2) &&
    isHex(c1)
  );
}

// The guard a token's pattern `pre (?:keywords) body post` implies, where the match starts
// at the keyword (no `back`): from `pre` when it is a plain lookbehind on one class or
// boundaryBefore of one; from `body` when it has no alternation at its top level and begins
// with a class repeated at least once (then, if exactly n times and followed by a literal
// character, that character n places on).
function tokenGuard(
  pattern: RegExp,
  pre: string,
  body: string,
  ignoreCase: boolean,
): KeywordGuard | undefined {
  const flags = ignoreCase ? 'i' : '';
  const CLASS = '\\[((?:\\\\.|[^\\]\\\\])+)\\]';
  let before: CharTest | undefined;
  let escapes = false;
  const plain = new RegExp(`^\\(\\?<!${CLASS}\\)$`).exec(pre);
  const escaped = new RegExp(`^\\(\\?:\\(\\?<!${CLASS}\\)\\|`).exec(pre);
  if (plain?.[1] !== undefined) {
    before = charTest(new RegExp(`[${plain[1]}]`, flags), true);
  } else if (escaped?.[1] !== undefined && pre === boundaryBefore(escaped[1])) {
    before = charTest(new RegExp(`[${escaped[1]}]`, flags), true);
    escapes = true;
  }
  let first: CharTest | undefined;
  let literal: KeywordGuard['literal'];
  const lead = new RegExp(`^${CLASS}(?:\\{([0-9]+)(,[0-9]*)?\\}|\\+)`).exec(body);
  if (
    lead?.[1] !== undefined &&
    !hasTopLevelAlternation(body) &&
    (lead[2] === undefined || Number(lead[2]) >= 1)
  ) {
    first = charTest(new RegExp(`[${lead[1]}]`, flags), true);
    // an exact count, then one literal punctuation character that no quantifier follows
    const rest = body.slice(lead[0].length);
    const lit = /^(?:\\([^A-Za-z0-9])|([_:~=@/-]))(?![?*+{])/.exec(rest);
    const ch = lit?.[1] ?? lit?.[2];
    if (lead[2] !== undefined && lead[3] === undefined && ch !== undefined)
      literal = { at: Number(lead[2]), code: ch.charCodeAt(0) };
  }
  if (before === undefined && first === undefined) return undefined;
  return {
    pattern,
    ...(before === undefined ? {} : { before }),
    escapes,
    ...(first === undefined ? {} : { first }),
    ...(literal === undefined ? {} : { literal }),
  };
}

// Whether a regex source has a `|` outside every group and class.
function hasTopLevelAlternation(source: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}

/** A detector without a literal anchor, tried where the character-class pre-pass says it may start. */
export interface ScanDefinition extends DefinitionBase {
  readonly kind: 'scan';
  /** Every character a match may hold. */
  readonly charset: CharTest;
  /** Where a match can start (see seed-index.ts). */
  readonly seed: SeedSpec;
}

export type DetectorDefinition = KeywordDefinition | ScanDefinition;

/**
 * Builds a {@link CharTest} from a RegExp character class such as `/[A-Za-z0-9_-]/`. By default
 * every non-ASCII code unit counts as in the class when `é` or `中` is (an over-approximation,
 * as the idle flush needs); with `exact`, each code unit is tested (for the run before a
 * keyword, which must stop where the pattern's class does).
 */
export function charTest(cls: RegExp, exact = false): CharTest {
  const table = new Uint8Array(128);
  for (let c = 0; c < 128; c++) table[c] = cls.test(String.fromCharCode(c)) ? 1 : 0;
  if (exact) return (code) => (code < 128 ? table[code] === 1 : cls.test(String.fromCharCode(code)));
  const nonAscii = cls.test('\u00e9') || cls.test('\u4e2d');
  return (code) => (code < 128 ? table[code] === 1 : nonAscii);
}

export const ALNUM = charTest(/[A-Za-z0-9]/);

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

// The end of an escape sequence: percent-encoding (`%3D`) and JSON/C string escapes (`\n`,
// `\t`, `\u003d`). A token right after one is at a word boundary in the decoded text.
const ESCAPE_END = '(?<=%[0-9A-Fa-f]{2}|\\\\[nrtbf]|\\\\u[0-9A-Fa-f]{4})';

/**
 * Regex source for "not preceded by a character of `cls`" (a class body such as `A-Za-z0-9_`),
 * where the last character of an escape (`%3D`, `\n`, `\u003d`) does not count: tokens in
 * URL-encoded query strings and JSON-escaped log lines start right after such an escape.
 */
export function boundaryBefore(cls: string): string {
  return `(?:(?<![${cls}])|${ESCAPE_END})`;
}

/** Wraps a bare secret as a positive example in neutral surrounding text. */
export function plain(make: (rng: ExampleRng) => string): PositiveExample {
  return (rng) => {
    const secret = make(rng);
    return { text: `found ${secret} here`, secret };
  };
}

interface TokenSpec {
  readonly id: string;
  readonly category?: DetectorCategory;
  readonly description: string;
  readonly keywords: readonly string[];
  readonly ignoreCase?: boolean;
  /** Regex source after the keyword. */
  readonly body: string;
  /** The most characters `body` can match. */
  readonly bodyMax: number;
  /** Characters the body may hold, as a class such as `[A-Za-z0-9_-]`. */
  readonly charset: RegExp;
  /** Regex source before the keyword (default: no letter or digit just before). */
  readonly pre?: string;
  /** Regex source after the body (default: no letter or digit just after). */
  readonly post?: string;
  /** Mask only the body, not the keyword (for `AccountKey=`-style anchors). */
  readonly bodyOnly?: boolean;
  /** The body holds its own `(?<secret>…)` group: mask only that. */
  readonly secretInBody?: boolean;
  readonly back?: { readonly max: number; readonly chars: RegExp };
  readonly validate?: (secret: string, match: RegExpExecArray) => boolean;
  /** See DefinitionBase.standIns. */
  readonly standIns?: false;
  readonly viable?: (tail: string) => number;
  readonly ahead?: number;
  readonly positives: readonly PositiveExample[];
  readonly negatives: readonly string[];
}

/** A token with a documented literal prefix (or another literal anchor). */
export function token(spec: TokenSpec): KeywordDefinition {
  const keywords = [...spec.keywords].sort((a, b) => b.length - a.length);
  const alternation = keywords.map(escapeRegExp).join('|');
  const pre = spec.pre ?? boundaryBefore('A-Za-z0-9');
  const post = spec.post ?? '(?![A-Za-z0-9])';
  const body = spec.bodyOnly === true ? `(?<secret>${spec.body})` : spec.body;
  const flags = spec.ignoreCase === true ? 'ydi' : 'yd';
  const backMax = spec.back?.max ?? 0;
  const longestKeyword = Math.max(...keywords.map((k) => k.length));
  const pattern = new RegExp(`${pre}(?:${alternation})${body}${post}`, flags);
  const guard =
    spec.back === undefined ? tokenGuard(pattern, pre, spec.body, spec.ignoreCase === true) : undefined;
  return {
    kind: 'keyword',
    id: spec.id,
    category: spec.category ?? 'secret',
    description: spec.description,
    keywords,
    ignoreCase: spec.ignoreCase === true,
    ...(spec.back === undefined
      ? {}
      : { back: { max: spec.back.max, chars: charTest(spec.back.chars, true) } }),
    maskBack: spec.bodyOnly === true || spec.secretInBody === true ? 0 : backMax,
    pattern,
    ...(spec.bodyOnly === true || spec.secretInBody === true ? { secretGroups: ['secret'] } : {}),
    maxLength: backMax + longestKeyword + spec.bodyMax,
    charset: charTest(spec.charset),
    ...(guard === undefined ? {} : { guard }),
    ...(spec.validate === undefined ? {} : { validate: spec.validate }),
    ...(spec.standIns === undefined ? {} : { standIns: spec.standIns }),
    ...(spec.viable === undefined ? {} : { viable: spec.viable }),
    ...(spec.ahead === undefined ? {} : { ahead: spec.ahead }),
    positives: spec.positives,
    negatives: spec.negatives,
  };
}

/** A pattern that is not anchored on a literal (checked by a validator). */
export function scan(spec: {
  readonly id: string;
  readonly category: DetectorCategory;
  readonly description: string;
  readonly pattern: string;
  readonly maxLength: number;
  readonly charset: RegExp;
  readonly validate?: (secret: string, match: RegExpExecArray) => boolean;
  /**
   * Where a match can start: its first character, what may not come just before it (the
   * pattern's lookbehind), and the run of characters every match begins with.
   */
  readonly seed: {
    readonly first: RegExp;
    readonly notAfter: RegExp;
    readonly run: RegExp;
    readonly min: number;
    readonly accept?: (length: number, next: number) => boolean;
    /**
     * Classes of the characters at offsets 1, 2, … from the start that every match has (a
     * prefix of the pattern), such as "4 digits, then a digit, space or dash" for cards.
     */
    readonly shape?: readonly RegExp[];
  };
  readonly positives: readonly PositiveExample[];
  readonly negatives: readonly string[];
}): ScanDefinition {
  return {
    kind: 'scan',
    id: spec.id,
    category: spec.category,
    description: spec.description,
    pattern: new RegExp(spec.pattern, 'gd'),
    maxLength: spec.maxLength,
    charset: charTest(spec.charset),
    seed: {
      first: charTest(spec.seed.first, true),
      notAfter: charTest(spec.seed.notAfter, true),
      run: charTest(spec.seed.run),
      min: spec.seed.min,
      ...(spec.seed.accept === undefined ? {} : { accept: spec.seed.accept }),
      ...(spec.seed.shape === undefined ? {} : { shape: spec.seed.shape.map((c) => charTest(c, true)) }),
    },
    ...(spec.validate === undefined ? {} : { validate: spec.validate }),
    positives: spec.positives,
    negatives: spec.negatives,
  };
}

// ---- `key = value` assignments (env files, JSON, YAML, TOML, code, headers) ----

const KEY_CHARS = /[A-Za-z0-9_.-]/;
const KEY_CHAR = charTest(KEY_CHARS, true);

// Whether every key `key` accepts holds one of `keywords` followed by another character of the
// key: its source is a keyword (no quantifier on its last letter) then a part that cannot be
// empty, with no alternation at its top level. Then a keyword that ends its key (`search,`)
// never needs its pattern run: a match there starts where that other keyword's hit starts it
// (the back run reaches the key's start from both, or from neither, and then the pattern's
// lookbehind fails).
function keywordInsideKey(key: RegExp, keywords: readonly string[]): boolean {
  if (hasTopLevelAlternation(key.source)) return false;
  return keywords.some((k) => {
    const lead = escapeRegExp(k.toLowerCase());
    if (!key.source.startsWith(lead)) return false;
    const rest = key.source.slice(lead.length);
    return !/^[?*+{]/.test(rest) && !new RegExp(`^(?:${rest})$`, key.flags).test('');
  });
}
const GENERIC_QUOTED = (q: string): string => `(?:[^${q}\\\\\\r\\n]|\\\\.){1,1024}`;
// A bare value ends before a JSON escape (`\n`, `\"`): in a JSON-escaped log line the next
// characters are the next line or the closing quote, not the secret.
// Words of a line-start INI value with spaces (`password = correct horse battery`): no quotes,
// brackets or separators, so code (`password = get(x)`) is not read as one.
const INI_WORDS = '[^\\s"\'`()\\[\\]{}=;,<>]{1,256}(?:[ \\t]{1,4}[^\\s"\'`()\\[\\]{}=;,<>]{1,256}){1,16}';
// The lines of a YAML block scalar: the first up to 1024 characters, then up to 15 more lines
// at the same indentation.
const YAML_BLOCK =
  '[^\\s](?:[^\\r\\n]{0,1022}[^\\s])?(?:\\r?\\n\\k<ind>[^\\s](?:[^\\r\\n]{0,254}[^\\s])?){0,15}';
const GENERIC_BARE = '(?:[^\\s"\'`,;&<>()\\[\\]\\\\]|\\\\(?![nrt"])){1,1024}';
// A value quoted with escaped quotes, as in JSON inside a JSON string (`{\"password\":\"…\"}`).
const ESCAPED_QUOTED = '(?:[^"\\\\\\r\\n]|\\\\(?!")){1,1024}';

// A string is a viable prefix of an assignment when it could still grow into one; group `v`
// marks where the value (the secret) would begin. Unbounded counts over-approximate. The type
// annotation is lazy so that `password: abc` is read as a separator and a value first.
const ASSIGNMENT_PREFIX =
  /^[A-Za-z0-9_.-]*(?:\\?["'`]?\]?)?(?:(?:[ \t]*:[ \t]*|[ \t]+)(?<t>)(?:&(?:'static[ \t]*)?)?[A-Za-z]*)??[ \t]*(?:(?:=>?|::?=?|\?=?|\.=?|\+=?|\||,)[ \t]*(?<v>)(?:[|>][-+0-9]*[ \t]*(?:\r?\n[\s\S]*)?|[^\r\n]*)|>(?<w>)[\s\S]*|[ \t]+v(?:a(?:l(?:u(?:e(?:=(?<x>)[^\r\n]*)?)?)?)?)?|[ \t]*\{(?<h>)[\s\S]*)?$/d;

/** The idle-flush viability of an assignment: where its value could start, or -1. */
export function assignmentViable(tail: string): number {
  const m = ASSIGNMENT_PREFIX.exec(tail);
  if (m === null) return -1;
  const g = m.indices?.groups;
  const v = g?.['v'] ?? g?.['w'] ?? g?.['x'] ?? g?.['h'];
  const at = v === undefined ? tail.length : v[0];
  // A word read here as a type annotation (`password: string = …`) may turn out to be the
  // value itself once the line goes on (`Password: AKIA… {…}`): it could be the secret, so it is
  // held from where it starts.
  const t = g?.['t'];
  return t === undefined ? at : Math.min(at, t[0]);
}

/** Normalises a key for matching: camelCase and `.`/`-` become `_`, lower case. */
export function normaliseKey(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[.\- ]/g, '_')
    .toLowerCase();
}

const PLACEHOLDER =
  /^(?:null|nil|none|undefined|true|false|yes|no|on|off|n\/a|\*+|•+|-+|\.+|\?|~|\$\d+|:[A-Za-z_]\w*|@[A-Za-z_]\w*|\$[A-Za-z_]\w*|%\([^)]*\)s|<[^>]*>|\{[A-Za-z_][\w.-]*\}|\[[A-Za-z_][\w .-]*\]|@@[\w.-]+@@|__[A-Za-z][\w.-]*__|![A-Za-z]\w*(?:[ \t]+[|>][-+]?)?)$/i;
const TEMPLATE = /^(?:\$\{|\$\(|\{\{|\{%|\[redacted|\[hash:|#\{)/i;
// Words that say a value was taken out (`REDACTED`, `***masked***`, `<hidden>`), runs of x
// (`xxxxxxxx`) and Windows environment references (`%DB_PASSWORD%`).
const REMOVED =
  /^(?:[*[<(]{0,3}(?:redacted|hidden|masked|removed|omitted|filtered|sanitized|scrubbed)[*\]>)]{0,3}|x{3,64}|%[A-Za-z_]\w{0,63}%)$/i;
// Words people write where a value goes: `changeme`, `password`, `your_api_key`, `replace-me`.
const STAND_IN_WORD =
  /^(?:password|passwd|pass|secret|token|changeme|changeit|foobar|username|user|admin|root|default|example|sample|dummy|fake|test|testing|demo|placeholder|todo|tbd|fixme|empty|blank|unset|notset|nothing)$/i;
const STAND_IN_PHRASE =
  /^(?:[Yy]our|YOUR|[Mm]y|MY|[Ss]ome|[Tt]he|[Ee]nter|[Ii]nsert|[Pp]ut|[Rr]eplace|REPLACE|[Ee]xample|[Ss]ample|[Dd]ummy|[Ff]ake|[Pp]laceholder)(?:[-_ .][A-Za-z]+|[A-Z][a-z]+){1,6}$/;
// Upper-case identifiers (`K8S_CRED`, `DB_PASSWORD`): names of variables and credentials.
const CONSTANT_NAME = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;

/**
 * Whether a token is a documentation example or a placeholder rather than a secret: it says
 * EXAMPLE, is a run of one character (`xxxxxx`, `00000000`), counts up (`12345678`,
 * `abcdefgh`), was cut short (`sk-...`), or holds a stand-in word set off by `-`, `_` or `.`
 * (`your-token-here`, `not_a_real_key`), which random tokens of letters and digits cannot.
 */
export function isExampleToken(token: string): boolean {
  if (token.length > 512) return false;
  if (token.includes('EXAMPLE') || (token.includes('xample') && /[Ee]xample/.test(token))) return true;
  if (token.includes('...') || token.includes('\u2026')) return true;
  // One pass for the runs: counting up, one letter or digit repeated, x or * (checked per
  // character: cheaper than a pattern with a backreference on every candidate).
  let up = 1;
  let same = 1;
  let crossed = 0;
  let before = -2;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    up = c === before + 1 ? up + 1 : 1;
    same = c === before && c < 128 && ALNUM(c) ? same + 1 : 1;
    crossed = c === 0x78 || c === 0x58 || c === 0x2a ? crossed + 1 : 0;
    if (up >= 8 || same >= 8 || crossed >= 6) return true;
    before = c;
  }
  return /(?:^|[-_.])(?:your|not[-_]?a[-_]?real|fake|dummy|placeholder|sample|changeme|insert|replace)(?:[-_.]|$)|[-_](?:here|goes[-_]?here)$/i.test(
    token,
  );
}

const DOTTED_IDENTIFIER = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;
const TYPE_WORDS = new Set([
  'string',
  'number',
  'boolean',
  'bool',
  'str',
  'int',
  'integer',
  'float',
  'bytes',
  'any',
  'object',
  'text',
  'varchar',
  'char',
  'optional',
  'required',
  'secret',
  'password',
  'token',
  // code, not values: `password = await read()`, `token: this.token`
  'await',
  'new',
  'this',
  'self',
  'function',
  'lambda',
  'yield',
  'typeof',
  'require',
  'import',
  'return',
]);

/** Whether an assignment's value is a placeholder, a reference or code rather than a secret. */
export function isPlaceholderValue(value: string, bare: boolean): boolean {
  if (value.length === 0 || PLACEHOLDER.test(value) || TEMPLATE.test(value) || REMOVED.test(value))
    return true;
  if (
    STAND_IN_WORD.test(value) ||
    STAND_IN_PHRASE.test(value) ||
    CONSTANT_NAME.test(value) ||
    isExampleToken(value)
  )
    return true;
  if (bare && (DOTTED_IDENTIFIER.test(value) || TYPE_WORDS.has(value.toLowerCase()))) return true;
  return false;
}

interface AssignmentSpec {
  readonly id: string;
  readonly description: string;
  /** Literal keywords (case-insensitive) that must appear in the key. */
  readonly keywords: readonly string[];
  /** Over the normalised key: which keys hold this secret. */
  readonly key: RegExp;
  /** Over the normalised key: keys that merely describe the secret (`password_file`). */
  readonly notKey?: RegExp;
  /** Regex source of the value; default: any quoted string or a bare word. */
  readonly value?: string;
  /** A check on the value (after placeholders are excluded). */
  readonly valueCheck?: (value: string) => boolean;
  /** Also accept `key | value` (CLI table output), with up to 40 spaces of padding. */
  readonly table?: boolean;
  readonly positives: readonly PositiveExample[];
  readonly negatives: readonly string[];
}

/** A `key = value` detector: env files, JSON, YAML, TOML, code and headers. */
export function assignment(spec: AssignmentSpec): KeywordDefinition {
  const dq = spec.value ?? GENERIC_QUOTED('"');
  const sq = spec.value ?? GENERIC_QUOTED("'");
  const bare = spec.value === undefined ? GENERIC_BARE : `${spec.value}(?![A-Za-z0-9/+=_-])`;
  const eq = spec.value ?? ESCAPED_QUOTED;
  const xml = spec.value ?? '[^<\\s](?:[^<\\r\\n]{0,1022}[^<\\s])?';
  const separator =
    '[ \\t]{0,4}(?:=>|::=|:=|\\?=|\\.=|\\+=|[:=])[ \\t]{0,4}' +
    (spec.table === true ? '|[ \\t]{0,40}\\|[ \\t]{0,40}' : '') +
    // a call's first two arguments: setProperty("X_TOKEN", "…"), define('DB_PASSWORD', '…')
    '|(?<=\\([ \\t]{0,4}["\'][A-Za-z0-9_.-]{1,80}["\'])[ \\t]{0,4},[ \\t]{0,4}';
  const value =
    `(?:"""(?<tq>${spec.value ?? '(?:[^"\\\\\\r\\n]|\\\\.){1,1024}'})"""` +
    `|'''(?<tsq>${spec.value ?? "[^'\\r\\n]{1,1024}"})'''` +
    `|"(?<dq>${dq})"|'(?<sq>${sq})'|\\\\"(?<eq>${eq})\\\\"` +
    `|\`(?<bq>${spec.value ?? '[^`\\r\\n]{1,1024}'})\`` +
    // a YAML block scalar (`key: |` or `key: >-`): its first lines at one indentation
    `|[|>][-+0-9]{0,2}[ \\t]{0,40}\\r?\\n(?<ind>[ \\t]{1,40})(?<yb>${spec.value ?? YAML_BLOCK})(?![^\\r\\n])` +
    // a line-start INI / properties / YAML value with spaces, to the end of the line
    (spec.value === undefined
      ? `|(?<=(?:^|[\\r\\n])[ \\t]{0,16}[A-Za-z0-9_.-]{1,80}(?:[ \\t]{1,4}=|[ \\t]{0,4}:)[ \\t]{1,4})(?<ini>${INI_WORDS})(?=[ \\t]{0,16}(?:[\\r\\n]|$))`
      : '') +
    `|(?<bare>${bare}))`;
  // The key: not part of a longer word (a key right after `\n` in a JSON-escaped line starts
  // after the `n`), and not a URL's user name (`https://user:token@…` is url-credentials').
  // Its closing quote may be escaped (`\"password\":`), and so may the value's quotes; it may
  // close an index (`$cfg['db_password'] =`, `ENV['API_TOKEN'] =`) or carry a type
  // (`var apiToken string =`, `val token: String =`, `const KEY: &str =`).
  const source =
    // (not a segment of an ARN either: arn:aws:secretsmanager:<region>:<account>:secret:name)
    '(?<![A-Za-z0-9_.-]|://|:[0-9]{12}:)(?:(?<=\\\\)[nrt])?(?<key>[A-Za-z0-9_.-]{1,80})(?:\\\\?["\']\\]?)?' +
    `(?:(?:[ \\t]{0,4}:[ \\t]{0,4}|[ \\t]{1,4})(?:&(?:'static[ \\t])?str|[Ss]tring|str)(?![A-Za-z0-9_]))?` +
    // a Spring default first: @Value("\${db.password:…}")
    `(?:(?<=\\$\\{[A-Za-z0-9_.-]{1,80}):(?<sd>${spec.value ?? '[^}\\s"\'`]{1,1024}'})\\}` +
    `|(?:${separator})${value}` +
    // …or an XML element: <password>…</password> (Maven settings.xml, app configs), also over lines
    `|(?<=<[A-Za-z0-9_.-]{1,80})>[ \\t\\r\\n]{0,64}(?<xml>${xml})[ \\t\\r\\n]{0,64}</\\k<key>>` +
    // …or an XML key/value pair: <add key="ApiKey" value="…" />
    `|(?<=key=\\\\?["'][A-Za-z0-9_.-]{1,80}["'])[ \\t]{1,8}value=["'](?<xa>${spec.value ?? '[^"\'<>\\r\\n]{1,1024}'})["']` +
    // …or a Terraform variable's default: variable "db_password" { … default = "…" }
    `|(?<=variable[ \\t]{1,4}"[A-Za-z0-9_.-]{1,80}")[ \\t]{0,4}\\{[^{}]{0,512}?(?<![A-Za-z0-9_])default[ \\t]{0,4}=[ \\t]{0,4}"(?<hcl>${dq})")`;
  const pattern = new RegExp(source, 'yd');
  const guard = keywordInsideKey(spec.key, spec.keywords)
    ? { pattern, escapes: false, first: KEY_CHAR }
    : undefined;
  const valuePattern = spec.value === undefined ? undefined : new RegExp(`^(?:${spec.value})$`);
  const keyOk = (key: string): boolean => {
    const k = normaliseKey(key);
    return spec.key.test(k) && !(spec.notKey?.test(k) ?? false);
  };
  const valueOk = (value: string, isBare: boolean): boolean =>
    !isPlaceholderValue(value, isBare) && (spec.valueCheck?.(value) ?? true);
  return {
    kind: 'keyword',
    id: spec.id,
    category: 'secret',
    description: spec.description,
    keywords: spec.keywords,
    ignoreCase: true,
    back: { max: 40, chars: charTest(KEY_CHARS) },
    maskBack: 0,
    pattern,
    ...(guard === undefined ? {} : { guard }),
    secretGroups: ['tq', 'tsq', 'dq', 'sq', 'eq', 'bq', 'yb', 'ini', 'bare', 'xml', 'xa', 'sd', 'hcl'],
    // escape letter, key, quote and bracket, type, separator (table: 40 + | + 40), then the
    // longest value form: a YAML block (indicator, 40 spaces, newline, 1024 + 15 lines of
    // 40 + 256), after a Terraform variable's 512 characters before its default.
    maxLength: 1 + 80 + 3 + 16 + 81 + 512 + 32 + 48 + 1024 + 15 * 300,
    charset: () => true,
    viable: assignmentViable,
    validate: (secret, m) => {
      const key = m.groups?.['key'] ?? '';
      const isBare = m.groups?.['bare'] !== undefined || m.groups?.['ini'] !== undefined;
      if (isBare) {
        // `password = getPassword()` and `token = obj[...]` are code, not values.
        const after = m.input.charCodeAt(m.index + m[0].length);
        if (after === 0x28 || after === 0x5b) return false;
      }
      return keyOk(key) && valueOk(secret, isBare);
    },
    keyValue: {
      acceptsKey: keyOk,
      acceptsValue: (value) => valueOk(value, false) && (valuePattern?.test(value) ?? value.length <= 4096),
    },
    positives: spec.positives,
    negatives: spec.negatives,
  };
}

/** A positive example `<key><sep><value>` where only the value is the secret. */
export function assigned(
  key: string,
  sep: string,
  make: (rng: ExampleRng) => string,
  quote = '',
): PositiveExample {
  return (rng) => {
    const secret = make(rng);
    return { text: `${key}${sep}${quote}${secret}${quote}\n`, secret };
  };
}

// ---- compact forms for the many vendor formats ----

/** A vendor token with a documented literal prefix, one generated example and literal negatives. */
export function prefixed(spec: {
  readonly id: string;
  readonly description: string;
  readonly keywords: readonly string[];
  /** Regex source after the prefix. */
  readonly body: string;
  readonly bodyMax: number;
  readonly charset: RegExp;
  /** A whole token, generated. */
  readonly example: (rng: ExampleRng) => string;
  readonly negatives?: readonly string[];
  readonly bodyOnly?: boolean;
  readonly ignoreCase?: boolean;
  /** Regex source before the prefix (default: no letter or digit just before). */
  readonly pre?: string;
}): KeywordDefinition {
  const first = spec.keywords[0] ?? '';
  // not followed by a letter, a digit or another character the body may hold
  const post = `(?![A-Za-z0-9${spec.charset.source.slice(1, -1)}])`;
  return token({
    id: spec.id,
    description: spec.description,
    keywords: spec.keywords,
    body: spec.body,
    bodyMax: spec.bodyMax,
    charset: spec.charset,
    post,
    ...(spec.pre === undefined ? {} : { pre: spec.pre }),
    ...(spec.bodyOnly === undefined ? {} : { bodyOnly: spec.bodyOnly }),
    ...(spec.ignoreCase === undefined ? {} : { ignoreCase: spec.ignoreCase }),
    positives: [
      spec.bodyOnly === true
        ? (rng) => {
            const whole = spec.example(rng);
            const at = whole.indexOf(first) + first.length;
            return { text: `found ${whole} here`, secret: whole.slice(at) };
          }
        : plain(spec.example),
    ],
    negatives: spec.negatives ?? [`the ${first} prefix`, `${first}short`],
  });
}

/**
 * A vendor's key assigned to a key that names the vendor (`TWILIO_AUTH_TOKEN=…`,
 * `"cloudflareApiToken": "…"`), with the value format the vendor documents.
 */
export function keyed(spec: {
  readonly id: string;
  readonly description: string;
  /** Literal words of the key (case-insensitive), such as the vendor's name. */
  readonly keywords: readonly string[];
  /** Over the normalised key. */
  readonly key: RegExp;
  /** Regex source of the value. */
  readonly value: string;
  /** A key name for the examples, and a value generator. */
  readonly exampleKey: string;
  readonly example: (rng: ExampleRng) => string;
}): KeywordDefinition {
  const camel = spec.exampleKey.toLowerCase().replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
  return assignment({
    id: spec.id,
    description: spec.description,
    keywords: spec.keywords,
    key: spec.key,
    value: spec.value,
    positives: [
      assigned(spec.exampleKey, '=', spec.example),
      assigned(`"${camel}"`, ': ', spec.example, '"'),
    ],
    negatives: [`${spec.exampleKey}=\${${spec.exampleKey}}`, `${spec.exampleKey}: changeme`],
  });
}

/** What may stand between a label and its value: `SSN: `, `"passport_number": "`, `NINO #`. */
export const LABEL_GAP =
  '(?:[ _-]?(?:number|num|no\\.?|nr|#|id|address|addr))?["\']?[ \\t]{0,4}[:=#]?[ \\t]{0,4}["\']?';

/** Personal data recognised by a label before it (`ssn: …`, `phone: …`), with a check. */
export function labelled(spec: {
  readonly id: string;
  readonly description: string;
  /** Labels (case-insensitive). */
  readonly labels: readonly string[];
  /** Regex source of the value. */
  readonly value: string;
  readonly valueMax: number;
  readonly charset: RegExp;
  readonly validate?: (value: string) => boolean;
  /** The label used in the examples, and a value generator. */
  readonly exampleLabel: string;
  readonly example: (rng: ExampleRng) => string;
  readonly negatives: readonly string[];
}): KeywordDefinition {
  const validate = spec.validate;
  return token({
    id: spec.id,
    category: 'pii',
    description: spec.description,
    keywords: spec.labels,
    ignoreCase: true,
    pre: boundaryBefore('A-Za-z0-9'),
    body: `${LABEL_GAP}(?<secret>${spec.value})(?![A-Za-z0-9]|[.-][0-9])`,
    bodyMax: 30 + spec.valueMax,
    secretInBody: true,
    charset: spec.charset,
    post: '',
    ...(validate === undefined ? {} : { validate: (secret: string) => validate(secret) }),
    positives: [
      assigned(spec.exampleLabel, ': ', spec.example),
      (rng) => {
        const secret = spec.example(rng);
        return { text: `{"${spec.exampleLabel}": "${secret}"}`, secret };
      },
    ],
    negatives: spec.negatives,
  });
}
