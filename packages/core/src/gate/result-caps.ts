import { ResultTooLargeError, type ResultCap } from '../errors.js';
import type { ResultCaps } from './types.js';

/** The caps in force when an adapter's options name none: generous, but finite. */
export const DEFAULT_RESULT_CAPS: ResultCaps = Object.freeze({
  maxRows: 1_000_000,
  maxBytes: 256 * 1024 * 1024,
  maxDurationMs: 10 * 60 * 1000,
});

const UNITS: Readonly<Record<ResultCap, string>> = {
  maxRows: 'rows',
  maxBytes: 'bytes',
  maxDurationMs: 'ms',
};

/**
 * Caps from partial options, each missing field at its default.
 *
 * @example
 * ```ts
 * resolveCaps({ maxRows: 10_000 }); // { maxRows: 10000, maxBytes: 268435456, maxDurationMs: 600000 }
 * ```
 * @throws TypeError when a cap is not a positive whole number (a cap cannot be switched off;
 * `Number.MAX_SAFE_INTEGER` is as far as it goes).
 */
export function resolveCaps(caps: Partial<ResultCaps> | undefined): ResultCaps {
  const given: unknown = caps;
  if (given !== undefined && (typeof given !== 'object' || given === null)) {
    throw new TypeError('caps must be { maxRows?, maxBytes?, maxDurationMs? }');
  }
  const out = { ...DEFAULT_RESULT_CAPS };
  for (const name of Object.keys(UNITS) as ResultCap[]) {
    const value = caps?.[name];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new TypeError(`caps.${name} must be a positive whole number of ${UNITS[name]}`);
    }
    out[name] = value;
  }
  return Object.freeze(out);
}

/**
 * The error for a request that passed `cap`: it names the cap, its value and how to raise it.
 *
 * @example
 * ```ts
 * throw capError('maxRows', caps, 'warehouse', 'createGatedPool({ caps })');
 * ```
 */
export function capError(
  cap: ResultCap,
  caps: ResultCaps,
  target: string,
  hint: string,
): ResultTooLargeError {
  const limit = caps[cap];
  const what =
    cap === 'maxDurationMs'
      ? `ran longer than ${cap} (${limit} ms)`
      : `passed ${cap} (${limit} ${UNITS[cap]})`;
  return new ResultTooLargeError(
    `the result of a request on ${target} ${what}; it was stopped and nothing more is returned. Narrow the request (LIMIT, WHERE, a cursor read in batches) or raise ${cap} in ${hint}`,
    cap,
    limit,
  );
}

/** Counts a result's rows and bytes against the caps. */
export interface CapMeter {
  /** @throws ResultTooLargeError once a cap is passed. */
  count(rows: number, bytes: number): void;
  readonly rows: number;
  readonly bytes: number;
}

/**
 * A meter for one request's result.
 *
 * @example
 * ```ts
 * const meter = createCapMeter(caps, () => capError('maxRows', caps, target, hint));
 * meter.count(1, 42);
 * ```
 */
export function createCapMeter(caps: ResultCaps, fail: (cap: ResultCap) => Error): CapMeter {
  let rows = 0;
  let bytes = 0;
  return {
    count(moreRows, moreBytes) {
      rows += moreRows;
      bytes += moreBytes;
      if (rows > caps.maxRows) throw fail('maxRows');
      if (bytes > caps.maxBytes) throw fail('maxBytes');
    },
    get rows() {
      return rows;
    },
    get bytes() {
      return bytes;
    },
  };
}
