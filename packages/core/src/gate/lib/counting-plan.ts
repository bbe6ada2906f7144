// A request's view of a shared masking plan that counts what it masks, by label (detector id,
// `column`, `field`, `kubernetes-secret`), for the execution's telemetry. Its methods live on
// frozen prototypes: one object per request and per result shape, no closure per call.
import {
  collectFindings,
  enterFindings,
  leaveFindings,
  type FindingSink,
} from '../../mask/lib/finding-sink.js';
import type { Masker } from '../../mask/types.js';
import type { ColumnMasking, GateColumn, MaskingPlan } from '../types.js';

class CountingPlan implements MaskingPlan {
  readonly masker: Masker;
  readonly #plan: MaskingPlan;
  readonly #sink: FindingSink;

  constructor(plan: MaskingPlan, sink: FindingSink) {
    this.masker = plan.masker;
    this.#plan = plan;
    this.#sink = sink;
  }

  text(text: string): string {
    const before = enterFindings(this.#sink);
    try {
      return this.#plan.text(text);
    } finally {
      leaveFindings(before);
    }
  }

  value(value: unknown, context?: Parameters<MaskingPlan['value']>[1]): unknown {
    const before = enterFindings(this.#sink);
    try {
      return this.#plan.value(value, context);
    } finally {
      leaveFindings(before);
    }
  }

  json(document: unknown): unknown {
    const before = enterFindings(this.#sink);
    try {
      return this.#plan.json(document);
    } finally {
      leaveFindings(before);
    }
  }

  columns(columns: readonly GateColumn[]): ColumnMasking {
    return Object.freeze(new CountingColumns(this.#plan.columns(columns), this.#sink));
  }

  stream(): { write(text: string): string; idle(): string; end(): string } {
    const stream = this.#plan.stream();
    const sink = this.#sink;
    return {
      write: (text: string) => collectFindings(sink, () => stream.write(text)),
      idle: () => collectFindings(sink, () => stream.idle()),
      end: () => collectFindings(sink, () => stream.end()),
    };
  }
}
Object.freeze(CountingPlan.prototype);

class CountingColumns implements ColumnMasking {
  readonly columns: readonly GateColumn[];
  readonly #shape: ColumnMasking;
  readonly #sink: FindingSink;

  constructor(shape: ColumnMasking, sink: FindingSink) {
    this.columns = shape.columns;
    this.#shape = shape;
    this.#sink = sink;
  }

  value(index: number, value: unknown): unknown {
    const before = enterFindings(this.#sink);
    try {
      return this.#shape.value(index, value);
    } finally {
      leaveFindings(before);
    }
  }

  row<R>(row: R): R {
    const before = enterFindings(this.#sink);
    try {
      return this.#shape.row(row);
    } finally {
      leaveFindings(before);
    }
  }

  rowInPlace<R>(row: R): R {
    const before = enterFindings(this.#sink);
    try {
      return this.#shape.rowInPlace(row);
    } finally {
      leaveFindings(before);
    }
  }

  get masked(): number {
    return this.#shape.masked;
  }
}
Object.freeze(CountingColumns.prototype);

/**
 * Wraps `plan` so that every value masked through it (text, values, JSON, result columns,
 * streams) is told to `sink`. Masking through `plan.masker` directly is not counted.
 *
 * @example
 * ```ts
 * const byDetector: Record<string, number> = {};
 * const masking = countingPlan(plan, (label) => (byDetector[label] = (byDetector[label] ?? 0) + 1));
 * ```
 */
export function countingPlan(plan: MaskingPlan, sink: FindingSink): MaskingPlan {
  return Object.freeze(new CountingPlan(plan, sink));
}
