import type { RecordEvent } from '../types.js';
import { canonicalData, eventText, FORMAT_TAG, sha256Hex } from './lib/event-text.js';

/**
 * The hash of an event: lower-case hex SHA-256 over the RFC 8785 canonical form of the event
 * without its `hash` member (docs/ §7). A `hash` member on the argument is ignored.
 *
 * @example
 * ```ts
 * const ok = hashEvent(event) === event.hash;
 * ```
 * @throws TypeError when `data` has no canonical JSON form (see {@link canonicalJson}).
 */
export function hashEvent(event: Omit<RecordEvent, 'hash'>): string {
  return sha256Hex(eventText(event, canonicalData(event.data)));
}

/**
 * The `prev` of a session's first event: hex SHA-256 of the UTF-8 text
 * `portcullis-recording-v1:` followed by the session id. Binding the session id into the
 * genesis means a session's first event cannot be passed off as another session's.
 *
 * @example
 * ```ts
 * genesisHash('s1'); // sha256('portcullis-recording-v1:s1')
 * ```
 */
export function genesisHash(session: string): string {
  return sha256Hex(`${FORMAT_TAG}:${session}`);
}
