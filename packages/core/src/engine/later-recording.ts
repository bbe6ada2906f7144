// A session recording that can also write an event later, in order. The gate runtime records
// the events of a request whose recording is not required this way: they are built on the next
// turn of the event loop, after the request was sent (usually while the target works on it),
// instead of before it, in the caller's time, and handed to the sink a moment later with the
// events after them (recordOptionalEvent). Every other event (a required
// one, a denial, an approval, the session's end) is recorded at once, after whatever is still
// waiting, so the chain keeps the order in which the events were made.
import { recordOptionalEvent } from '../record/create-recorder.js';
import type { RecordEvent, SessionRecorder } from '../types.js';

type MidEventType = Parameters<SessionRecorder['record']>[0];

/** Where the `seq` of a request's `request` event is kept once it is recorded (later, maybe). */
export interface RequestSeqBox {
  requestSeq?: number;
}

const ignore = (): void => undefined;

/**
 * An event's `data` naming its request's `seq` as `requestSeq` (first), or `data` as it is when
 * the request has none recorded. Built from a literal that starts with a plain member: V8
 * (Node 20) extends an object whose literal starts with a spread slowly, at about a microsecond
 * per member after the spread.
 *
 * @example
 * ```ts
 * withRequestSeq(4, { rowCount: 1 }); // { requestSeq: 4, rowCount: 1 }
 * withRequestSeq(undefined, { rowCount: 1 }); // { rowCount: 1 }
 * ```
 */
export function withRequestSeq(requestSeq: number | undefined, data: object): Record<string, unknown> {
  return requestSeq === undefined ? { ...data } : { requestSeq, ...data };
}

/** The immediate that runs a recording's waiting steps (no closure per schedule). */
const drainSteps = (recording: LaterRecording): void => {
  LaterRecording.drain(recording);
};

/**
 * A {@link SessionRecorder} over another one that can also take steps to record later
 * ({@link LaterRecording.later}). Steps run in the order they were given, on the next turn of
 * the event loop or as soon as anything is recorded at once, whichever comes first; so the
 * recording holds the events in the order they were made, whatever path made them. A step's
 * events are optional: a failure to write them is ignored, as for any recording that is not
 * required (a broken session then refuses every later event, required ones included).
 */
export class LaterRecording implements SessionRecorder {
  readonly session: string;
  readonly #inner: SessionRecorder;
  #steps: ((inner: SessionRecorder) => void)[] = [];
  #scheduled = false;

  constructor(inner: SessionRecorder) {
    this.#inner = inner;
    this.session = inner.session;
    Object.freeze(this);
  }

  /** The recording this one writes to. */
  get inner(): SessionRecorder {
    return this.#inner;
  }

  /**
   * The `seq` the next event recorded at once gets (after the steps still waiting); `undefined`
   * at run time when the inner recording does not say, as `SessionRecorder.nextSeq` allows.
   */
  get nextSeq(): number {
    LaterRecording.drain(this);
    return this.#inner.nextSeq as number;
  }

  /** Whether steps can be taken: the recording says which `seq` comes next, so a step can name it. */
  get canDefer(): boolean {
    return typeof this.#inner.nextSeq === 'number';
  }

  record(type: MidEventType, data: unknown): Promise<RecordEvent> {
    LaterRecording.drain(this);
    return this.#inner.record(type, data);
  }

  end(data?: unknown): Promise<RecordEvent> {
    LaterRecording.drain(this);
    return this.#inner.end(data);
  }

  /**
   * Runs `step` later, in order with every other step and before anything recorded at once.
   * `step` records through the recording it is given (never this one); what it records is
   * optional (see the class).
   */
  later(step: (inner: SessionRecorder) => void): void {
    this.#steps.push(step);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(drainSteps, this);
  }

  /** Runs every step still waiting, in order (a step that throws is skipped: its events are optional). */
  static drain(recording: LaterRecording): void {
    recording.#scheduled = false;
    if (recording.#steps.length === 0) return;
    const steps = recording.#steps;
    recording.#steps = [];
    for (const step of steps) {
      try {
        step(recording.#inner);
      } catch {
        // An optional event that could not be made is not recorded (see the class).
      }
    }
  }

  /**
   * Records `type` with `data` in `inner` as an optional event: its failure is ignored, and its
   * write may wait a moment to share one with the events after it (recordOptionalEvent). For
   * steps, which cannot wait for the sink.
   */
  static optional(inner: SessionRecorder, type: MidEventType, data: unknown): void {
    recordOptionalEvent(inner, type, data).then(ignore, ignore);
  }
}
