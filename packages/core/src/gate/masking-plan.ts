import { enterFindings, leaveFindings, noteFinding } from '../mask/lib/finding-sink.js';
import type { Masker } from '../mask/types.js';
import type { ColumnMasking, GateColumn, MaskingPlan } from './types.js';

// Per column, values up to this length are remembered within one result, up to this many.
const MEMO_VALUE_LENGTH = 256;
const MEMO_ENTRIES = 2048;
// A column whose values rarely repeat stops being remembered: after this many lookups, when
// fewer than one in MEMO_MIN_HIT_RATIO of them found the value, its values are masked directly
// (remembering a column of distinct values costs a map entry and a copy of its labels per value).
const MEMO_TRIAL = 64;
const MEMO_MIN_HIT_RATIO = 8;

const keep = (value: unknown): unknown => value;
const NONE: readonly string[] = [];

/**
 * The masking plan over a compiled masker: text, values, JSON, streams, and per result shape a
 * {@link ColumnMasking} whose column rules are resolved once per column, whose non-text columns
 * skip content detection, and which masks a repeated value once per result.
 *
 * @example
 * ```ts
 * const plan = createMaskingPlan(maskerFor(policy, auth.mask));
 * const shape = plan.columns([{ name: 'id', text: false }, { name: 'email', source: 'public.users.email' }]);
 * const row = shape.row({ id: 1, email: 'a@example.com' });
 * ```
 */
export function createMaskingPlan(masker: Masker): MaskingPlan {
  const shapes: Shapes = { byKey: new Map(), last: undefined };
  return Object.freeze({
    masker,
    text: (text: string) => masker.maskText(text).text,
    value: (value: unknown, context?: Parameters<Masker['maskValue']>[1]) => masker.maskValue(value, context),
    json: (document: unknown) => masker.maskJson(document),
    columns: (columns: readonly GateColumn[]) => columnMasking(masker, shapeOf(masker, shapes, columns)),
    stream: () => masker.createTextStream(),
  });
}

/** A result shape's columns with their rules resolved: the same for every result of that shape. */
interface Shape {
  readonly columns: readonly GateColumn[];
  readonly masks: readonly ((value: unknown) => unknown)[];
  /** Whether a column's values are remembered within one result (text columns without a rule). */
  readonly memo: readonly boolean[];
  readonly lastIndex: ReadonlyMap<string, number>;
}

// Result shapes remembered per plan; past this many, shapes are resolved each time.
const MAX_SHAPES = 256;

/** A plan's result shapes by key, and the one resolved last. */
interface Shapes {
  readonly byKey: Map<string, Shape>;
  last: Shape | undefined;
}

function shapeOf(masker: Masker, shapes: Shapes, given: readonly GateColumn[]): Shape {
  // The shape asked for last, compared column by column: a repeated query has the same shape
  // every time, and comparing is cheaper than building its key.
  const last = shapes.last;
  if (last !== undefined && sameColumns(last.columns, given)) return last;
  // Length-prefixed, so no column name or source can make two shapes share a key.
  let key = '';
  for (const c of given) {
    const source = c.source ?? '';
    key += `${c.name.length}:${c.name}${source.length}:${source}${c.text === false ? 0 : 1}`;
  }
  const known = shapes.byKey.get(key);
  if (known !== undefined) {
    shapes.last = known;
    return known;
  }
  const columns = Object.freeze(given.map((c) => Object.freeze({ ...c })));
  const masks: ((value: unknown) => unknown)[] = [];
  const memo: boolean[] = [];
  for (const column of columns) {
    const ruled = masker.columnRuled(column);
    if (column.text === false && !ruled) {
      masks.push(keep);
      memo.push(false);
      continue;
    }
    masks.push(masker.planColumn(column.source === undefined ? { name: column.name } : column));
    memo.push(!ruled);
  }
  // Object rows: a repeated name holds its last column's value.
  const lastIndex = new Map<string, number>();
  columns.forEach((column, i) => lastIndex.set(column.name, i));
  const shape = Object.freeze({ columns, masks, memo, lastIndex });
  if (shapes.byKey.size < MAX_SHAPES) shapes.byKey.set(key, shape);
  shapes.last = shape;
  return shape;
}

/** Whether `given` names the same columns as `known`: names, sources and text flags alike. */
function sameColumns(known: readonly GateColumn[], given: readonly GateColumn[]): boolean {
  if (known.length !== given.length) return false;
  for (let i = 0; i < known.length; i++) {
    const a = known[i] as GateColumn;
    const b = given[i] as GateColumn;
    if (a.name !== b.name || a.source !== b.source || (a.text === false) !== (b.text === false)) return false;
  }
  return true;
}

function columnMasking(masker: Masker, shape: Shape): ColumnMasking {
  return new ResultColumns(masker, shape);
}

// What masking one remembered value found: its labels, heard here while it is masked. Masking is
// synchronous and never re-enters a plan, so one list serves every result.
const heard: string[] = [];
const hear = (label: string): void => {
  heard.push(label);
};

/**
 * One result's masking: the shape's column plans, and per text column without a rule the values
 * masked so far (a repeated short value is masked once per result). The first value of a column
 * is kept without a map: most results of a point query hold one row. Nothing read for one
 * request stays in memory for the next.
 */
class ResultColumns implements ColumnMasking {
  readonly columns: readonly GateColumn[];
  readonly #masker: Masker;
  readonly #shape: Shape;
  #masked = 0;
  // Per remembered column, made at its first value.
  #memos: (ColumnMemo | undefined)[] | undefined;

  constructor(masker: Masker, shape: Shape) {
    this.columns = shape.columns;
    this.#masker = masker;
    this.#shape = shape;
  }

  value(index: number, input: unknown): unknown {
    const mask = this.#shape.masks[index];
    const out =
      mask === undefined
        ? this.#masker.maskValue(input)
        : this.#shape.memo[index] === true
          ? this.#remembered(index, mask, input)
          : mask(input);
    if (out !== input) this.#masked++;
    return out;
  }

  row<R>(row: R): R {
    if (Array.isArray(row)) {
      const out = new Array<unknown>(row.length);
      for (let i = 0; i < row.length; i++) out[i] = this.value(i, row[i]);
      return out as R;
    }
    if (typeof row !== 'object' || row === null) throw new TypeError('a row is an array or an object');
    const input = row as Readonly<Record<string, unknown>>;
    const { lastIndex } = this.#shape;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(input)) setOwn(out, key, this.#cell(lastIndex.get(key), key, input[key]));
    return out as R;
  }

  rowInPlace<R>(row: R): R {
    const { masks } = this.#shape;
    if (Array.isArray(row)) {
      for (let i = 0; i < row.length; i++) if (masks[i] !== keep) row[i] = this.value(i, row[i]);
      return row;
    }
    if (typeof row !== 'object' || row === null) throw new TypeError('a row is an array or an object');
    const values = row as Record<string, unknown>;
    const { lastIndex } = this.#shape;
    for (const key of Object.keys(values)) {
      const i = lastIndex.get(key);
      if (i !== undefined && masks[i] === keep) continue;
      const before = values[key];
      const after = this.#cell(i, key, before);
      if (after !== before) setOwn(values, key, after);
    }
    return row;
  }

  get masked(): number {
    return this.#masked;
  }

  /** An object row's value under `key`: by its column `index`, or by content under its name. */
  #cell(index: number | undefined, key: string, input: unknown): unknown {
    if (index !== undefined) return this.value(index, input);
    // A key the result shape does not name (none, from a driver).
    const out = this.#masker.maskValue(input, { column: key });
    if (out !== input) this.#masked++;
    return out;
  }

  /** A text column's masking that masks a repeated short value once. */
  #remembered(index: number, mask: (value: unknown) => unknown, input: unknown): unknown {
    if (typeof input !== 'string') return input === null || input === undefined ? input : mask(input);
    if (input.length > MEMO_VALUE_LENGTH) return mask(input);
    const memos = (this.#memos ??= []);
    const memo = memos[index];
    if (memo === undefined) {
      // Masked as it is: only a value that comes again is masked so as to remember it (most
      // results of a point query hold one row).
      memos[index] = {
        firstInput: input,
        first: undefined,
        later: undefined,
        lookups: 1,
        hits: 0,
        gaveUp: false,
      };
      return mask(input);
    }
    if (memo.gaveUp) return mask(input);
    memo.lookups++;
    if (input === memo.firstInput && memo.first === undefined) {
      memo.hits++;
      memo.first = this.#maskAndHear(mask, input);
      return memo.first.out;
    }
    const hit = input === memo.firstInput ? memo.first : memo.later?.get(input);
    if (hit !== undefined) {
      memo.hits++;
      // A remembered value was masked once but is shown (and counted, by the finding sink) each time.
      for (const label of hit.labels) noteFinding(label);
      return hit.out;
    }
    if (memo.lookups >= MEMO_TRIAL && memo.hits * MEMO_MIN_HIT_RATIO < memo.lookups) {
      memo.gaveUp = true;
      memo.later = undefined;
      return mask(input);
    }
    const remembered = this.#maskAndHear(mask, input);
    memo.later ??= new Map<string, Remembered>();
    if (memo.later.size < MEMO_ENTRIES) memo.later.set(input, remembered);
    return remembered.out;
  }

  /** Masks a value to be remembered: its output and the labels of what masking it found. */
  #maskAndHear(mask: (value: unknown) => unknown, input: string): Remembered {
    heard.length = 0;
    const before = enterFindings(hear);
    let out: unknown;
    try {
      out = mask(input);
    } finally {
      leaveFindings(before);
    }
    const labels = heard.length === 0 ? NONE : [...heard];
    heard.length = 0;
    for (const label of labels) noteFinding(label);
    return { out, labels };
  }
}
Object.freeze(ResultColumns.prototype);

/** Sets an own property; a column named `__proto__` too, never through the prototype setter. */
function setOwn(row: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(row, key, { value, writable: true, enumerable: true, configurable: true });
  else row[key] = value;
}

/**
 * One text column's remembered values within a result: the first without a map (most results
 * of a point query hold one row), the later ones in one; lookups and hits decide when a column
 * of distinct values gives up remembering.
 */
interface ColumnMemo {
  readonly firstInput: string;
  /** Made when the first value comes again. */
  first: Remembered | undefined;
  later: Map<string, Remembered> | undefined;
  lookups: number;
  hits: number;
  gaveUp: boolean;
}

/** A masked value and the labels of what masking it found. */
interface Remembered {
  readonly out: unknown;
  readonly labels: readonly string[];
}
