import { collectFindings, type FindingSink, noteFinding } from '../mask/lib/finding-sink.js';
import { createBulkTextStream } from '../mask/lib/offload.js';
import type { Masker } from '../mask/types.js';
import type { ColumnMasking, GateColumn, MaskingPlan } from './types.js';

// Per column, values up to this length are remembered within one result, up to this many.
const MEMO_VALUE_LENGTH = 256;
const MEMO_ENTRIES = 2048;

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
  const { columns, lastIndex } = shape;
  // Repeated values are remembered within this one result only: nothing read for one request
  // stays in memory for the next.
  const plans = shape.masks.map((mask, i) => (shape.memo[i] === true ? remembering(mask) : mask));
  let masked = 0;

  const value = (index: number, input: unknown): unknown => {
    const plan = plans[index];
    const out = plan === undefined ? masker.maskValue(input) : plan(input);
    if (out !== input) masked++;
    return out;
  };

  return {
    columns,
    value,
    row<R>(row: R): R {
      if (Array.isArray(row)) {
        const out = new Array<unknown>(row.length);
        for (let i = 0; i < row.length; i++) out[i] = value(i, row[i]);
        return out as R;
      }
      if (typeof row !== 'object' || row === null) throw new TypeError('a row is an array or an object');
      const input = row as Readonly<Record<string, unknown>>;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(input)) {
        const i = lastIndex.get(key);
        if (i !== undefined) {
          out[key] = value(i, input[key]);
          continue;
        }
        // A key the result shape does not name (none, from a driver): masked by content under its name.
        const before = input[key];
        const after = masker.maskValue(before, { column: key });
        if (after !== before) masked++;
        out[key] = after;
      }
      return out as R;
    },
    get masked() {
      return masked;
    },
  };
}

/**
 * A text column's masking that masks a repeated short value once. The first value is kept
 * without a map: most results of a point query hold one row.
 */
function remembering(mask: (value: unknown) => unknown): (value: unknown) => unknown {
  let memo: Map<string, Remembered> | undefined;
  let firstInput: string | undefined;
  let first: Remembered | undefined;
  const heard: string[] = [];
  const hear = (label: string): void => {
    heard.push(label);
  };
  return (input) => {
    if (typeof input !== 'string') return input === null || input === undefined ? input : mask(input);
    if (input.length > MEMO_VALUE_LENGTH) return mask(input);
    const hit = input === firstInput ? first : memo?.get(input);
    if (hit !== undefined) {
      // A remembered value was masked once but is shown (and counted, by the finding sink) each time.
      for (const label of hit.labels) noteFinding(label);
      return hit.out;
    }
    heard.length = 0;
    const out = collectFindings(hear, () => mask(input));
    for (const label of heard) noteFinding(label);
    const remembered: Remembered = { out, labels: heard.length === 0 ? NONE : [...heard] };
    if (first === undefined) {
      firstInput = input;
      first = remembered;
    } else {
      memo ??= new Map<string, Remembered>();
      if (memo.size < MEMO_ENTRIES) memo.set(input, remembered);
    }
    return out;
  };
}

/** A masked value and the labels of what masking it found. */
interface Remembered {
  readonly out: unknown;
  readonly labels: readonly string[];
}
