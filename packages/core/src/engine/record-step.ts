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

const ignore = (): void => undefined;

/**
 * Records a request and then its decision, which names the request's seq. When the session
 * says which seq comes next, both events are queued in the same turn and reach the sink in one
 * write; otherwise the request is recorded first. Failures are handled as by {@link recordStep};
 * resolves the request's seq (`undefined` without a session or when an optional write failed).
 *
 * @example
 * ```ts
 * const requestSeq = await recordRequestAndDecision(session, { request }, (seq) => ({ requestSeq: seq, ...decision }), true);
 * ```
 * @throws RecordingError when `required` and either event could not be recorded.
 */
export async function recordRequestAndDecision(
  session: SessionRecorder | undefined,
  request: unknown,
  decision: (requestSeq: number | undefined) => unknown,
  required: boolean,
): Promise<number | undefined> {
  if (session === undefined) return undefined;
  const next = session.nextSeq;
  if (typeof next !== 'number') {
    const requestSeq = (await recordStep(session, 'request', request, required))?.seq;
    await recordStep(session, 'decision', decision(requestSeq), required);
    return requestSeq;
  }
  const requested = recordStep(session, 'request', request, required);
  const decided = recordStep(session, 'decision', decision(next), required);
  // Both settle before either failure is reported (the request's first), so no rejection is
  // left unhandled (the decision's is handled at once, however late the request's settles).
  decided.catch(ignore);
  let seq: number | undefined;
  let failure: { readonly error: unknown } | undefined;
  try {
    seq = (await requested)?.seq;
  } catch (error) {
    failure = { error };
  }
  try {
    await decided;
  } catch (error) {
    failure ??= { error };
  }
  if (failure !== undefined) throw failure.error;
  if (required && seq !== undefined && seq !== next) {
    // The recorder's promise did not hold: the decision names another event. Never allow on it.
    throw new RecordingError(
      `the request was recorded as event ${seq}, not ${next} as the recorder announced`,
    );
  }
  return seq;
}
