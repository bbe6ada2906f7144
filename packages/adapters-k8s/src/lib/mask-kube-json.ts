// Kubernetes-aware masking of API responses. Secret values are base64 (`data`) or free text
// (`stringData`) that no content detector can be trusted to recognise, so every value of a
// Secret is replaced whatever the profile says, and so is the copy of the whole object that
// `kubectl apply` keeps in an annotation. Everything else (ConfigMaps included) goes through the
// policy's masking profile: field rules by key name and content detection on every string.
//
// Whether an object is a Secret is not read from its `kind` alone: the answer to a request for
// Secrets may be a Table (`kubectl get secrets`), PartialObjectMetadata(List) or watch events
// of either, whose objects are not of kind `Secret` and still carry the last-applied
// annotation, Secret data included. So for a Secrets request every object of the answer is
// treated as a Secret, whatever its kind.

/** What replaces each value of a Secret. */
export const SECRET_VALUE = '[REDACTED:kubernetes-secret]';

/** The annotation where client-side apply keeps the last applied object, Secret data included. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Table columns of Secrets that hold no Secret value, with the type their cell must have: the
 * API server's Secret printer prints `Name`, `Type`, `Data` (the number of keys) and `Age`. A
 * cell of any other column, of another type, or of a Table whose columns are not known, is
 * replaced: a server (an aggregated API, a future printer) could put a value there.
 */
const SAFE_SECRET_COLUMNS: ReadonlyMap<string, 'string' | 'number'> = new Map([
  ['name', 'string'],
  ['type', 'string'],
  ['data', 'number'],
  ['age', 'string'],
]);

/** Nesting deeper than this in a Secrets answer is not walked but replaced. */
const MAX_DEPTH = 64;

type Json = Record<string, unknown>;

/** What a masker remembers between the documents of one answer (the events of one watch). */
interface TableState {
  /** The column names (lower-cased) of the last Table that defined them. */
  columns: readonly string[] | undefined;
}

/**
 * A masker for the JSON documents of one answer (one document, or each event of a watch, in
 * order): Secrets lose every `data`/`stringData` value and their last-applied annotation, then
 * `json` (the profile's masking) runs over the whole document. `secrets` says the request was
 * for Secrets: then every object in the answer is treated as a Secret whatever its kind (Table
 * rows and their objects, PartialObjectMetadata, watch events), and Table cells are kept only
 * in the columns known to hold no value. A Table watch defines its columns in its first event
 * only, so the masker remembers them for the events after it.
 *
 * @example
 * ```ts
 * const mask = kubeJsonMasker(plan.json, true);
 * mask({ type: 'ADDED', object: { kind: 'PartialObjectMetadata', metadata: { annotations: {…} } } });
 * ```
 */
export function kubeJsonMasker(
  json: (document: unknown) => unknown,
  secrets: boolean,
): (document: unknown) => unknown {
  const state: TableState = { columns: undefined };
  return (document) => json(secrets ? hideAll(document, 0, state) : hideSecrets(document, 0, state));
}

/**
 * Masks one decoded API response (an object, a list, a Table, a watch event or a Status) with
 * a fresh {@link kubeJsonMasker}.
 *
 * @example
 * ```ts
 * maskKubeJson({ kind: 'Secret', data: { password: 'aHVudGVyMg==' } }, plan.json, false);
 * // → { kind: 'Secret', data: { password: '[REDACTED:kubernetes-secret]' } }
 * ```
 */
export function maskKubeJson(
  document: unknown,
  json: (document: unknown) => unknown,
  secrets: boolean,
): unknown {
  return kubeJsonMasker(json, secrets)(document);
}

/**
 * `node` (of an answer that is not for Secrets) with every object of kind `Secret` or
 * `SecretList` hidden whole; the same node, not a copy, when nothing in it was.
 */
function hideSecrets(node: unknown, depth: number, state: TableState): unknown {
  if (depth > MAX_DEPTH || typeof node !== 'object' || node === null) return node;
  if (Array.isArray(node)) return mapArray(node, (item) => hideSecrets(item, depth + 1, state));
  const kind = (node as Json)['kind'];
  if (kind === 'Secret' || kind === 'SecretList') return hideAll(node, depth, state);
  return mapObject(node as Json, (_key, value) => hideSecrets(value, depth + 1, state));
}

/**
 * `node` (of an answer for Secrets, or a Secret) with every `data`/`stringData` value, every
 * last-applied annotation and every Table cell that could hold a value hidden, at any depth and
 * whatever the kind of the object holding it.
 */
function hideAll(node: unknown, depth: number, state: TableState): unknown {
  if (typeof node !== 'object' || node === null) return node;
  if (depth > MAX_DEPTH) return SECRET_VALUE;
  if (Array.isArray(node)) return mapArray(node, (item) => hideAll(item, depth + 1, state));
  const object = node as Json;
  const table =
    Array.isArray(object['rows']) && (object['kind'] === 'Table' || 'columnDefinitions' in object);
  if (table) {
    const defined = object['columnDefinitions'];
    if (Array.isArray(defined) && defined.length > 0) state.columns = defined.map(columnName);
  }
  return mapObject(object, (key, value) => {
    if (key === 'rows' && table) {
      return mapArray(value as unknown[], (row) => hideRow(row, depth + 2, state));
    }
    return hideMember(key, value, depth, state);
  });
}

/** One member of an object in a Secrets answer. */
function hideMember(key: string, value: unknown, depth: number, state: TableState): unknown {
  if (key === 'data' || key === 'stringData') return hideValues(value);
  if (key === LAST_APPLIED) return SECRET_VALUE;
  // Cells outside a Table whose columns are known: none can be told safe.
  if (key === 'cells') return hideCells(value, undefined);
  return hideAll(value, depth + 1, state);
}

/** One Table row of a Secrets answer: its cells by column, its object and the rest hidden. */
function hideRow(row: unknown, depth: number, state: TableState): unknown {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return hideAll(row, depth, state);
  return mapObject(row as Json, (key, value) =>
    key === 'cells' ? hideCells(value, state.columns) : hideMember(key, value, depth, state),
  );
}

function hideCells(cells: unknown, columns: readonly string[] | undefined): unknown {
  if (!Array.isArray(cells)) return cells === null || cells === undefined ? cells : SECRET_VALUE;
  return mapArray(cells, (cell, i) => {
    const type = SAFE_SECRET_COLUMNS.get(columns?.[i] ?? '');
    return type !== undefined && typeof cell === type ? cell : SECRET_VALUE;
  });
}

function columnName(definition: unknown): string {
  if (typeof definition !== 'object' || definition === null) return '';
  const name = (definition as Json)['name'];
  return typeof name === 'string' ? name.toLowerCase() : '';
}

function hideValues(values: unknown): unknown {
  if (typeof values !== 'object' || values === null || Array.isArray(values)) return SECRET_VALUE;
  const out: Json = {};
  for (const key of Object.keys(values)) define(out, key, SECRET_VALUE);
  return out;
}

/** `array` with `map` applied to each item; the same array when no item changed. */
function mapArray(array: readonly unknown[], map: (item: unknown, index: number) => unknown): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < array.length; i++) {
    const item: unknown = array[i];
    const mapped = map(item, i);
    if (mapped !== item) (out ??= array.slice())[i] = mapped;
  }
  return out ?? (array as unknown[]);
}

/** `object` with `map` applied to each member; the same object when no member changed. */
function mapObject(object: Json, map: (key: string, value: unknown) => unknown): Json {
  let out: Json | undefined;
  for (const key of Object.keys(object)) {
    const value = object[key];
    const mapped = map(key, value);
    if (mapped !== value) define((out ??= { ...object }), key, mapped);
  }
  return out ?? object;
}

/**
 * Sets a member by definition, not assignment: a member named `__proto__` (JSON.parse makes it
 * an own member) would otherwise set the copy's prototype and keep the unmasked member.
 */
function define(object: Json, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}
