// Planting names on prototypes for the conformance suite's prototype test (SPEC §9).

/**
 * Defines `make(name)` as a configurable, writable, non-enumerable value under each of `names`
 * on each of `prototypes` that does not have that name yet, own or inherited, and returns what
 * takes them off again (safe to call more than once).
 *
 * A name a prototype already has is left alone, inherited ones too: planting `apply` on the
 * async-function prototype would hide `Function.prototype.apply` from every async function in
 * the process. Node's EventEmitter calls its listeners with `handler.apply(…)`, so every async
 * listener (the test runner's own IPC among them) would run the planted function instead of its
 * body, which is an attack on JavaScript itself, not on a handle.
 *
 * When a definition throws, what was planted before it is taken off and the error rethrown.
 *
 * @example
 * ```ts
 * const undo = plantOnPrototypes([Object.prototype], ['enqueue'], (name) => () => calls.push(name));
 * try { await handle.read(); } finally { undo(); }
 * ```
 */
export function plantOnPrototypes(
  prototypes: Iterable<unknown>,
  names: Iterable<string | symbol>,
  make: (name: string | symbol) => unknown,
): () => void {
  const planted: { readonly proto: object; readonly name: string | symbol; readonly value: unknown }[] = [];
  const undo = (): void => {
    for (const { proto, name, value } of planted.splice(0)) {
      // Only what is still ours: a definition made since is not taken away.
      if (Object.getOwnPropertyDescriptor(proto, name)?.value === value) Reflect.deleteProperty(proto, name);
    }
  };
  const all = [...names];
  try {
    for (const proto of prototypes) {
      if ((typeof proto !== 'object' && typeof proto !== 'function') || proto === null) continue;
      for (const name of all) {
        if (name in proto) continue;
        const value = make(name);
        Object.defineProperty(proto, name, { configurable: true, writable: true, value });
        planted.push({ proto, name, value });
      }
    }
  } catch (error) {
    undo();
    throw error;
  }
  return undo;
}
