// Splitting a Kubernetes request target into path segments and query values the way the API
// server (Go's net/url) would see them, refusing every shape where a proxy, the server and a
// policy could disagree about which object is meant.

/** A request target split into decoded path segments and its query. */
export interface KubeTarget {
  /** Decoded, non-empty path segments (`/api/v1/pods` → `api`, `v1`, `pods`). */
  readonly segments: readonly string[];
  /** Query parameters in order, decoded like Go's `url.ParseQuery`. */
  readonly query: ReadonlyMap<string, readonly string[]>;
}

/**
 * Characters a decoded path segment may hold: RFC 3986 unreserved characters and the
 * sub-delimiters Kubernetes names use (`system:node:n1`, `web:8080`). Anything else (spaces,
 * controls, `%`, `\`, `*`, non-ASCII) is no name an API server would serve, and could confuse
 * a policy glob.
 */
const SEGMENT = /^[A-Za-z0-9._~:@+=,!$'()-]+$/;

/** Whether a decoded name is one {@link parseKubeTarget} would accept as a path segment. */
export function isPlainSegment(name: string): boolean {
  return name !== '.' && name !== '..' && SEGMENT.test(name);
}

/** No API request needs a longer target; longer ones are refused rather than parsed. */
const MAX_TARGET_LENGTH = 64 * 1024;

const UTF8 = new TextEncoder();

/**
 * Parses `path` (with optional `?query`) or returns `undefined` when the API server might
 * resolve it differently from its face value: not starting with `/`, a fragment, empty or
 * dot segments, percent-encoded `/`, `.` or `%` (double encoding), invalid escapes, or
 * characters outside {@link SEGMENT}, longer than 64 KiB. A single trailing `/` is allowed (Go
 * trims it).
 */
export function parseKubeTarget(target: string): KubeTarget | undefined {
  if (!target.startsWith('/') || target.includes('#') || target.length > MAX_TARGET_LENGTH) return undefined;
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const rawQuery = q === -1 ? '' : target.slice(q + 1);
  const trimmed = rawPath.length > 1 && rawPath.endsWith('/') ? rawPath.slice(1, -1) : rawPath.slice(1);
  const segments: string[] = [];
  if (trimmed !== '') {
    for (const raw of trimmed.split('/')) {
      // Encoded separators and dots are how path-confusion attacks get past a proxy.
      if (/%(2f|5c|2e|25|00)/i.test(raw)) return undefined;
      const segment = percentDecode(raw, false);
      if (segment === undefined || !isPlainSegment(segment)) {
        return undefined;
      }
      segments.push(segment);
    }
  }
  const query = parseQuery(rawQuery);
  return { segments, query };
}

/**
 * Go's `url.ParseQuery` as `URL.Query()` uses it: pairs split on `&`, a pair with `;` or a
 * bad escape is dropped, `+` is a space in keys and values.
 */
function parseQuery(raw: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const pair of raw.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    const key = percentDecode(eq === -1 ? pair : pair.slice(0, eq), true);
    const value = percentDecode(eq === -1 ? '' : pair.slice(eq + 1), true);
    if (key === undefined || value === undefined) continue;
    const list = out.get(key);
    if (list === undefined) out.set(key, [value]);
    else list.push(value);
  }
  return out;
}

/** Percent-decoding as Go's `url.PathUnescape`/`QueryUnescape`; `undefined` on a bad escape. */
export function percentDecode(text: string, plusIsSpace: boolean): string | undefined {
  if (!text.includes('%') && !(plusIsSpace && text.includes('+'))) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (plusIsSpace && c === 0x2b) {
      bytes.push(0x20);
    } else {
      bytes.push(...UTF8.encode(text.charAt(i)));
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
}
