import type { RecordEvent } from '../types.js';
import { lineOf } from './lib/event-text.js';

/**
 * The stored form of an event: one JSON Lines line (without the newline), the RFC 8785
 * canonical form of the whole event. A sink that writes JSON Lines, or exports events it keeps
 * elsewhere, must write exactly this text: `verifyRecording` rejects any other spelling.
 *
 * @example
 * ```ts
 * await fh.appendFile(events.map((e) => serializeEvent(e) + '\n').join(''));
 * ```
 * @throws TypeError when `data` has no canonical JSON form (see {@link canonicalJson}).
 */
export function serializeEvent(event: RecordEvent): string {
  return lineOf(event);
}
