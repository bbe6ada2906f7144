// The candidate walk (candidate-index.ts) as a WebAssembly function: the same steps over the
// same tables, without the bounds checks and tagged numbers a JavaScript loop pays per
// character. The module is assembled here, from the index's own tables, when the index is
// built: its addresses and the automaton's constants are immediates in the code.
//
// What the walk does for one block of code units (positions relative to the block's start):
//
//   for j < blockEnd:  step the automaton; note (j, state) where a keyword ends
//   for j < seedEnd:   mask = the scan detectors that may start at j and are not blocked by
//                      the character before; where some may, test the next AHEAD characters
//                      (up to aheadEnd), then walk the run from j and judge it as
//                      SeedIndex.startsAt does: note (j, the detectors that may start there)
//                      when there are some, or (j | NEEDS_JS, mask) where judging needs the
//                      detectors' own tests (a non-ASCII character where a run ends or in a
//                      shape), which JavaScript then runs
//
// exactly as CandidateIndex's JavaScript walk, keepAhead and startsAt do (property tests compare
// them on random texts), in passes (see walkBody). Nothing here allocates or reads outside the
// module's own memory: the block's units are at most BLOCK + reach, no index passes blockEnd +
// reach, and the sixty-four-unit reads stay inside the padding around the units.
//
// It uses WebAssembly's fixed-width SIMD, which every Node.js this package supports runs. Where a
// runtime cannot compile the module, the index walks in JavaScript, with the same results.

/** The tables and sizes the walk is built from (all as CandidateIndex holds them). */
export interface WalkTables {
  /** By UTF-16 code unit: its class. */
  readonly classOf: Uint16Array;
  /**
   * Transitions (state × classes + class → next state × classes) up to `tests`; from there, by
   * class in rows of `classes`: firstMask, blockMask, then ahead for k = 1 … aheadRows.
   */
  readonly next: Int32Array;
  readonly tests: number;
  readonly classes: number;
  readonly outBase: number;
  /** The most units one block holds (BLOCK + the seeds' reach). */
  readonly units: number;
  /** The most notes of each kind one block can write. */
  readonly notes: number;
  /** How many characters after a possible start are tested (rows of ahead). */
  readonly aheadRows: number;
  /** The most characters the automaton's state stands for (its trie's depth). */
  readonly depth: number;
  /** The shortest lane the automaton walks a block in (see walkBody). */
  readonly laneMin: number;
  /** SeedIndex's tables for judging a possible start's run (see SeedIndex.runTables). */
  readonly runs: RunTables;
}

/** The tables SeedIndex.startsAt judges runs with (ASCII only; see there). */
export interface RunTables {
  /** By ASCII code: the detectors whose runs hold it. */
  readonly runMask: Uint32Array;
  /** The detectors whose runs hold non-ASCII characters. */
  readonly runNonAscii: number;
  /** By run length: the detectors whose count stops there. */
  readonly capMask: Uint32Array;
  /** By run length n and next character c (-1 at the end): at n * 129 + c + 1. */
  readonly accepted: Uint32Array;
  /** By run length n: the detectors that may be judged true at length n or later. */
  readonly endsFrom: Uint32Array;
  /** By offset k: the detectors whose shape reaches it. */
  readonly shapeNeed: Uint32Array;
  /** By offset k and ASCII code c, at k * 128 + c: the detectors whose shape allows c. */
  readonly shapeAllow: Uint32Array;
  readonly shapeMax: number;
}

/** Set on a noted start's position when JavaScript must judge it (startNotes). */
export const NEEDS_JS = 1 << 30;

/** A walk over one block, run in its module's memory. */
export interface BlockWalk {
  /** The block's code units: write them here before {@link BlockWalk.walk}. */
  readonly units: Uint16Array;
  /** The same memory as bytes (for Buffer#write). */
  readonly unitBytes: Uint8Array;
  /** Keyword ends: positions at [0, n), automaton states (times classes) at [notes, notes + n). */
  readonly keywordNotes: Int32Array;
  /**
   * Possible starts: positions at [0, n), at [notes, notes + n) the detectors that may start
   * there, or, where the position has {@link NEEDS_JS}, the detectors startsAt must judge.
   */
  readonly startNotes: Int32Array;
  /**
   * Walks the block; returns the number of keyword ends noted. `state` is the automaton's
   * state (times classes) and `block` the detectors the character before the block keeps from
   * starting at its first; both after the walk are in {@link BlockWalk.state} and
   * {@link BlockWalk.block}, the number of possible starts in {@link BlockWalk.starts}.
   */
  walk(
    seedEnd: number,
    blockEnd: number,
    aheadEnd: number,
    state: number,
    block: number,
    partial: boolean,
  ): number;
  readonly state: number;
  readonly block: number;
  readonly starts: number;
}

// The opcodes used (WebAssembly core specification, binary format).
const I32 = 0x7f;
const CALL = 0x10;
const RETURN = 0x0f;
const EQ = 0x46;
const NE = 0x47;
const OR = 0x72;
const BLOCK_OP = 0x02;
const LOOP = 0x03;
const IF = 0x04;
const ELSE = 0x05;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const EMPTY = 0x40;
const GET = 0x20;
const SET = 0x21;
const TEE = 0x22;
const LOAD = 0x28;
const LOAD16U = 0x2f;
const STORE = 0x36;
const CONST = 0x41;
const EQZ = 0x45;
const LT_S = 0x48;
const GE_S = 0x4e;
const GE_U = 0x4f;
const ADD = 0x6a;
const SUB = 0x6b;
const MUL = 0x6c;
const AND = 0x71;
const XOR = 0x73;
const SHL = 0x74;
const SHR_U = 0x76;

function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
// (Export names here are ASCII: one byte per character.)
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

// Instruction helpers. Loads and stores take their address from the stack and add the
// immediate offset.
const get = (l: number): number[] => [GET, ...uleb(l)];
const set = (l: number): number[] => [SET, ...uleb(l)];
const tee = (l: number): number[] => [TEE, ...uleb(l)];
const i32 = (v: number): number[] => [CONST, ...sleb(v)];
const load = (offset: number): number[] => [LOAD, 2, ...uleb(offset)];
const load16 = (offset: number): number[] => [LOAD16U, 1, ...uleb(offset)];
const store = (offset: number): number[] => [STORE, 2, ...uleb(offset)];

// The memory's layout, in bytes: class table, transition table, run tables, block units,
// notes, results.
interface Layout {
  readonly classOf: number;
  readonly next: number;
  readonly runMask: number;
  readonly capMask: number;
  readonly accepted: number;
  readonly endsFrom: number;
  readonly shapeNeed: number;
  readonly shapeAllow: number;
  readonly units: number;
  readonly kwPos: number;
  readonly kwState: number;
  readonly seedPos: number;
  readonly seedMask: number;
  /** The second lane's keyword ends, and the noted possible starts (see walkBody). */
  /** By lane after the first (see walkBody): its keyword ends' positions and states. */
  readonly lanes: readonly { readonly pos: number; readonly state: number }[];
  readonly firstPos: number;
  readonly firstMask: number;
  /** starts, state, block, then the run judge's "needs JavaScript" flag. */
  readonly out: number;
  readonly bytes: number;
}

const align = (n: number): number => (n + 15) & ~15;

function layout(t: WalkTables): Layout {
  const classOf = 0;
  const next = align(classOf + 65536 * 2);
  const runMask = align(next + t.next.length * 4);
  const capMask = align(runMask + 128 * 4);
  const accepted = align(capMask + t.runs.capMask.length * 4);
  const endsFrom = align(accepted + t.runs.accepted.length * 4);
  const shapeNeed = align(endsFrom + t.runs.endsFrom.length * 4);
  const shapeAllow = align(shapeNeed + t.runs.shapeNeed.length * 4);
  // Units past the block's reach are read by no test, but padding keeps even a wrong `end`
  // inside the units; the sixty-four-unit reads of walkBody's pass 2 stay inside them too. The
  // unit before the first is a zero nothing writes (the "character before" a block's first
  // position, in no character set).
  const units = align(shapeAllow + t.runs.shapeAllow.length * 4) + 16;
  const kwPos = align(units + (t.units + t.aheadRows + 1 + 64) * 2);
  const kwState = kwPos + t.notes * 4;
  const seedPos = kwState + t.notes * 4;
  const seedMask = seedPos + t.notes * 4;
  const lanes = Array.from({ length: LANES - 1 }, (_, i) => ({
    pos: seedMask + t.notes * 4 * (1 + 2 * i),
    state: seedMask + t.notes * 4 * (2 + 2 * i),
  }));
  const firstPos = seedMask + t.notes * 4 * (1 + 2 * (LANES - 1));
  const firstMask = firstPos + t.notes * 4;
  const out = firstMask + t.notes * 4;
  return {
    classOf,
    next,
    runMask,
    capMask,
    accepted,
    endsFrom,
    shapeNeed,
    shapeAllow,
    units,
    kwPos,
    kwState,
    seedPos,
    seedMask,
    lanes,
    firstPos,
    firstMask,
    out,
    bytes: out + 16,
  };
}

// Structured pieces. A condition, value or index is code that leaves one i32 on the stack; a
// body (`then`, a loop's) leaves nothing.
const inc = (l: number): number[] => [...get(l), ...i32(1), ADD, ...set(l)];
const plus = (a: number, b: number): number[] => [...get(a), ...get(b), ADD];
const not = (x: number[]): number[] => [...x, ...i32(-1), XOR];
/** The 32-bit word at `offset` + 4 × index. */
const word = (offset: number, index: number[]): number[] => [...index, ...i32(2), SHL, ...load(offset)];
/** if (condition) { then } */
const when = (condition: number[], then: number[]): number[] => [...condition, IF, EMPTY, ...then, END];
/** condition ? a : b, as a value */
const choose = (condition: number[], a: number[], b: number[]): number[] => [
  ...condition,
  IF,
  I32,
  ...a,
  ELSE,
  ...b,
  END,
];
/**
 * for (;;) { body }. At the body's top level the loop is branch depth 0 and the block around it
 * (leaving the loop) depth 1; each `if` inside adds one.
 */
const loop = (body: number[]): number[] => [BLOCK_OP, EMPTY, LOOP, EMPTY, ...body, BR, 0, END, END];
/** Leaves the loop (from the loop body's top level) when `condition` holds. */
const breakIf = (condition: number[], depth = 1): number[] => [...condition, BR_IF, depth];

// The run judge (function 1): SeedIndex.startsAt's walk along the run from j and its shape
// test, for detectors `mask`. Parameters 0–3: j, mask, aheadEnd (the end of the text, relative
// to the block), partial (0 or 1). Returns the detectors that may start at j; where that takes
// a detector's own test (a non-ASCII character judged), sets the flag at out + 12 and returns 0.
function judgeBody(t: WalkTables, m: Layout): number[] {
  const [j, mask, aheadEnd, partial] = [0, 1, 2, 3];
  const [hits, alive, n, next, bits, k, need, c] = [4, 5, 6, 7, 8, 9, 10, 11];
  const { capMask, shapeMax } = t.runs;
  const bail = [...i32(0), ...i32(1), ...store(m.out + 12), ...i32(0), RETURN];
  const unit = (offset: number): number[] => [...plus(j, offset), ...i32(1), SHL, ...load16(m.units)];
  const nonAscii = (x: number): number[] => [...get(x), ...i32(128), GE_S];
  // hits |= the detectors among `bits` whose run of n characters, then `next`, may start a match
  const judge = [
    ...get(hits),
    ...choose(
      [...get(next), ...i32(-1), EQ, ...get(partial), AND],
      [...get(bits), ...word(m.endsFrom, get(n)), AND],
      [
        ...when(nonAscii(next), bail),
        ...get(bits),
        ...word(m.accepted, [...get(n), ...i32(129), MUL, ...get(next), ADD, ...i32(1), ADD]),
        AND,
      ],
    ),
    OR,
    ...set(hits),
  ];
  // Inside the loop body, an `if` adds a level: leaving the loop from one is depth 2.
  const run = [
    ...i32(0),
    ...set(hits),
    ...get(mask),
    ...set(alive),
    ...i32(1),
    ...set(n),
    ...loop([
      // Every detector's count stops by the table's last length: past it, JavaScript judges.
      ...when([...get(n), ...i32(capMask.length), GE_S], bail),
      // next = units[j + n], or -1 at the end of the text
      ...choose([...plus(j, n), ...get(aheadEnd), LT_S], unit(n), i32(-1)),
      ...set(next),
      // those whose count stops at n
      ...when(
        [...get(alive), ...word(m.capMask, get(n)), AND, ...tee(bits)],
        [...judge, ...get(alive), ...not(get(bits)), AND, ...tee(alive), ...breakIf([EQZ], 2)],
      ),
      // at the end of the text, the rest are judged there
      ...when([...get(next), ...i32(-1), EQ], [...get(alive), ...set(bits), ...judge, BR, 2]),
      // those whose run `next` does not continue
      ...get(alive),
      ...choose(nonAscii(next), i32(t.runs.runNonAscii | 0), word(m.runMask, get(next))),
      ...set(c),
      ...get(alive),
      ...not(get(c)),
      AND,
      ...set(bits),
      ...when(get(bits), [...judge, ...get(alive), ...get(c), AND, ...tee(alive), ...breakIf([EQZ], 2)]),
      ...inc(n),
    ]),
  ];
  // The shapes, where some detector among the hits has one (k = 1 … shapeMax).
  const shape =
    shapeMax === 0
      ? []
      : when(
          [...get(hits), ...i32(0), ...load(m.shapeNeed + 4), AND],
          [
            ...i32(1),
            ...set(k),
            ...loop([
              ...breakIf([...get(hits), ...word(m.shapeNeed, get(k)), AND, ...tee(need), EQZ]),
              // past the end of the text only an idle flush keeps them
              ...when(
                [...plus(j, k), ...get(aheadEnd), GE_S],
                [
                  ...when([...get(partial), EQZ], [...get(hits), ...not(get(need)), AND, ...set(hits)]),
                  BR,
                  2,
                ],
              ),
              ...unit(k),
              ...tee(c),
              ...when(nonAscii(c), bail),
              ...get(hits),
              ...word(m.shapeAllow, [...get(k), ...i32(7), SHL, ...get(c), ADD]),
              AND,
              ...set(hits),
              ...inc(k),
              ...breakIf([...get(k), ...i32(shapeMax + 1), GE_S]),
            ]),
          ],
        );
  return [...run, ...shape, ...get(hits), END];
}

/** How many characters after a possible start pass 2 tests, with the sets of a start group. */
const GROUP_AHEAD = 3;

/** Possible starts whose detectors pass 2 tests together (see startFilter). */
interface StartGroup {
  /** The start characters of the group. */
  readonly starts: readonly number[];
  /**
   * By offset k = 1 … GROUP_AHEAD (at k - 1): the characters some detector that may start with
   * one of `starts` allows there. Pass 2 also counts 0 and every byte from 0x80 in (units past
   * ASCII, as it reads them).
   */
  readonly ahead: readonly (readonly number[])[];
  /** Characters after which none of those detectors may start (empty: none beyond stopSet). */
  readonly stopSet: readonly number[];
}

/** The ASCII sets pass 2 finds possible starts with (see startFilter). */
interface StartSets {
  /** Characters some scan detector may start with. */
  readonly startSet: readonly number[];
  /** Characters after which no scan detector may start. */
  readonly stopSet: readonly number[];
  /** The digits among the start characters, then the rest (either may be empty). */
  readonly groups: readonly StartGroup[];
}

// Pass 2's sets, from the same tables the exact tests read, so a unit they drop is one every
// detector's own test would drop: the first character (firstMask), the one before (blockMask)
// and, for each group of start characters, the next GROUP_AHEAD (the first ahead rows, united
// over the group's detectors). The ahead rows let every unit past ASCII through (JavaScript
// judges those), and pass 2 reads such a unit as a byte of 0x80 or more, or as 0: both count
// as in every ahead set there. Digits start the groups' split: their detectors (cards, national
// ids, bot ids) want digits next, the others' (IBANs, NINOs, tokens) letters and digits.
function startFilter(t: WalkTables): StartSets {
  const at = (row: number, c: number): number => t.next[t.tests + row * t.classes + (t.classOf[c] ?? 0)] ?? 0;
  const firstOf = (c: number): number => at(0, c);
  const blockOf = (c: number): number => at(1, c);
  const ascii = Array.from({ length: 128 }, (_, c) => c);
  const startSet = ascii.filter((c) => firstOf(c) !== 0);
  const stoppedBy = (detectors: number): number[] =>
    ascii.filter((c) => c > 0 && (detectors & ~blockOf(c)) === 0);
  const anyFirst = startSet.reduce((all, c) => all | firstOf(c), 0);
  const stopSet = stoppedBy(anyFirst);
  const group = (starts: number[]): StartGroup => {
    const detectors = starts.reduce((all, c) => all | firstOf(c), 0);
    const stops = stoppedBy(detectors);
    const rows = Math.min(GROUP_AHEAD, t.aheadRows);
    return {
      starts,
      ahead: Array.from({ length: rows }, (_, k) => ascii.filter((c) => (at(k + 2, c) & detectors) !== 0)),
      stopSet: stops.length > stopSet.length ? stops : [],
    };
  };
  const digits = startSet.filter((c) => c >= 0x30 && c <= 0x39);
  const rest = startSet.filter((c) => c < 0x30 || c > 0x39);
  return {
    startSet,
    stopSet,
    groups: [digits, rest].filter((g) => g.length > 0).map(group),
  };
}

/** How many lanes the automaton walks a long block in (a power of two; see walkBody). */
const LANES = 4;
/** The walk's i32 locals past its parameters: 12 of its own, 3 for each lane after the first. */
const WALK_I32_LOCALS = 12 + 3 * (LANES - 1);

// The walk's code (function 0). Parameters 0–5: seedEnd, blockEnd, aheadEnd, state (a byte
// address in the transition table), block, partial. Locals: see below.
//
// Three passes over the block, none with a branch in its per-character loop that depends on
// the text (one character in eight or so may start a scan detector's match, at random: a branch
// there would be mispredicted often):
//
//   1. step the automaton and note where keywords end (rare). A long block is walked as LANES
//      lanes side by side, its quarters: each step waits for the load before it, and independent
//      chains overlap those waits. A lane after the first starts in the state the characters just
//      before it leave (only the automaton's depth of them count); its notes are then put
//      after those of the lanes before it.
//   2. find where some scan detector may start, sixty-four characters a round (SIMD, sixteen
//      at a time): where the character may start one and the character before does not keep
//      every detector from starting (a superset of the possible starts, from two character
//      sets), narrowed, in a round where there are some, by the sets of startFilter. At each,
//      the exact detectors (firstMask of the character, less the blockMask of the one before),
//      less those the characters ahead rule out, are noted, the count moving on only where
//      some remain (no branch).
//   3. judge the run of each one noted (function 1) and note the starts.
//
// The module's copy of blockMask holds its complement: the detectors that may start after the
// character (so one AND, not two operations, per test).
function walkBody(
  t: WalkTables,
  m: Layout,
  { startSet, stopSet, groups }: StartSets,
  { sets: aheadSets, setIndex }: ReturnType<typeof aheadSetPlan>,
): number[] {
  const [seedEnd, blockEnd, aheadEnd, state, block, partial] = [0, 1, 2, 3, 4, 5];
  const [j, mask, kw, starts, k, u, hits] = [6, 7, 8, 9, 10, 11, 12];
  // the lanes' length; pass 3's index and the count of positions pass 2 noted; pass 2's round
  // start and a scratch value
  const [quarter, at, kept, g, scratch] = [13, 14, 15, 16, 17];
  // each lane after the first: where it starts, its state and keyword-end count
  const lanes = m.lanes.map((area, i) => ({
    ...area,
    at: 18 + 3 * i,
    st: 19 + 3 * i,
    kw: 20 + 3 * i,
  }));
  // (v128s: for each sixteen characters of a round, the characters, their nibbles and those of
  // the sixteen before them (see nibbles); a quarter's units in a group, and in the groups
  // before it)
  const v = 6 + WALK_I32_LOCALS;
  const quarters = [0, 1, 2, 3].map((q) => ({
    shift: 16 * q,
    here: v + 5 * q,
    hereLow: v + 5 * q + 1,
    hereHigh: v + 5 * q + 2,
    beforeLow: v + 5 * q + 3,
    beforeHigh: v + 5 * q + 4,
  }));
  const [inGroup, inEarlier] = [v + 20, v + 21];
  // (i64s, a bit for each of sixty-four characters: pass 2's possible starts; those a group's
  // stop set blocks; those past what is known; those in each group; those in each ahead set)
  const [bits, blockedBits, unknownBits] = [v + 22, v + 23, v + 24];
  const groupBits = groups.map((_, i) => v + 25 + i);
  const setBits = aheadSets.map((_, i) => v + 25 + groups.length + i);
  const row = (r: number): number => m.next + (t.tests + r * t.classes) * 4;
  const outBase = m.next + t.outBase * 4;
  // the class (times 4, as the class table holds it) of the unit `index` + `offset` leaves (the
  // offset an immediate, so -1 at index 0 reads the zero the layout keeps before the units)
  const classOf = (index: number[], offset = 0): number[] => [
    ...index,
    ...i32(1),
    SHL,
    ...load16(m.units + offset * 2),
    ...i32(1),
    SHL,
    ...load16(m.classOf),
  ];
  // the class of the unit at j
  const classAtJ = classOf(get(j));
  // positions[count] = position, values[count] = value (count times 4 left in u)
  const pairAt = (count: number, positions: number, values: number, position: number[], value: number[]) => [
    ...get(count),
    ...i32(2),
    SHL,
    ...tee(u),
    ...position,
    ...store(positions),
    ...get(u),
    ...value,
    ...store(values),
  ];
  // the same, then count++
  const notePair = (
    count: number,
    positions: number,
    values: number,
    position: number[],
    value: number[],
  ) => [...pairAt(count, positions, values, position, value), ...inc(count)];
  // the same, the count moving on only where the value is not 0
  const noteIfSome = (
    count: number,
    positions: number,
    values: number,
    position: number[],
    value: number,
  ) => [
    ...pairAt(count, positions, values, position, get(value)),
    ...get(count),
    ...get(value),
    ...i32(0),
    NE,
    ADD,
    ...set(count),
  ];
  // the word at `offset` + 4 × local `index`
  const wordAt = (offset: number, index: number): number[] => word(offset, get(index));
  // st = next[st + class]; where a keyword ends there, note (position, st × classes)
  const step = (
    classCode: number[],
    st: number,
    count: number,
    positions: number,
    states: number,
    position: number[],
  ) => [
    ...classCode,
    ...get(st),
    ADD,
    ...load(0),
    ...tee(st),
    ...i32(outBase),
    GE_U,
    IF,
    EMPTY,
    ...notePair(count, positions, states, position, [...get(st), ...i32(m.next), SUB, ...i32(2), SHR_U]),
    END,
  ];
  // for (; j < limit; j++) { body }
  const loopTo = (limit: number, body: number[]): number[] =>
    loop([...breakIf([...get(j), ...get(limit), GE_S]), ...body, ...inc(j)]);
  const stepA = step(classAtJ, state, kw, m.kwPos, m.kwState, get(j));

  const pass1 = [
    ...get(blockEnd),
    ...i32(Math.log2(LANES)),
    SHR_U,
    ...set(quarter),
    ...when(
      [...get(quarter), ...i32(Math.max(t.laneMin, t.depth + 1)), GE_S],
      [
        ...lanes.flatMap((lane, i) => [
          ...get(quarter),
          ...i32(i + 1),
          MUL,
          ...tee(lane.at),
          // the lane's state: the automaton's after the depth characters before it
          ...i32(t.depth),
          SUB,
          ...set(j),
          ...i32(m.next),
          ...set(lane.st),
          ...loopTo(lane.at, [...classAtJ, ...get(lane.st), ADD, ...load(0), ...set(lane.st)]),
        ]),
        ...i32(0),
        ...set(j),
        ...loopTo(quarter, [
          ...stepA,
          ...lanes.flatMap((lane) =>
            step(classOf(plus(j, lane.at)), lane.st, lane.kw, lane.pos, lane.state, plus(j, lane.at)),
          ),
        ]),
        // the other lanes' keyword ends after the first's, in order
        ...lanes.flatMap((lane) => [
          ...i32(0),
          ...set(k),
          ...loop([
            ...breakIf([...get(k), ...get(lane.kw), GE_S]),
            ...notePair(kw, m.kwPos, m.kwState, wordAt(lane.pos, k), wordAt(lane.state, k)),
            ...inc(k),
          ]),
        ]),
        ...get(quarter),
        ...i32(LANES),
        MUL,
        ...set(j),
        ...get((lanes[lanes.length - 1] as { st: number }).st),
        ...set(state),
      ],
    ),
    ...loopTo(blockEnd, stepA),
  ];
  // the class of the unit at j + offset (offset at least -1)
  const codeAt = (offset: number): number[] => classOf(get(j), offset);

  // Pass 2. Sets over ASCII (see startFilter) keep the possible starts: characters that may
  // start a match, not after one that keeps every detector from starting there, nor after one
  // in their group's stop set, nor followed by characters outside their group's ahead sets. A
  // unit from 0x100 to 0x7fff is read as 255, one from 0x8000 (a surrogate among them) as 0: in
  // no set but the ahead sets. A possible start's exact detectors are then read from the tables.
  // v128 code: the sixteen units from g + shift, narrowed to bytes
  const bytesAt = (shift: number): number[] => [
    ...get(g),
    ...i32(1),
    SHL,
    ...vload(m.units + shift * 2),
    ...get(g),
    ...i32(1),
    SHL,
    ...vload(m.units + shift * 2 + 16),
    ...simd(NARROW_U),
  ];
  // mask &= the ahead rows of the next aheadRows characters
  const aheadUnrolled: number[] = [...get(mask)];
  for (let r = 1; r <= t.aheadRows; r++) aheadUnrolled.push(...codeAt(r), ...load(row(r + 1)), AND);
  aheadUnrolled.push(...set(mask));
  // for (k = 1; j + k < aheadEnd; k++) mask &= row(k + 1)[classOf[units[j + k]]]
  const aheadLoop = [
    ...i32(1),
    ...set(k),
    ...loop([
      ...breakIf([...plus(j, k), ...get(aheadEnd), GE_S]),
      ...classOf(plus(j, k)),
      ...get(k),
      ...i32(t.classes * 4),
      MUL,
      ADD,
      ...load(row(1)),
      ...get(mask),
      AND,
      ...set(mask),
      ...inc(k),
    ]),
  ];
  // mask &= what the characters ahead of j allow
  const aheadTest = [
    ...get(j),
    ...i32(t.aheadRows),
    ADD,
    ...get(aheadEnd),
    LT_S,
    IF,
    EMPTY,
    ...aheadUnrolled,
    ELSE,
    ...aheadLoop,
    END,
  ];
  // bits |= (16-bit mask code) << shift, for an i64 local
  const orInto = (acc: number, mask16: number[], shift: number): number[] => [
    ...mask16,
    ...simd(BITMASK),
    I64_EXTEND_U,
    ...(shift === 0 ? [] : [...i64(shift), I64_SHL]),
    ...get(acc),
    I64_OR,
    ...set(acc),
  ];
  // the sixteen units of quarter `q` of the round into its `here` and their nibbles, and the
  // nibbles of the sixteen before them (the unit before the block's first is a zero the layout
  // keeps there: in no set)
  const loadQuarter = (q: (typeof quarters)[number]): number[] => [
    ...bytesAt(q.shift),
    ...tee(q.here),
    ...nibbles([], q.hereLow, q.hereHigh),
    ...nibbles(bytesAt(q.shift - 1), q.beforeLow, q.beforeHigh),
  ];
  // For a quarter: into `bits`, the units in startSet not after one in stopSet.
  const possibleStarts = (q: (typeof quarters)[number]): number[] => [
    ...loadQuarter(q),
    ...orInto(
      bits,
      [
        ...member(startSet, q.hereLow, q.hereHigh),
        ...member(stopSet, q.beforeLow, q.beforeHigh),
        ...simd(V_ANDNOT),
      ],
      q.shift,
    ),
  ];
  // The same quarter, where some may start a match: into each group's bits its units, into
  // blockedBits those after a unit in their group's stop set, into each ahead set's bits the
  // units in it (a byte from 0x80 has its top bit set already).
  // (The last group's units are the possible starts in no other group: its characters are not
  // tested. An ahead set one or two characters larger than a smaller one is that one's units
  // and those characters' own.)
  const groupSets = (q: (typeof quarters)[number]): number[] => [
    ...groups.flatMap((gr, i) => {
      const blocked = (inIt: number[]): number[] =>
        gr.stopSet.length === 0
          ? []
          : orInto(blockedBits, [...member(gr.stopSet, q.beforeLow, q.beforeHigh), ...inIt], q.shift);
      if (i === groups.length - 1) return blocked([...get(inEarlier), ...simd(V_ANDNOT)]);
      return [
        ...member(gr.starts, q.hereLow, q.hereHigh),
        ...tee(inGroup),
        ...orInto(groupBits[i] as number, [], q.shift),
        ...blocked([...get(inGroup), ...simd(V_AND)]),
        ...(i === 0 ? get(inGroup) : [...get(inGroup), ...get(inEarlier), ...simd(V_OR)]),
        ...set(inEarlier),
      ];
    }),
    ...aheadSets.flatMap((plan, i) =>
      orInto(
        setBits[i] as number,
        plan.base === undefined
          ? [...member([0, ...plan.members], q.hereLow, q.hereHigh), ...get(q.here), ...simd(V_OR)]
          : plan.extra.flatMap((c, k) => [
              ...get(q.here),
              ...vconst(new Array<number>(16).fill(c)),
              ...simd(I8_EQ),
              ...(k === 0 ? [] : simd(V_OR)),
            ]),
        q.shift,
      ),
    ),
  ];
  // sets the i64 locals to 0
  const zero64 = (locals: readonly number[]): number[] => locals.flatMap((l) => [...i64(0), ...set(l)]);
  // i64 code: -1 << n, the bits from n on (none when n is 64 or more; n at least 0)
  const fromBit = (n: number[]): number[] => [
    ...n,
    ...tee(scratch),
    ...i32(64),
    LT_S,
    IF,
    I64,
    ...i64(-1),
    ...get(scratch),
    I64_EXTEND_U,
    I64_SHL,
    ELSE,
    ...i64(0),
    END,
  ];
  // i64 code: where the unit n ahead is in the ahead set with bits `local` (its bits >> n,
  // the n units past the round counting as in)
  const setAhead = (local: number, n: number): number[] => [
    ...get(local),
    ...i64(n),
    I64_SHR_U,
    ...i64(-1),
    ...i64(64 - n),
    I64_SHL,
    I64_OR,
  ];
  // Keeps in `bits` the units not blocked by their group's stop set and followed, at each
  // offset, by a unit in their group's ahead set. Units at or past aheadEnd (not known yet) and
  // past the round count as in every set.
  const groupFilter: number[] =
    groups.length === 0
      ? []
      : [
          ...fromBit([...get(aheadEnd), ...get(g), SUB]),
          ...set(unknownBits),
          // (smallest first: a set made from a smaller one takes its units once they are complete)
          ...setBits.flatMap((local, i) => {
            const base = aheadSets[i]?.base;
            return [
              ...get(local),
              ...(base === undefined ? [] : [...get(setBits[base] as number), I64_OR]),
              ...get(unknownBits),
              I64_OR,
              ...set(local),
            ];
          }),
          // the last group's units: the possible starts in no other group
          ...get(bits),
          ...groupBits.slice(0, -1).flatMap((local) => [...get(local), ...i64(-1), I64_XOR, I64_AND]),
          ...set(groupBits[groupBits.length - 1] as number),
          ...i64(0),
          ...groups.flatMap((gr, i) => [
            ...get(groupBits[i] as number),
            ...gr.ahead.flatMap((members, k) => [
              ...setAhead(setBits[setIndex(members)] as number, k + 1),
              I64_AND,
            ]),
            I64_OR,
          ]),
          ...get(blockedBits),
          ...i64(-1),
          I64_XOR,
          I64_AND,
          ...get(bits),
          I64_AND,
          ...set(bits),
        ];
  const pass2 = [
    ...i32(0),
    ...set(g),
    ...loop([
      ...breakIf([...get(g), ...get(seedEnd), GE_S]),
      // sixty-four characters a round (fewer rounds: the loop below ends once a round, at a
      // place the branch predictor cannot know)
      ...zero64([bits]),
      ...quarters.flatMap(possibleStarts),
      // (only in a round where some may start: most rounds of prose have none; with no scan
      // detectors there are no groups, and startSet is empty)
      ...(groups.length === 0
        ? []
        : when(
            [...get(bits), I64_EQZ, EQZ],
            [
              ...zero64([blockedBits, ...groupBits, ...setBits]),
              ...quarters.flatMap(groupSets),
              ...groupFilter,
            ],
          )),
      ...get(bits),
      // none past seedEnd
      ...fromBit([...get(seedEnd), ...get(g), SUB]),
      ...i64(-1),
      I64_XOR,
      I64_AND,
      ...set(bits),
      ...loop([
        ...breakIf([...get(bits), I64_EQZ]),
        ...get(g),
        ...get(bits),
        I64_CTZ,
        I32_WRAP,
        ADD,
        ...set(j),
        ...get(bits),
        ...get(bits),
        ...i64(1),
        I64_SUB,
        I64_AND,
        ...set(bits),
        // mask = firstMask[class] & (the block's `block` at 0, else blockMask's complement
        // of the character before)
        ...codeAt(0),
        ...load(row(0)),
        ...get(block),
        // (the unit before j: at j = 0, the zero kept before the units, and not used)
        ...codeAt(-1),
        ...load(row(1)),
        ...get(j),
        EQZ,
        SELECT,
        AND,
        ...set(mask),
        ...aheadTest,
        ...noteIfSome(kept, m.firstPos, m.firstMask, get(j), mask),
      ]),
      ...get(g),
      ...i32(64),
      ADD,
      ...set(g),
    ]),
    // the detectors the last character before seedEnd lets start after it
    ...when(
      [...i32(0), ...get(seedEnd), LT_S],
      [...classOf([...get(seedEnd), ...i32(1), SUB]), ...load(row(1)), ...set(block)],
    ),
  ];

  // notes a possible start: its position and its detectors
  const noteStart = (position: number[], detectors: number[]): number[] =>
    notePair(starts, m.seedPos, m.seedMask, position, detectors);
  // pass 3: judge the run of each kept position (function 1)
  const pass3 = [
    ...i32(0),
    ...set(at),
    ...loop([
      ...breakIf([...get(at), ...get(kept), GE_S]),
      ...wordAt(m.firstPos, at),
      ...set(j),
      ...wordAt(m.firstMask, at),
      ...set(mask),
      ...get(j),
      ...get(mask),
      ...get(aheadEnd),
      ...get(partial),
      CALL,
      1,
      ...set(hits),
      ...i32(0),
      ...load(m.out + 12),
      IF,
      EMPTY,
      // JavaScript judges this one: (j | NEEDS_JS, mask)
      ...i32(0),
      ...i32(0),
      ...store(m.out + 12),
      ...noteStart([...get(j), ...i32(NEEDS_JS), OR], get(mask)),
      ELSE,
      // (j, the detectors that may start there), when there are some
      ...when(get(hits), noteStart(get(j), get(hits))),
      END,
      ...inc(at),
    ]),
  ];
  return [
    // (blockMask's complement from here on; see above)
    ...not(get(block)),
    ...set(block),
    ...pass1,
    ...pass2,
    ...pass3,
    ...i32(0),
    ...get(starts),
    ...store(m.out),
    ...i32(0),
    ...get(state),
    ...store(m.out + 4),
    ...i32(0),
    ...not(get(block)),
    ...store(m.out + 8),
    ...get(kw),
    END,
  ];
}

// SIMD (the fixed-width SIMD proposal, now core): opcodes after the 0xfd prefix.
const V128 = 0x7b;
const SIMD_PREFIX = 0xfd;
const V_LOAD = 0x00;
const V_CONST = 0x0c;
const SWIZZLE = 0x0e;
const I8_EQ = 0x23;
const I8_NE = 0x24;
const V_AND = 0x4e;
const V_ANDNOT = 0x4f;
const V_OR = 0x50;
const BITMASK = 0x64;
const NARROW_U = 0x66;
const I8_SHR_U = 0x6d;
const I64 = 0x7e;
const I64_CONST = 0x42;
const I64_EQZ = 0x50;
const I64_CTZ = 0x7a;
const I64_SUB = 0x7d;
const I64_AND = 0x83;
const I64_OR = 0x84;
const I64_XOR = 0x85;
const I64_SHR_U = 0x88;
const I64_SHL = 0x86;
const I32_WRAP = 0xa7;
const I64_EXTEND_U = 0xad;
const i64 = (v: number): number[] => [I64_CONST, ...sleb(v)];
const SELECT = 0x1b;
const simd = (op: number): number[] => [SIMD_PREFIX, ...uleb(op)];
const vload = (offset: number): number[] => [...simd(V_LOAD), 0, ...uleb(offset)];
const vconst = (bytes: readonly number[]): number[] => [...simd(V_CONST), ...bytes];

/**
 * v128 code: the nibbles of the bytes of `vector`, as {@link member} reads them: into local
 * `low` each byte's low nibble, into local `high` the bit its high nibble picks (bit h for
 * h = 0–7, none for 8–15: no byte past ASCII is in a set).
 */
function nibbles(vector: number[], low: number, high: number): number[] {
  return [
    ...vector,
    ...set(high),
    ...get(high),
    ...vconst(new Array<number>(16).fill(15)),
    ...simd(V_AND),
    ...set(low),
    ...vconst(Array.from({ length: 16 }, (_, h) => (h < 8 ? 1 << h : 0))),
    ...get(high),
    ...i32(4),
    ...simd(I8_SHR_U),
    ...simd(SWIZZLE),
    ...set(high),
  ];
}

/**
 * v128 code: 0xff in each byte lane whose byte (split by {@link nibbles} into locals `low` and
 * `high`) is in `members` (ASCII codes), 0 elsewhere. A byte's low nibble picks, from a table,
 * the high nibbles that go with it in the set.
 */
function member(members: readonly number[], low: number, high: number): number[] {
  const table = new Array<number>(16).fill(0);
  for (const c of members) table[c & 15] = (table[c & 15] ?? 0) | (1 << (c >> 4));
  return [
    ...vconst(table),
    ...get(low),
    ...simd(SWIZZLE),
    ...get(high),
    ...simd(V_AND),
    ...vconst(new Array<number>(16).fill(0)),
    ...simd(I8_NE),
  ];
}

/** One of the distinct ahead sets of the start groups, and how pass 2 finds its units. */
interface AheadSetPlan {
  readonly members: readonly number[];
  /** A smaller set (its index) this one is, with `extra` besides; or undefined. */
  readonly base: number | undefined;
  /** The characters besides the base set's (tested one by one). */
  readonly extra: readonly number[];
}

/** The start groups' distinct ahead sets, smallest first, each from a smaller one where it can. */
function aheadSetPlan(groups: readonly StartGroup[]): {
  readonly sets: readonly AheadSetPlan[];
  readonly setIndex: (members: readonly number[]) => number;
} {
  const keys = [...new Set(groups.flatMap((gr) => gr.ahead.map((a) => a.join(','))))];
  const all = keys
    .map((key) => (key === '' ? [] : key.split(',').map(Number)))
    .sort((a, b) => a.length - b.length);
  const sets: AheadSetPlan[] = [];
  for (const members of all) {
    const has = new Set(members);
    const base = sets.findIndex(
      (earlier) =>
        earlier.base === undefined &&
        earlier.members.length < members.length &&
        members.length - earlier.members.length <= 2 &&
        earlier.members.every((c) => has.has(c)),
    );
    const extra = base < 0 ? [] : members.filter((c) => !(sets[base] as AheadSetPlan).members.includes(c));
    sets.push({ members, base: base < 0 ? undefined : base, extra });
  }
  const index = new Map(sets.map((plan, i) => [plan.members.join(','), i]));
  return { sets, setIndex: (members) => index.get(members.join(',')) ?? -1 };
}

function assemble(t: WalkTables, m: Layout): Uint8Array {
  // Pass 2's sets (see startFilter), and the distinct ahead sets of its start groups: an i64
  // local for each group and each set, besides the walk's three.
  const sets = startFilter(t);
  const plan = aheadSetPlan(sets.groups);
  const walk = [
    ...vec([
      [WALK_I32_LOCALS, I32],
      [22, V128],
      [3 + sets.groups.length + plan.sets.length, I64],
    ]),
    ...walkBody(t, m, sets, plan),
  ];
  const judge = [...vec([[8, I32]]), ...judgeBody(t, m)];
  const pages = Math.ceil(m.bytes / 65536);
  const params = (count: number): number[] => vec(Array.from({ length: count }, () => [I32]));
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(
      1,
      vec([
        [0x60, ...params(6), ...vec([[I32]])],
        [0x60, ...params(4), ...vec([[I32]])],
      ]),
    ),
    ...section(3, vec([[0], [1]])),
    ...section(5, vec([[0x01, ...uleb(pages), ...uleb(pages)]])),
    ...section(
      7,
      vec([
        [...name('walk'), 0x00, 0],
        [...name('memory'), 0x02, 0],
      ]),
    ),
    ...section(
      10,
      vec([
        [...uleb(walk.length), ...walk],
        [...uleb(judge.length), ...judge],
      ]),
    ),
  ];
  return Uint8Array.from(bytes);
}

// The part of the WebAssembly API used here (the project's type libraries do not declare it).
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}

/**
 * Builds the walk for `tables` in WebAssembly, or returns undefined where WebAssembly cannot
 * run (the index then walks in JavaScript, with the same results).
 */
export function buildBlockWalk(tables: WalkTables): BlockWalk | undefined {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  // (The class table holds classes times 4 in 16 bits.)
  if (wasm === undefined || tables.classes * 4 > 0xffff) return undefined;
  const m = layout(tables);
  let exports: Record<string, unknown>;
  try {
    exports = new wasm.Instance(new wasm.Module(assemble(tables, m))).exports;
  } catch {
    return undefined;
  }
  const run = exports['walk'] as (...args: number[]) => number;
  const buffer = (exports['memory'] as { readonly buffer: ArrayBuffer }).buffer;
  new Uint16Array(buffer, m.classOf, 65536).set(tables.classOf.map((c) => c * 4));
  const next = new Int32Array(buffer, m.next, tables.next.length);
  // Transitions as byte addresses; blockMask (the first row past them) as its complement.
  const blockRow = tables.tests + tables.classes;
  for (let i = 0; i < tables.next.length; i++) {
    const v = tables.next[i] ?? 0;
    next[i] = i < tables.tests ? m.next + v * 4 : i >= blockRow && i < blockRow + tables.classes ? ~v : v;
  }
  const { runs } = tables;
  new Uint32Array(buffer, m.runMask, 128).set(runs.runMask);
  new Uint32Array(buffer, m.capMask, runs.capMask.length).set(runs.capMask);
  new Uint32Array(buffer, m.accepted, runs.accepted.length).set(runs.accepted);
  new Uint32Array(buffer, m.endsFrom, runs.endsFrom.length).set(runs.endsFrom);
  new Uint32Array(buffer, m.shapeNeed, runs.shapeNeed.length).set(runs.shapeNeed);
  new Uint32Array(buffer, m.shapeAllow, runs.shapeAllow.length).set(runs.shapeAllow);
  const out = new Int32Array(buffer, m.out, 3);
  const base = m.next;
  return {
    units: new Uint16Array(buffer, m.units, tables.units + tables.aheadRows + 1),
    unitBytes: new Uint8Array(buffer, m.units, (tables.units + tables.aheadRows + 1) * 2),
    keywordNotes: new Int32Array(buffer, m.kwPos, tables.notes * 2),
    startNotes: new Int32Array(buffer, m.seedPos, tables.notes * 2),
    walk(seedEnd, blockEnd, aheadEnd, state, block, partial) {
      return run(seedEnd, blockEnd, aheadEnd, base + state * 4, block, partial ? 1 : 0);
    },
    get state() {
      return ((out[1] ?? base) - base) >> 2;
    },
    get block() {
      return out[2] ?? 0;
    },
    get starts() {
      return out[0] ?? 0;
    },
  };
}
