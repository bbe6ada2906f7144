/**
 * Freezes `value` and every object reachable from it through own enumerable members, and returns
 * it. An object already frozen is taken as frozen all the way down and not entered (which also
 * ends cycles).
 *
 * @example
 * ```ts
 * const kept = deepFreeze({ rules: ['read'], actions: [{ operation: 'select' }] });
 * ```
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
