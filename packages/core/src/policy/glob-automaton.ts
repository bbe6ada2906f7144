// The non-backtracking core of policy globs: a pattern is parsed into a small tree, the tree is
// compiled into a Thompson NFA, and matching simulates the NFA over a set of live states (one
// pass over the input, each state visited at most twice per character). Time is therefore
// O(states × input) for every pattern, and states grow linearly with the pattern — braces are
// alternations inside one automaton, never expanded copies. Regular-expression engines with
// backtracking (what picomatch compiles to) take exponential or high-polynomial time on
// patterns like `namespaces/*/pods/*-*-*` against long names; this cannot.

/** One unit of a parsed pattern. Every consuming unit consumes exactly one UTF-16 code unit. */
export type GlobNode =
  | { readonly t: 'char'; readonly code: number }
  | { readonly t: 'class'; readonly ranges: readonly number[]; readonly negated: boolean }
  | { readonly t: 'any' }
  | { readonly t: 'star' }
  | { readonly t: 'globstar' }
  /** Matches nothing, and only where the input ends. */
  | { readonly t: 'end' }
  | { readonly t: 'alt'; readonly alts: readonly (readonly GlobNode[])[] }
  | { readonly t: 'opt'; readonly seq: readonly GlobNode[] };

/**
 * What a flavour's wildcards may not match.
 *
 * - `separator`: the code unit `*`, `?` and classes never match and only a globstar (`**` as a
 *   whole segment) crosses (`/` for Kubernetes resources).
 * - `neverCrossed`: code units no wildcard matches at all, `**` included — only a literal
 *   character in the pattern matches them (room for, e.g., control characters in shell lines).
 */
export interface WildcardLimits {
  readonly separator: number | undefined;
  readonly neverCrossed: readonly number[];
}

const CHAR = 0;
const TEST = 1; // consumes one code unit that passes a predicate
const SPLIT = 2; // two epsilon edges
const MATCH = 3;
const END = 4; // an assertion: passes to its edge only at the end of the input

type Predicate = (code: number) => boolean;

// Bounds on the lazily built DFA per automaton (memory, not correctness).
const MAX_DFA_STATES = 256;
const MAX_WIDE_TRANSITIONS = 64;
// Bound on the states everyAfter visits (its answer is false past it).
const MAX_UNIVERSAL_STATES = 1024;

interface DfaState {
  /** The live NFA states, sorted. Empty: no match is possible any more. */
  readonly set: Int32Array;
  readonly accept: boolean;
  /** Whether this state is kept in the cache (only then are its transitions stored). */
  readonly cached: boolean;
  ascii: (DfaState | undefined)[] | undefined;
  other: Map<number, DfaState> | undefined;
}

/** A compiled automaton with reusable simulation buffers. */
export interface GlobAutomaton {
  /** Whether the whole input matches. `steps`, when given, counts state visits. */
  run(input: string, steps?: { count: number }, from?: number): boolean;
  /** Number of NFA states (for the linear bound: steps ≤ 2 × states × (input + 1)). */
  readonly states: number;
  /**
   * Whether some input that starts with `prefix` may match. It may answer true where no input
   * does (a class that admits no character), never false where one does.
   */
  someAfter(prefix: string): boolean;
  /**
   * Whether every input that starts with `prefix` (`prefix` itself included) matches. It may
   * answer false where every input does (past a bound on the work), never true where one does not.
   */
  everyAfter(prefix: string): boolean;
}

/**
 * Builds the automaton for the union of parsed patterns.
 *
 * @throws never for a well-formed tree.
 */
export function buildAutomaton(
  patterns: readonly (readonly GlobNode[])[],
  limits: WildcardLimits,
): GlobAutomaton {
  const kind: number[] = [];
  const arg: number[] = []; // CHAR: code; TEST: predicate index
  const out1: number[] = [];
  const out2: number[] = [];
  const predicates: Predicate[] = [];

  const blocked = new Set(limits.neverCrossed);
  const sep = limits.separator;
  // Where a character's fate may change: each literal character, separator, blocked character
  // and class bound starts a run of code units that every edge treats alike (see everyAfter).
  const cuts = new Set<number>([0]);
  const cutAround = (code: number): void => {
    cuts.add(code);
    cuts.add(code + 1);
  };
  if (sep !== undefined) cutAround(sep);
  for (const c of blocked) cutAround(c);
  const wild: Predicate = (c) => c !== sep && !blocked.has(c);
  const deep: Predicate = (c) => !blocked.has(c);
  const predicateIndex = (p: Predicate): number => {
    predicates.push(p);
    return predicates.length - 1;
  };
  const wildIndex = predicateIndex(wild);
  const deepIndex = predicateIndex(deep);

  const add = (k: number, a: number, o1: number, o2: number): number => {
    kind.push(k);
    arg.push(a);
    out1.push(o1);
    out2.push(o2);
    return kind.length - 1;
  };

  // Compiles `seq` so that it continues to state `next`; returns the entry state. Built back to
  // front so every edge points at an existing state.
  const compileSeq = (seq: readonly GlobNode[], next: number): number => {
    let entry = next;
    for (let i = seq.length - 1; i >= 0; i--) entry = compileNode(seq[i] as GlobNode, entry);
    return entry;
  };
  const compileNode = (node: GlobNode, next: number): number => {
    switch (node.t) {
      case 'char':
        cutAround(node.code);
        return add(CHAR, node.code, next, -1);
      case 'any':
        return add(TEST, wildIndex, next, -1);
      case 'class': {
        const { ranges, negated } = node;
        for (let i = 0; i < ranges.length; i += 2) {
          cuts.add(ranges[i] as number);
          cuts.add((ranges[i + 1] as number) + 1);
        }
        const inRanges = (c: number): boolean => {
          for (let i = 0; i < ranges.length; i += 2) {
            if (c >= (ranges[i] as number) && c <= (ranges[i + 1] as number)) return true;
          }
          return false;
        };
        // A negated class is a wildcard minus its members; a positive class names its members,
        // but never the separator (picomatch's `[^/]` rule).
        const p: Predicate = negated ? (c) => wild(c) && !inRanges(c) : (c) => c !== sep && inRanges(c);
        return add(TEST, predicateIndex(p), next, -1);
      }
      case 'star':
      case 'globstar': {
        const loop = add(SPLIT, -1, -1, next);
        const body = add(TEST, node.t === 'star' ? wildIndex : deepIndex, loop, -1);
        out1[loop] = body;
        return loop;
      }
      case 'end':
        return add(END, -1, next, -1);
      case 'opt':
        return add(SPLIT, -1, compileSeq(node.seq, next), next);
      case 'alt': {
        const entries = node.alts.map((a) => compileSeq(a, next));
        let entry = entries[entries.length - 1] ?? next;
        for (let i = entries.length - 2; i >= 0; i--) entry = add(SPLIT, -1, entries[i] as number, entry);
        return entry;
      }
    }
  };

  const match = add(MATCH, -1, -1, -1);
  const start =
    patterns.length === 1
      ? compileSeq(patterns[0] as readonly GlobNode[], match)
      : compileNode({ t: 'alt', alts: patterns }, match);

  const n = kind.length;
  const K = Int8Array.from(kind);
  const A = Int32Array.from(arg);
  const O1 = Int32Array.from(out1);
  const O2 = Int32Array.from(out2);
  // Simulation buffers, reused: matching never re-enters itself, so one set per automaton is safe.
  const nxt = new Int32Array(n);
  const mark = new Int32Array(n);
  const stack = new Int32Array(n);
  let generation = 0;

  // Adds `s` and everything reachable by epsilon edges to `list` (duplicates skipped).
  const close = (s: number, list: Int32Array, size: number, steps: { count: number } | undefined): number => {
    let top = 0;
    stack[top++] = s;
    while (top > 0) {
      const q = stack[--top] as number;
      if (mark[q] === generation) continue;
      mark[q] = generation;
      if (steps !== undefined) steps.count++;
      if (K[q] === SPLIT) {
        // Push the second edge first so the first is explored first (order does not change the
        // answer, only the list order).
        stack[top++] = O2[q] as number;
        stack[top++] = O1[q] as number;
      } else {
        list[size++] = q;
      }
    }
    return size;
  };

  // Whether the input may end in this set: a MATCH state is live, or reachable through END
  // assertions (which hold there) and epsilon edges.
  const acceptsAtEnd = (set: Int32Array): boolean => {
    const seen = new Set<number>();
    const todo = Array.from(set);
    for (let q = todo.pop(); q !== undefined; q = todo.pop()) {
      if (seen.has(q)) continue;
      seen.add(q);
      const k = K[q];
      if (k === MATCH) return true;
      if (k === END) todo.push(O1[q] as number);
      else if (k === SPLIT) todo.push(O1[q] as number, O2[q] as number);
    }
    return false;
  };

  // A lazily built DFA over the NFA: each DFA state is a set of live NFA states, and its
  // transitions are filled in the first time a character is seen there. The number of DFA
  // states kept is capped; past the cap the set is computed afresh for each character (still
  // O(NFA states) per character), so memory stays bounded and time stays linear.
  const cache = new Map<string, DfaState>();
  const intern = (list: Int32Array, size: number): DfaState => {
    const set = list.slice(0, size).sort();
    const key = set.join(',');
    const known = cache.get(key);
    if (known !== undefined) return known;
    const accept = acceptsAtEnd(set);
    const d: DfaState = {
      set,
      accept,
      cached: cache.size < MAX_DFA_STATES,
      ascii: undefined,
      other: undefined,
    };
    if (d.cached) cache.set(key, d);
    return d;
  };
  const advance = (d: DfaState, c: number, steps: { count: number } | undefined): DfaState => {
    generation++;
    if (generation > 0x3fffffff) {
      mark.fill(0);
      generation = 1;
    }
    let size = 0;
    for (const q of d.set) {
      if (steps !== undefined) steps.count++;
      const k = K[q];
      if (k === CHAR ? A[q] === c : k === TEST && (predicates[A[q] as number] as Predicate)(c)) {
        size = close(O1[q] as number, nxt, size, steps);
      }
    }
    const to = intern(nxt, size);
    if (d.cached && to.cached) {
      if (c < 128) (d.ascii ??= new Array<DfaState | undefined>(128))[c] = to;
      else if ((d.other ??= new Map()).size < MAX_WIDE_TRANSITIONS) d.other.set(c, to);
    }
    return to;
  };
  generation++;
  const initial = intern(nxt, close(start, nxt, 0, undefined));

  // The state after `input` (from `from`); the empty set once nothing can match.
  const walk = (input: string, steps: { count: number } | undefined, from: number): DfaState => {
    let d = initial;
    if (steps !== undefined) steps.count += d.set.length;
    for (let i = from; i < input.length; i++) {
      if (d.set.length === 0) return d;
      const c = input.charCodeAt(i);
      const known = c < 128 ? d.ascii?.[c] : d.other?.get(c);
      if (known === undefined) d = advance(d, c, steps);
      else {
        if (steps !== undefined) steps.count++;
        d = known;
      }
    }
    return d;
  };
  const run = (input: string, steps?: { count: number }, from = 0): boolean =>
    walk(input, steps, from).accept;

  // Whether MATCH is reachable from the set along any edges (END's too: it may hold where some
  // input ends, and a class is taken to admit some character — both only make the answer true).
  const someAfter = (prefix: string): boolean => {
    const seen = new Uint8Array(n);
    const todo = Array.from(walk(prefix, undefined, 0).set);
    for (let q = todo.pop(); q !== undefined; q = todo.pop()) {
      if (seen[q] === 1) continue;
      seen[q] = 1;
      const k = K[q];
      if (k === MATCH) return true;
      todo.push(O1[q] as number);
      if (k === SPLIT) todo.push(O2[q] as number);
    }
    return false;
  };

  // Every state reachable from the one after `prefix` accepts. One code unit of each run between
  // cuts stands for the run: no edge tells its members apart.
  let representatives: number[] | undefined;
  const everyAfter = (prefix: string): boolean => {
    representatives ??= [...cuts].filter((c) => c < 0x10000).sort((a, b) => a - b);
    const seen = new Set<string>();
    const todo = [walk(prefix, undefined, 0)];
    for (let d = todo.pop(); d !== undefined; d = todo.pop()) {
      const key = d.set.join(',');
      if (seen.has(key)) continue;
      if (!d.accept || seen.size >= MAX_UNIVERSAL_STATES) return false;
      seen.add(key);
      for (const c of representatives) todo.push(advance(d, c, undefined));
    }
    return true;
  };

  return { run, states: n, someAfter, everyAfter };
}
