import { parseDurationSeconds } from '../identity/duration.js';

/**
 * A policy duration (seconds, or `500ms`, `90s`, `30m`, `1h`, `2d`, `1w`, `1h30m`) in seconds:
 * the one duration reader, shared with the identity settings.
 *
 * @example
 * ```ts
 * durationSeconds('1h30m'); // 5400
 * durationSeconds(45); // 45
 * ```
 * @throws {TypeError} when the value is not a valid duration (the schema rejects those first).
 */
export function durationSeconds(value: string | number): number {
  return parseDurationSeconds(value);
}
