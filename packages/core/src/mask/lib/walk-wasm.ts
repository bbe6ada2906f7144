// The candidate walk (candidate-index.ts) as a WebAssembly function: the same steps over the
// same tables, without the bounds checks and tagged numbers a JavaScript loop pays per
// character. The module is assembled here, from the index's own tables, when the index is
// built: its addresses and the automaton's constants are immediates in the code.
//
// What the walk does for one block of code units (positions relative to the block's start):
//
//   for j < seedEnd:   step the automaton; note (j, state) where a keyword ends;
//                      mask = the scan detectors that may start at j and are not blocked by
//                      the character before; where some may, test the next AHEAD characters
//                      (up to aheadEnd) and note (j, mask) when some detector survives
//   for j < blockEnd:  step the automaton; note keyword ends
//
// exactly as CandidateIndex's JavaScript walk and keepAhead do (a property test compares the
// two on random texts). Nothing here allocates or reads outside the module's own memory: the
// block's units are at most BLOCK + reach, and the walk's indexes never pass blockEnd + AHEAD.

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
}

/** A walk over one block, run in its module's memory. */
export interface BlockWalk {
  /** The block's code units: write them here before {@link BlockWalk.walk}. */
  readonly units: Uint16Array;
  /** The same memory as bytes (for Buffer#write). */
  readonly unitBytes: Uint8Array;
  /** Keyword ends: positions at [0, n), automaton states (times classes) at [notes, notes + n). */
  readonly keywordNotes: Int32Array;
  /** Possible starts: positions at [0, n), detector masks at [notes, notes + n). */
  readonly startNotes: Int32Array;
  /**
   * Walks the block; returns the number of keyword ends noted. `state` is the automaton's
   * state (times classes) and `block` the detectors the character before the block keeps from
   * starting at its first; both after the walk are in {@link BlockWalk.state} and
   * {@link BlockWalk.block}, the number of possible starts in {@link BlockWalk.starts}.
   */
  walk(seedEnd: number, blockEnd: number, aheadEnd: number, state: number, block: number): number;
  readonly state: number;
  readonly block: number;
  readonly starts: number;
}

// The opcodes used (WebAssembly core specification, binary format).
const I32 = 0x7f;
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
const NE = 0x47;
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

// The memory's layout, in bytes: class table, transition table, block units, notes, results.
interface Layout {
  readonly classOf: number;
  readonly next: number;
  readonly units: number;
  readonly kwPos: number;
  readonly kwState: number;
  readonly seedPos: number;
  readonly seedMask: number;
  readonly out: number;
  readonly bytes: number;
}

const align = (n: number): number => (n + 15) & ~15;

function layout(t: WalkTables): Layout {
  const classOf = 0;
  const next = align(classOf + 65536 * 2);
  // AHEAD units past the block's reach are read by no test, but padding keeps even a wrong
  // `end` inside the units.
  const units = align(next + t.next.length * 4);
  const kwPos = align(units + (t.units + t.aheadRows + 1) * 2);
  const kwState = kwPos + t.notes * 4;
  const seedPos = kwState + t.notes * 4;
  const seedMask = seedPos + t.notes * 4;
  const out = seedMask + t.notes * 4;
  return { classOf, next, units, kwPos, kwState, seedPos, seedMask, out, bytes: out + 16 };
}

// The walk's code. Parameters 0–4: seedEnd, blockEnd, aheadEnd, state (a byte address in the
// transition table), block. Locals from 5: j, cls (times 4), mask, kw, starts, k, u.
function walkBody(t: WalkTables, m: Layout): number[] {
  const [seedEnd, blockEnd, aheadEnd, state, block] = [0, 1, 2, 3, 4];
  const [j, cls, mask, kw, starts, k, u] = [5, 6, 7, 8, 9, 10, 11];
  const row = (r: number): number => m.next + (t.tests + r * t.classes) * 4;
  const outBase = m.next + t.outBase * 4;
  // cls = classOf[units[j]] (the class table holds classes times 4)
  const classAt = (offsetUnits: number): number[] => [
    ...get(j),
    ...i32(1),
    SHL,
    ...load16(m.units + offsetUnits * 2),
    ...i32(1),
    SHL,
    ...load16(m.classOf),
  ];
  // state = next[state + cls]; where a keyword ends there, note (j, state)
  const step = (): number[] => [
    ...classAt(0),
    ...tee(cls),
    ...get(state),
    ADD,
    ...load(0),
    ...tee(state),
    ...i32(outBase),
    GE_U,
    IF,
    EMPTY,
    ...get(kw),
    ...i32(2),
    SHL,
    ...tee(u),
    ...get(j),
    ...store(m.kwPos),
    ...get(u),
    // the state as the JavaScript walk holds it: state × classes
    ...get(state),
    ...i32(m.next),
    SUB,
    ...i32(2),
    SHR_U,
    ...store(m.kwState),
    ...get(kw),
    ...i32(1),
    ADD,
    ...set(kw),
    END,
  ];
  const aheadUnrolled: number[] = [...get(mask)];
  for (let r = 1; r <= t.aheadRows; r++) aheadUnrolled.push(...classAt(r), ...load(row(r + 1)), AND);
  aheadUnrolled.push(...set(mask));
  // for (k = 1; j + k < aheadEnd; k++) mask &= row(k + 1)[classOf[units[j + k]]]
  const aheadLoop = [
    ...i32(1),
    ...set(k),
    BLOCK_OP,
    EMPTY,
    LOOP,
    EMPTY,
    ...get(j),
    ...get(k),
    ADD,
    ...get(aheadEnd),
    GE_S,
    BR_IF,
    1,
    // units[j + k] -> its class (times 4), plus the row's start for k + 1
    ...get(j),
    ...get(k),
    ADD,
    ...i32(1),
    SHL,
    ...load16(m.units),
    ...i32(1),
    SHL,
    ...load16(m.classOf),
    ...get(k),
    ...i32(t.classes * 4),
    // (k + 1) rows past tests: row(1) + k * classes * 4
    MUL,
    ADD,
    ...load(row(1)),
    ...get(mask),
    AND,
    ...set(mask),
    ...get(k),
    ...i32(1),
    ADD,
    ...set(k),
    BR,
    0,
    END,
    END,
  ];
  const seedPart = [
    // mask = firstMask[cls] & ~block; block = blockMask[cls]
    ...get(cls),
    ...load(row(0)),
    ...get(block),
    ...i32(-1),
    XOR,
    AND,
    ...tee(mask),
    ...get(cls),
    ...load(row(1)),
    ...set(block),
    IF,
    EMPTY,
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
    ...get(starts),
    ...i32(2),
    SHL,
    ...tee(u),
    ...get(j),
    ...store(m.seedPos),
    ...get(u),
    ...get(mask),
    ...store(m.seedMask),
    ...get(starts),
    ...get(mask),
    ...i32(0),
    NE,
    ADD,
    ...set(starts),
    END,
  ];
  const loopTo = (limit: number, body: number[]): number[] => [
    BLOCK_OP,
    EMPTY,
    LOOP,
    EMPTY,
    ...get(j),
    ...get(limit),
    GE_S,
    BR_IF,
    1,
    ...body,
    ...get(j),
    ...i32(1),
    ADD,
    ...set(j),
    BR,
    0,
    END,
    END,
  ];
  return [
    ...loopTo(seedEnd, [...step(), ...seedPart]),
    ...loopTo(blockEnd, step()),
    ...i32(0),
    ...get(starts),
    ...store(m.out),
    ...i32(0),
    ...get(state),
    ...store(m.out + 4),
    ...i32(0),
    ...get(block),
    ...store(m.out + 8),
    ...get(kw),
    END,
  ];
}

function assemble(t: WalkTables, m: Layout): Uint8Array {
  const body = walkBody(t, m);
  const code = [...vec([[7, I32]]), ...body];
  const pages = Math.ceil(m.bytes / 65536);
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), ...vec([[I32]])]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x01, ...uleb(pages), ...uleb(pages)]])),
    ...section(
      7,
      vec([
        [...name('walk'), 0x00, 0],
        [...name('memory'), 0x02, 0],
      ]),
    ),
    ...section(10, vec([[...uleb(code.length), ...code]])),
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
  if (wasm === undefined) return undefined;
  const m = layout(tables);
  let exports: Record<string, unknown>;
  try {
    exports = new wasm.Instance(new wasm.Module(assemble(tables, m))).exports;
  } catch {
    return undefined;
  }
  const run = exports['walk'] as (a: number, b: number, c: number, d: number, e: number) => number;
  const buffer = (exports['memory'] as { readonly buffer: ArrayBuffer }).buffer;
  new Uint16Array(buffer, m.classOf, 65536).set(tables.classOf.map((c) => c * 4));
  const next = new Int32Array(buffer, m.next, tables.next.length);
  for (let i = 0; i < tables.next.length; i++) {
    const v = tables.next[i] ?? 0;
    next[i] = i < tables.tests ? m.next + v * 4 : v;
  }
  const out = new Int32Array(buffer, m.out, 3);
  const base = m.next;
  return {
    units: new Uint16Array(buffer, m.units, tables.units + tables.aheadRows + 1),
    unitBytes: new Uint8Array(buffer, m.units, (tables.units + tables.aheadRows + 1) * 2),
    keywordNotes: new Int32Array(buffer, m.kwPos, tables.notes * 2),
    startNotes: new Int32Array(buffer, m.seedPos, tables.notes * 2),
    walk(seedEnd, blockEnd, aheadEnd, state, block) {
      return run(seedEnd, blockEnd, aheadEnd, base + state * 4, block);
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
