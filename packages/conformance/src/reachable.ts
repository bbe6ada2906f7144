/**
 * Every object reachable from `roots` through own data properties (functions included; getters
 * are not run): what code holding `roots` can get at without calling anything. Prototypes are
 * not followed; take `Object.getPrototypeOf` of the results to see which ones are reachable.
 *
 * @example
 * ```ts
 * const prototypes = new Set([...reachable([session])].map((o) => Object.getPrototypeOf(o)));
 * ```
 */
export function reachable(roots: readonly unknown[]): Set<object> {
  const seen = new Set<object>();
  const stack = [...roots];
  while (stack.length > 0) {
    const value = stack.pop();
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value))
      continue;
    seen.add(value);
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (descriptor !== undefined && 'value' in descriptor) stack.push(descriptor.value);
    }
  }
  return seen;
}
