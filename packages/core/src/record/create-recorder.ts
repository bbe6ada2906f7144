import { randomUUID, type KeyObject } from 'node:crypto';
import { LONGEST_TIMER_MS } from '../longest-timer.js';
import { RecordingError } from '../errors.js';
import type { Recorder, RecordEvent, RecordEventType, RecordingSink, SessionRecorder } from '../types.js';
import { genesisHash } from './hash-event.js';
import { createBatcher } from './lib/batcher.js';
import { buildEvent, canonicalData, eventText, sha256Hex } from './lib/event-text.js';
import { EVENT_TYPES } from './lib/parse-event.js';
import { keyIdOf, signSeal, toSigningKey } from './lib/seal.js';

/** Options of {@link createRecorder}. */
export interface CreateRecorderOptions {
  /** Where events go. Every rejection of the sink reaches the caller of `record()`. */
  readonly sink: RecordingSink;
  /** The clock for `ts` (default: `() => new Date()`). */
  readonly now?: () => Date;
  /**
   * An Ed25519 private key (KeyObject or PEM). When set, every session is sealed: its
   * `session.start` names the key id and its `session.end` carries a signature (docs/recording.md).
   */
  readonly sealingKey?: KeyObject | string;
  /** Makes session ids when `start()` is not given one (default: `crypto.randomUUID`). */
  readonly newSessionId?: () => string;
  /**
   * Signed checkpoints in sealed sessions, so a crash or a cut loses at most what came after the
   * last one (docs/recording.md): one after every `everyEvents` events (default 1000) and, while
   * events are waiting for one, at most `everySeconds` after the first of them (default 60).
   * Needs `sealingKey`; `false` turns them off.
   */
  readonly checkpoints?: CheckpointOptions | false;
}

/** When a sealed session writes a signed checkpoint. */
export interface CheckpointOptions {
  /** Events (of any type) after which a checkpoint is written (default 1000). */
  readonly everyEvents?: number;
  /** Seconds after the first event not yet covered by a checkpoint (default 60). */
  readonly everySeconds?: number;
}

/** The event types recorded within a session (not its start, end or checkpoints). */
type MidEventType = Parameters<SessionRecorder['record']>[0];

/**
 * How long an optional event (see {@link recordOptionalEvent}) may wait in memory for the events
 * after it before the sink is handed them, in ms.
 */
export const OPTIONAL_LINGER_MS = 2;

/** The sessions this module made: how each records an event whose write may wait. */
const optionalRecorders = new WeakMap<
  SessionRecorder,
  (type: MidEventType, data: unknown) => Promise<RecordEvent>
>();

/**
 * Records an event whose recording is not required. In a session of {@link createRecorder} its
 * write may wait up to {@link OPTIONAL_LINGER_MS} for the events after it, so that a run of
 * requests shares one sink call instead of making one or two each; anything recorded with
 * `record()` (a required event), the session's end and a full batch write it at once, in order.
 * Any other session records it at once. The event is built (and its place in the chain taken)
 * now either way.
 *
 * @example
 * ```ts
 * recordOptionalEvent(session, 'result', { requestSeq, rowCount: 1 }).catch(() => undefined);
 * ```
 */
export function recordOptionalEvent(
  session: SessionRecorder,
  type: MidEventType,
  data: unknown,
): Promise<RecordEvent> {
  const own = optionalRecorders.get(session);
  return own === undefined ? session.record(type, data) : own(type, data);
}

/** The event types `record()` writes: every type but the session's start and end. */
const midTypes: ReadonlySet<string> = new Set(
  [...EVENT_TYPES].filter(
    (type) => type !== 'session.start' && type !== 'session.end' && type !== 'checkpoint',
  ),
);

/**
 * Creates a recorder: each session it starts is a hash chain of events (docs/ §7) handed to
 * `sink` in order. `record()` resolves once the sink accepted the event and rejects with a
 * {@link RecordingError} (`ERR_RECORDING_FAILED`, the sink's error as `cause`) when it did not,
 * so a required recording fails closed. After one failure the session is broken: every later
 * `record()` and `end()` rejects too, because the chain can no longer be continued safely;
 * start a new session. Calls made concurrently on one session keep their call order, and those
 * made while a write is in flight are handed to the sink together.
 *
 * @example
 * ```ts
 * const recorder = createRecorder({ sink: await createFileSink('audit.jsonl') });
 * const session = await recorder.start({ principal, target });
 * const request = await session.record('request', { request: { type: 'sql', sql: 'SELECT 1' } });
 * await session.record('decision', { requestSeq: request.seq, ...decision });
 * await session.end({ reason: 'closed' });
 * ```
 * @throws TypeError for an invalid sealing key. `start()` rejects with a TypeError for an invalid
 *   or already active session id or start data that is not an object, and with a RecordingError
 *   when the sink fails. `record()` rejects with a TypeError for an unknown type, data without a
 *   JSON form, or a session that has ended.
 */
export function createRecorder(options: CreateRecorderOptions): Recorder {
  const { sink } = options;
  const now = options.now ?? ((): Date => new Date());
  const newSessionId = options.newSessionId ?? randomUUID;
  const key = options.sealingKey === undefined ? undefined : toSigningKey(options.sealingKey);
  const keyId = key === undefined ? undefined : keyIdOf(key);
  const active = new Set<string>();
  const checkpointing = checkpointPlan(options.checkpoints, key !== undefined);

  // The last time written and its text: events recorded in the same millisecond (a request and
  // its decision) share one toISOString().
  let lastMs = Number.NaN;
  let lastTs = '';
  const timestamp = (): string => {
    const date = now();
    if (!(date instanceof Date)) throw new TypeError('now() must return a valid Date');
    const ms = date.getTime();
    if (Number.isNaN(ms)) throw new TypeError('now() must return a valid Date');
    if (ms !== lastMs) {
      lastTs = date.toISOString();
      lastMs = ms;
    }
    return lastTs;
  };

  return {
    async start(data, startOptions) {
      const session = startOptions?.session ?? newSessionId();
      assertSessionId(session);
      if (active.has(session)) throw new TypeError(`session ${session} is already being recorded`);
      const startData = withSeal(data, 'start', keyId === undefined ? undefined : { alg: 'Ed25519', keyId });
      const first = buildEvent({
        v: 1,
        session,
        seq: 0,
        ts: timestamp(),
        type: 'session.start',
        data: startData,
        prev: genesisHash(session),
      });
      active.add(session);
      try {
        await sink.append([first]);
      } catch (err) {
        active.delete(session);
        throw new RecordingError(`recording could not start session ${session}: ${messageOf(err)}`, {
          cause: err,
        });
      }
      return sessionRecorder(session, first);
    },
  };

  function sessionRecorder(session: string, first: RecordEvent): SessionRecorder {
    let seq = first.seq + 1;
    let prev = first.hash;
    let state: 'open' | 'ended' = 'open';
    let failure: unknown;
    const batcher = createBatcher<RecordEvent>(
      async (events) => {
        // A batch queued behind a failed one must not be written: the chain has a hole.
        if (failure !== undefined) throw failed('an event', failure);
        try {
          await sink.append(events);
        } catch (err) {
          failure = err;
          throw err;
        }
      },
      { lingerMs: OPTIONAL_LINGER_MS },
    );

    const failed = (what: string, err: unknown): RecordingError =>
      new RecordingError(`recording ${what} of session ${session} failed: ${messageOf(err)}`, { cause: err });

    const next = (type: RecordEventType, data: unknown): RecordEvent => {
      const event = buildEvent({ v: 1, session, seq, ts: timestamp(), type, data, prev });
      seq += 1;
      prev = event.hash;
      return event;
    };

    /** Builds `type` with `data.seal` signed over the event's own hash without the signature. */
    const signed = (type: 'session.end' | 'checkpoint', unsigned: Record<string, unknown>): RecordEvent => {
      const seal = { alg: 'Ed25519' as const, keyId: keyId ?? '' };
      const data = { ...unsigned, seal };
      const fields = { v: 1 as const, session, seq, ts: timestamp(), type, prev };
      const unsignedHash = sha256Hex(eventText({ ...fields, data }, canonicalData(data)));
      if (key === undefined) throw new TypeError('signing needs a sealing key');
      const event = buildEvent({
        ...fields,
        data: { ...data, seal: { ...seal, signature: signSeal(key, unsignedHash) } },
      });
      seq += 1;
      prev = event.hash;
      return event;
    };

    // Checkpoints: how many events since the last one, and a timer for the time bound.
    let uncovered = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const checkpoint = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      if (uncovered === 0 || state !== 'open' || failure !== undefined) return;
      uncovered = 0;
      let event: RecordEvent;
      try {
        event = signed('checkpoint', { events: seq });
      } catch (err) {
        failure = err;
        return;
      }
      // A failed checkpoint breaks the session like any failed event: the next record() says so.
      batcher.push(event).catch((err: unknown) => {
        failure ??= err;
      });
    };
    const covered = (): void => {
      if (checkpointing === undefined) return;
      uncovered += 1;
      if (uncovered >= checkpointing.everyEvents) checkpoint();
      else if (timer === undefined) {
        // (A longer wait is cut to the longest a timer keeps: a checkpoint early, never none.)
        timer = setTimeout(checkpoint, Math.min(checkpointing.everySeconds * 1000, LONGEST_TIMER_MS));
        timer.unref();
      }
    };

    // Not `async`: the event is built and queued synchronously, so call order is chain order.
    const recordEvent = (type: MidEventType, data: unknown, linger: boolean): Promise<RecordEvent> => {
      if (!midTypes.has(type)) {
        return Promise.reject(new TypeError(`record(): unknown event type ${JSON.stringify(type)}`));
      }
      if (state !== 'open') return Promise.reject(new TypeError(`session ${session} has ended`));
      if (failure !== undefined) return Promise.reject(failed('an event', failure));
      let event: RecordEvent;
      try {
        event = next(type, data ?? null);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new TypeError(String(err)));
      }
      const written = batcher.push(event, linger);
      covered();
      return written.then(
        () => event,
        (err: unknown) => {
          throw failed(`${type} event ${event.seq}`, err);
        },
      );
    };

    const recorder: SessionRecorder = {
      session,
      get nextSeq() {
        return seq;
      },
      record(type, data) {
        return recordEvent(type, data, false);
      },
      async end(data) {
        if (state !== 'open') throw new TypeError(`session ${session} has already ended`);
        if (failure !== undefined) throw failed('the end', failure);
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        let event: RecordEvent;
        if (key !== undefined) {
          // Signed over the hash of this very event computed without the signature, so the seal
          // covers the whole chain and the end event's own data.
          event = signed('session.end', withSeal(data, 'end', undefined));
        } else {
          event = next('session.end', withSeal(data, 'end', undefined));
        }
        state = 'ended';
        active.delete(session);
        try {
          await batcher.push(event);
          await sink.flush();
        } catch (err) {
          failure ??= err;
          throw failed('the end', err);
        }
        return event;
      },
    };
    optionalRecorders.set(recorder, (type, data) => recordEvent(type, data, true));
    return recorder;
  }
}

function checkpointPlan(
  option: CheckpointOptions | false | undefined,
  sealed: boolean,
): { everyEvents: number; everySeconds: number } | undefined {
  if (option === false) return undefined;
  if (option !== undefined && !sealed) throw new TypeError('checkpoints need a sealingKey');
  if (!sealed) return undefined;
  const everyEvents = option?.everyEvents ?? 1000;
  const everySeconds = option?.everySeconds ?? 60;
  if (!Number.isSafeInteger(everyEvents) || everyEvents < 1)
    throw new TypeError('checkpoints.everyEvents must be an integer ≥ 1');
  if (!Number.isFinite(everySeconds) || everySeconds <= 0)
    throw new TypeError('checkpoints.everySeconds must be a number > 0');
  return { everyEvents, everySeconds };
}

function withSeal(
  data: unknown,
  which: 'start' | 'end',
  seal: { alg: 'Ed25519'; keyId: string } | undefined,
): Record<string, unknown> {
  if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data))) {
    throw new TypeError(`session ${which} data must be an object`);
  }
  const object = (data ?? {}) as Record<string, unknown>;
  if ('seal' in object)
    throw new TypeError(`session ${which} data must not set "seal": the recorder writes it`);
  return seal === undefined ? { ...object } : { ...object, seal };
}

function assertSessionId(session: unknown): asserts session is string {
  // Printable, bounded ids keep file names, log lines and the replay output unambiguous.
  if (
    typeof session !== 'string' ||
    session.length === 0 ||
    session.length > 256 ||
    /\p{Cc}/u.test(session)
  ) {
    throw new TypeError('a session id must be 1–256 characters without control characters');
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
