import { RecordingError } from '../errors.js';
import type { RecordEvent, RecordEventType, SessionRecorder } from '../types.js';
import { messageOf } from './decide-request.js';

type EventType = Exclude<RecordEventType, 'session.start' | 'session.end' | 'checkpoint'>;

/**
 * Writes one event of a request to its session. When `required`, a failure rejects with a
 * `RecordingError` (the recorder's error as `cause`, or itself when it already is one) so the
 * engine denies; otherwise recording is an observer and its failure is ignored (resolves
 * `undefined`). Without a session, nothing is written.
 *
 * @example
 * ```ts
 * const event = await recordStep(session, 'request', { request }, decision.recordingRequired);
 * ```
 * @throws RecordingError when `required` and the session could not record the event.
 */
export async function recordStep(
  session: SessionRecorder | undefined,
  type: EventType,
  data: unknown,
  required: boolean,
): Promise<RecordEvent | undefined> {
  if (session === undefined) return undefined;
  try {
    return await session.record(type, data);
  } catch (cause) {
    if (!required) return undefined;
    if (cause instanceof RecordingError) throw cause;
    throw new RecordingError(`the ${type} event could not be recorded: ${messageOf(cause)}`, { cause });
  }
}
