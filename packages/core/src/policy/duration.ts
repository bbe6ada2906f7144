import { DURATION_PATTERN } from './schema.js';

const UNIT_SECONDS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/**
 * A policy duration (seconds, or `500ms`, `90s`, `30m`, `1h`, `2d`) in seconds.
 *
 * @example
 * ```ts
 * durationSeconds('30m'); // 1800
 * durationSeconds(45); // 45
 * ```
 * @throws {TypeError} when the value is not a valid duration (the schema rejects those first).
 */
export function durationSeconds(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new TypeError(`invalid duration: ${value}`);
    return value;
  }
  const m = DURATION_PATTERN.exec(value);
  const unit = m?.[2];
  if (m === null || unit === undefined) throw new TypeError(`invalid duration: ${JSON.stringify(value)}`);
  return Number.parseFloat(value) * (UNIT_SECONDS[unit] ?? Number.NaN);
}
