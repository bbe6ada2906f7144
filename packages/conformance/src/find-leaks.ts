// Walks what a caller received or can reach and reports where a forbidden string or object
// turns up. It looks everywhere a caller could: own and inherited properties (enumerable or
// not, symbols too, getters evaluated), error causes, Buffers as text, Maps and Sets.
import { inspect } from 'node:util';

/** What to look for. */
export interface LeakQuery {
  readonly strings: readonly string[];
  readonly classes?: readonly (abstract new (...args: never[]) => unknown)[];
}

const MAX_NODES = 50_000;
const MAX_BYTES = 1 << 20;

/** Every path at which a forbidden string or an instance of a forbidden class was found. */
export function findLeaks(root: unknown, query: LeakQuery): string[] {
  const needles = query.strings.filter((s) => s.length > 0);
  const classes = query.classes ?? [];
  const found: string[] = [];
  const seen = new Set<unknown>();
  const queue: { value: unknown; path: string }[] = [{ value: root, path: '$' }];
  const checkText = (text: string, path: string): void => {
    for (const needle of needles)
      if (text.includes(needle)) found.push(`${path} contains ${JSON.stringify(needle)}`);
  };
  while (queue.length > 0 && seen.size < MAX_NODES) {
    const { value, path } = queue.shift() as { value: unknown; path: string };
    if (typeof value === 'string') {
      checkText(value, path);
      continue;
    }
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value))
      continue;
    seen.add(value);
    for (const cls of classes) if (value instanceof cls) found.push(`${path} is a ${cls.name}`);
    if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
      if (value.byteLength <= MAX_BYTES)
        checkText(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'), path);
      continue;
    }
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) continue;
    if (value instanceof Map) {
      for (const [k, v] of value) {
        queue.push({ value: k, path: `${path}<key>` }, { value: v, path: `${path}<${String(k)}>` });
      }
    }
    if (value instanceof Set) for (const v of value) queue.push({ value: v, path: `${path}<item>` });
    // Own and inherited members, up to (not into) the built-in prototypes.
    for (
      let o: object | null = value;
      o !== null && !isBuiltInPrototype(o);
      o = Object.getPrototypeOf(o) as object | null
    ) {
      for (const key of Reflect.ownKeys(o)) {
        if (o !== value && key === 'constructor') continue;
        const descriptor = Object.getOwnPropertyDescriptor(o, key);
        if (descriptor === undefined) continue;
        let child: unknown;
        if ('value' in descriptor) child = descriptor.value;
        else if (descriptor.get !== undefined) {
          try {
            child = descriptor.get.call(value);
          } catch {
            continue;
          }
        }
        queue.push({ value: child, path: `${path}.${String(key)}` });
      }
      if (typeof o === 'function') break;
    }
  }
  return found;
}

/** `util.inspect` of a value with hidden members and getters, as a developer poking at it would see it. */
export function inspectDeep(value: unknown): string {
  return inspect(value, {
    showHidden: true,
    getters: true,
    depth: 8,
    maxArrayLength: 1000,
    maxStringLength: 100_000,
  });
}

const builtIns = new Set<unknown>([
  Object.prototype,
  Function.prototype,
  Array.prototype,
  Error.prototype,
  Promise.prototype,
  Map.prototype,
  Set.prototype,
  Date.prototype,
  RegExp.prototype,
]);

function isBuiltInPrototype(o: object): boolean {
  return (
    builtIns.has(o) ||
    (Object.getPrototypeOf(o) === Error.prototype && o !== Error.prototype && isNativeErrorPrototype(o))
  );
}

function isNativeErrorPrototype(o: object): boolean {
  return [TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError].some(
    (e) => e.prototype === o,
  );
}
