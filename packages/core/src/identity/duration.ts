const UNIT_SECONDS: Readonly<Record<string, number>> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
};

// One or more `<number><unit>` parts, e.g. `90s`, `1h30m`, `1.5h`, or a bare number of seconds.
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
/** A duration as text: one or more `<number><unit>` parts (`90s`, `1h30m`, `1w`). */
export const DURATION_TEXT = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/;
const WHOLE = DURATION_TEXT;
const BARE = /^\d+(?:\.\d+)?$/;

/**
 * Parses a duration as written in a policy file into seconds: a non-negative number of seconds,
 * or a string of one or more `<number><unit>` parts with units `ms`, `s`, `m`, `h`, `d`, `w`
 * (`'90s'`, `'30m'`, `'1h'`, `'1d'`, `'1h30m'`), or a string of digits (seconds).
 *
 * @example
 * ```ts
 * parseDurationSeconds('1h30m'); // 5400
 * parseDurationSeconds(90);      // 90
 * ```
 * @param value The duration.
 * @param name What the duration configures, for the error message (e.g. `identity.maxTokenAge`).
 * @throws TypeError when the value is negative, not finite, empty or not in that form.
 */
export function parseDurationSeconds(value: string | number, name = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new TypeError(`${name} must be a non-negative number of seconds, got ${String(value)}`);
    }
    return value;
  }
  if (typeof value !== 'string') {
    throw new TypeError(`${name} must be a number of seconds or a string such as '90s', '30m', '1h'`);
  }
  const text = value.trim();
  if (BARE.test(text)) return Number(text);
  if (!WHOLE.test(text)) {
    throw new TypeError(
      `${name} must be a number of seconds or a string such as '90s', '30m', '1h', '1d'; got ${JSON.stringify(value)}`,
    );
  }
  let seconds = 0;
  PART.lastIndex = 0;
  for (let match = PART.exec(text); match !== null; match = PART.exec(text)) {
    seconds += Number(match[1]) * (UNIT_SECONDS[match[2] ?? ''] ?? Number.NaN);
  }
  if (!Number.isFinite(seconds)) throw new TypeError(`${name} is too large: ${JSON.stringify(value)}`);
  return seconds;
}
