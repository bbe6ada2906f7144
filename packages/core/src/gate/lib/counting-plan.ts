// A request's view of a shared masking plan that counts what it masks, by label (detector id,
// `column`, `field`, `kubernetes-secret`), for the execution's telemetry.
import { collectFindings, type FindingSink } from '../../mask/lib/finding-sink.js';
import type { ColumnMasking, GateColumn, MaskingPlan } from '../types.js';

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
  const within = <T>(fn: () => T): T => collectFindings(sink, fn);
  return Object.freeze({
    masker: plan.masker,
    text: (text: string) => within(() => plan.text(text)),
    value: (value: unknown, context?: Parameters<MaskingPlan['value']>[1]) =>
      within(() => plan.value(value, context)),
    json: (document: unknown) => within(() => plan.json(document)),
    columns: (columns: readonly GateColumn[]): ColumnMasking => {
      const shape = plan.columns(columns);
      return Object.freeze({
        columns: shape.columns,
        value: (index: number, value: unknown) => within(() => shape.value(index, value)),
        row: <R>(row: R): R => within(() => shape.row(row)),
        get masked() {
          return shape.masked;
        },
      });
    },
    // Labels masked in the worker are told to the sink when their step's answer arrives.
    bulkStream: () => plan.bulkStream(sink),
    stream: () => {
      const stream = plan.stream();
      return {
        write: (text: string) => within(() => stream.write(text)),
        idle: () => within(() => stream.idle()),
        end: () => within(() => stream.end()),
      };
    },
  });
}
