import { enterFindings, type FindingSink, leaveFindings, noteFinding } from '../mask/lib/finding-sink.js';
import { createBulkTextStream } from '../mask/lib/offload.js';
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
  const shapes = new Map<string, Shape>();
  return Object.freeze({
    masker,
    text: (text: string) => masker.maskText(text).text,
    value: (value: unknown, context?: Parameters<Masker['maskValue']>[1]) => masker.maskValue(value, context),
    json: (document: unknown) => masker.maskJson(document),
    columns: (columns: readonly GateColumn[]) => columnMasking(masker, shapeOf(masker, shapes, columns)),
    stream: () => masker.createTextStream(),
    bulkStream: (sink?: FindingSink) => createBulkTextStream(masker, sink === undefined ? {} : { sink }),
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

function shapeOf(masker: Masker, shapes: Map<string, Shape>, given: readonly GateColumn[]): Shape {
  // Length-prefixed, so no column name or source can make two shapes share a key.
  let key = '';
  for (const c of given) {
    const source = c.source ?? '';
    key += `${c.name.length}:${c.name}${source.length}:${source}${c.text === false ? 0 : 1}`;
  }
  const known = shapes.get(key);
  if (known !== undefined) return known;
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
  if (shapes.size < MAX_SHAPES) shapes.set(key, shape);
  return shape;
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
  // Per column: its first remembered value, and a map of the later ones (made when needed).
  #firstInput: (string | undefined)[] | undefined;
  #first: (Remembered | undefined)[] | undefined;
  #memo: (Map<string, Remembered> | undefined)[] | undefined;
  // Per column: lookups and hits so far, while its values are remembered; a column whose values
  // proved distinct is marked given up (lookups set to -1).
  #lookups: number[] | undefined;
  #hits: number[] | undefined;

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
    for (const key of Object.keys(input)) {
      const i = lastIndex.get(key);
      if (i !== undefined) {
        setOwn(out, key, this.value(i, input[key]));
        continue;
      }
      // A key the result shape does not name (none, from a driver): masked by content under its name.
      const before = input[key];
      const after = this.#masker.maskValue(before, { column: key });
      if (after !== before) this.#masked++;
      setOwn(out, key, after);
    }
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
      let after: unknown;
      if (i !== undefined) after = this.value(i, before);
      else {
        // A key the result shape does not name: masked by content under its name.
        after = this.#masker.maskValue(before, { column: key });
        if (after !== before) this.#masked++;
      }
      if (after !== before) setOwn(values, key, after);
    }
    return row;
  }

  get masked(): number {
    return this.#masked;
  }

  /** A text column's masking that masks a repeated short value once. */
  #remembered(index: number, mask: (value: unknown) => unknown, input: unknown): unknown {
    if (typeof input !== 'string') return input === null || input === undefined ? input : mask(input);
    if (input.length > MEMO_VALUE_LENGTH) return mask(input);
    const lookups = (this.#lookups ??= []);
    const hits = (this.#hits ??= []);
    const tried = lookups[index] ?? 0;
    if (tried < 0) return mask(input);
    const firstInput = (this.#firstInput ??= []);
    const first = (this.#first ??= []);
    const hit = input === firstInput[index] ? first[index] : this.#memo?.[index]?.get(input);
    lookups[index] = tried + 1;
    if (hit !== undefined) {
      hits[index] = (hits[index] ?? 0) + 1;
      // A remembered value was masked once but is shown (and counted, by the finding sink) each time.
      for (const label of hit.labels) noteFinding(label);
      return hit.out;
    }
    if (tried + 1 >= MEMO_TRIAL && (hits[index] ?? 0) * MEMO_MIN_HIT_RATIO < tried + 1) {
      lookups[index] = -1;
      const memo = this.#memo;
      if (memo !== undefined) memo[index] = undefined;
      return mask(input);
    }
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
    const remembered: Remembered = { out, labels };
    if (first[index] === undefined) {
      firstInput[index] = input;
      first[index] = remembered;
    } else {
      const memo = (this.#memo ??= []);
      const values = (memo[index] ??= new Map<string, Remembered>());
      if (values.size < MEMO_ENTRIES) values.set(input, remembered);
    }
    return out;
  }
}
Object.freeze(ResultColumns.prototype);

/** Sets an own property; a column named `__proto__` too, never through the prototype setter. */
function setOwn(row: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(row, key, { value, writable: true, enumerable: true, configurable: true });
  else row[key] = value;
}

/** A masked value and the labels of what masking it found. */
interface Remembered {
  readonly out: unknown;
  readonly labels: readonly string[];
}
