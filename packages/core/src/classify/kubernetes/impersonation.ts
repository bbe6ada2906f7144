// Impersonation headers (https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation):
// each one asks the API server to act as someone else, which is an action of its own.
import type { Action } from '../../types.js';
import type { HeaderEntry } from './headers.js';
import { percentDecode } from './url.js';

const UNKNOWN: Action = { operation: 'unknown' };

const SINGLE: Readonly<Record<string, string>> = {
  'impersonate-user': 'users',
  'impersonate-group': 'groups',
  'impersonate-uid': 'uids',
};

const EXTRA_PREFIX = 'impersonate-extra-';

/**
 * The `impersonate` actions of a request's headers, matched case-insensitively: one per
 * `Impersonate-User` (`users/<name>`), `Impersonate-Group` (`groups/<name>`), `Impersonate-Uid`
 * (`uids/<uid>`) value and per `Impersonate-Extra-<key>` header (`userextras/<key>`). A value
 * that was possibly several headers joined with commas also yields each part. An empty or
 * malformed value is `unknown`.
 */
export function impersonationActions(headers: readonly HeaderEntry[]): Action[] {
  const out: Action[] = [];
  for (const [rawName, rawValue] of headers) {
    const name = rawName.trim().toLowerCase();
    if (!name.startsWith('impersonate-')) continue;
    const values = headerValues(rawValue);
    if (values === undefined) {
      out.push(UNKNOWN);
      continue;
    }
    const kind = SINGLE[name];
    if (kind !== undefined) {
      for (const value of values) {
        for (const v of splitJoined(value)) {
          out.push(v === '' ? UNKNOWN : { operation: 'impersonate', resource: `${kind}/${v}` });
        }
      }
    } else if (name.startsWith(EXTRA_PREFIX) && name.length > EXTRA_PREFIX.length) {
      // The API server lowercases and unescapes the key (keys may hold `%2F` for `/`).
      const key = percentDecode(name.slice(EXTRA_PREFIX.length), false);
      out.push(
        key === undefined || key === ''
          ? UNKNOWN
          : { operation: 'impersonate', resource: `userextras/${key}` },
      );
    } else {
      // An impersonation header this classifier does not know: it may still change who acts.
      out.push(UNKNOWN);
    }
  }
  return out;
}

/** A header's values: a string or an array of strings; anything else is malformed. */
function headerValues(value: unknown): readonly string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) return value;
  return undefined;
}

/**
 * Repeated headers are often joined with `, ` by HTTP stacks. A name could contain a comma
 * too, so both readings are returned: the whole value and each part.
 */
function splitJoined(value: string): string[] {
  const whole = value.trim();
  if (!whole.includes(',')) return [whole];
  return [whole, ...whole.split(',').map((p) => p.trim())];
}
