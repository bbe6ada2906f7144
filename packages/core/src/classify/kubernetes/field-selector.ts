// The one field selector that changes what a list or watch names. The API server's request-info
// resolution reads `fieldSelector=metadata.name=NAME` on a list/watch as a request for object
// NAME (so RBAC `resourceNames` apply to it); kubectl sends it for `get NAME -w`, `wait` and
// `rollout status`. This reads the selector the way k8s.io/apimachinery's fields.ParseSelector
// does, but only a selector that is exactly that one requirement names the object: anything
// more keeps the request a request for the collection.

/** Field selector operators, longest first, as the API server tries them at each position. */
const OPERATORS = ['!=', '==', '='] as const;

/** Characters a selector value escapes with `\`. */
const ESCAPABLE: ReadonlySet<string> = new Set(['\\', ',', '=']);

/**
 * The object name a `fieldSelector` value names: its only requirement is `metadata.name=NAME`
 * (or `==`), NAME unescaped, non-empty and a valid path segment (not `.`/`..`, no `/` or `%`).
 * `undefined` for every other selector, including malformed ones (which the API server rejects
 * or reads as no name).
 *
 * @example
 * ```ts
 * selectedName('metadata.name=web'); // 'web'
 * selectedName('metadata.name=web,status.phase=Running'); // undefined
 * ```
 */
export function selectedName(selector: string): string | undefined {
  const terms = splitTerms(selector).filter((t) => t !== '');
  if (terms.length !== 1) return undefined;
  const term = splitTerm(terms[0] ?? '');
  if (term === undefined || term.op === '!=' || term.lhs !== 'metadata.name') return undefined;
  const name = unescapeValue(term.rhs);
  if (name === undefined || name === '' || name === '.' || name === '..' || /[/%]/.test(name))
    return undefined;
  return name;
}

/** Splits on commas not escaped by a backslash (fields.splitTerms). */
function splitTerms(selector: string): string[] {
  const out: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (escaped) escaped = false;
    else if (c === '\\') escaped = true;
    else if (c === ',') {
      out.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  out.push(selector.slice(start));
  return out;
}

/** The first operator found scanning left to right, trying `!=`, `==`, `=` at each position. */
function splitTerm(term: string): { lhs: string; op: string; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of OPERATORS) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

/** fields.UnescapeValue: `\\`, `\,`, `\=` only; an unescaped `,` or `=` is an error. */
function unescapeValue(value: string): string | undefined {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charAt(i);
    if (c === '\\') {
      const next = value.charAt(i + 1);
      if (!ESCAPABLE.has(next)) return undefined;
      out += next;
      i++;
    } else if (c === ',' || c === '=') {
      return undefined;
    } else {
      out += c;
    }
  }
  return out;
}
