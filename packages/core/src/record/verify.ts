import type { RecordEvent } from '../types.js';
import type { KeyInput, RecordingInput } from './types.js';
import { genesisHash } from './hash-event.js';
import { canonicalData, eventText, sha256Hex } from './lib/event-text.js';
import { eventShapeProblem, isEventArray, linesOfIterable, linesOfText } from './lib/parse-event.js';
import { checkSeal, keyIdOf, sealOf, toVerifyKey } from './lib/seal.js';
import { pruneRecordOf } from './tombstone.js';

/** What is wrong with a recording. Every kind makes the report not ok. */
export type VerifyProblemKind =
  /** A line that is not a version 1 event in canonical form (bad JSON, wrong members, re-spelled). */
  | 'malformed'
  /** The last line has no terminating newline: a write was cut short (or the file was cut). */
  | 'torn'
  /** An event's content does not match its hash, or the chain breaks between two events. */
  | 'modified'
  /** Events are missing from the middle of a session. */
  | 'deleted'
  /** A session's events are not in chain order. */
  | 'reordered'
  /** A line repeats an earlier one. */
  | 'duplicated'
  /** Two different events claim the same place in a session's chain. */
  | 'inserted'
  /** An event comes from another session or recording (no start here, or a foreign genesis). */
  | 'spliced'
  /** An event follows the session's `session.end`. */
  | 'after-end'
  /** A sealed session has no `session.end`: its last events were deleted (or it never ended). */
  | 'missing-end'
  /** A public key was given but the session is not sealed. */
  | 'unsealed'
  /** The session is sealed with another key than the one given. */
  | 'wrong-key'
  /** The seal's signature is missing or does not verify: the chain was recomputed without the key. */
  | 'bad-signature';

/** Things worth knowing that are not evidence of tampering. */
export type VerifyWarningKind =
  /** A sealed session was checked without a public key, so its signature was not verified. */
  | 'unverified-seal'
  /** An unsealed session has no end: still running, crashed, or truncated (only sealing tells). */
  | 'not-ended'
  /** The recording holds no events. */
  | 'empty';

/** One problem, at the first line that shows it. */
export interface VerifyProblem {
  readonly kind: VerifyProblemKind;
  /** 1-based line number (index + 1 for an array of events). */
  readonly line: number;
  readonly session?: string;
  readonly seq?: number;
  readonly message: string;
}

/** One warning. */
export interface VerifyWarning {
  readonly kind: VerifyWarningKind;
  readonly line: number;
  readonly session?: string;
  readonly message: string;
}

/** What verification found for one session. */
export interface VerifiedSession {
  readonly session: string;
  /** How many event lines name this session. */
  readonly events: number;
  readonly firstLine: number;
  readonly lastLine: number;
  /** Whether `session.start` declares a seal. */
  readonly sealed: boolean;
  /** The key id the seal names. */
  readonly keyId?: string;
  /** Whether the seal's signature was checked with the given key and verified. */
  readonly sealVerified: boolean;
  /** Whether the chain ends with `session.end`. */
  readonly ended: boolean;
  /** Whether no problem names this session. */
  readonly intact: boolean;
  /** How many checkpoints the session holds. */
  readonly checkpoints: number;
  /**
   * The last seq a signature vouches for (checked with the given key): the last event when the
   * seal verified, else the last verified checkpoint with an intact chain up to it. Absent when
   * nothing is vouched for (no key, no verified checkpoint).
   */
  readonly vouchedThrough?: number;
}

/** The outcome of {@link verifyRecording}. */
export interface VerifyReport {
  /** True when there is no problem (warnings do not count). */
  readonly ok: boolean;
  /** Lines (or array entries) read. */
  readonly lines: number;
  /** Well-formed events read. */
  readonly events: number;
  /** The key id of the public key given, if any. */
  readonly keyId?: string;
  /** Sessions in order of first appearance. */
  readonly sessions: readonly VerifiedSession[];
  /** Every problem, ordered by line. */
  readonly problems: readonly VerifyProblem[];
  readonly warnings: readonly VerifyWarning[];
  /** The first bad event: the problem with the lowest line. */
  readonly firstProblem?: VerifyProblem;
  /** Problems found beyond the 10,000 kept in `problems`. */
  readonly omittedProblems?: number;
  /** What earlier prunes removed, from the tombstones in the recording (docs/recording.md). */
  readonly pruned?: readonly PruneSummary[];
}

/** One tombstone: what a prune removed from the recording. */
export interface PruneSummary {
  /** The tombstone's session id. */
  readonly tombstone: string;
  /** Sessions whose last event was before this were removed. */
  readonly before: string;
  readonly at: string;
  readonly olderThan?: string;
  /** How many sessions and events were removed. */
  readonly sessions: number;
  readonly events: number;
  /** Whether the tombstone is intact and its seal verified with the given key. */
  readonly verified: boolean;
}

/** Options of {@link verifyRecording}. */
export interface VerifyOptions {
  /**
   * The Ed25519 public key sessions must be sealed with (a KeyObject, PEM, or the raw 32 bytes
   * as a Uint8Array, hex or base64url). When given, every session must be sealed with it and
   * ended; when absent, seals are reported as unverified warnings.
   */
  readonly publicKey?: KeyInput;
}

interface Entry {
  readonly line: number;
  readonly event: RecordEvent;
  readonly hashOk: boolean;
}

/** A checkpoint of a session as the first pass saw it. */
interface CheckpointMark {
  readonly line: number;
  readonly seq: number;
  /** Whether its signature verified with the given key (false without a key). */
  readonly verified: boolean;
}

/**
 * What the first pass keeps of a session: O(1) however long it is. While the session's events
 * arrive in chain order (`clean`), the chain is checked here and nothing else is kept; once one
 * does not, the session is analysed again in a second pass that keeps its events (without data).
 */
interface Track {
  readonly session: string;
  events: number;
  readonly first: Entry;
  last: Entry;
  clean: boolean;
  start?: Entry;
  end?: Entry;
  checkpoints: CheckpointMark[];
}

/** Most problems kept in a report; the rest are counted in `omittedProblems`. */
const MAX_PROBLEMS = 10_000;

/** One line of a recording as a verifier reads it. */
export interface VerifyLine {
  readonly line: number;
  readonly text: string;
  readonly terminated: boolean;
  /** Set when the line was longer than the reader keeps: its text is empty. */
  readonly tooLong?: number;
}

/**
 * The two-pass verifier behind {@link verifyRecording} and `verifyRecordingFile`: the first
 * pass reads every line once in bounded memory; the second, only when a session is damaged,
 * reads the lines again to analyse those sessions in detail.
 */
export class RecordingVerifier {
  readonly #key: ReturnType<typeof toVerifyKey> | undefined;
  readonly #keyId: string | undefined;
  readonly #problems: VerifyProblem[] = [];
  readonly #warnings: VerifyWarning[] = [];
  readonly #tracks = new Map<string, Track>();
  readonly #damaged = new Map<string, Entry[]>();
  #omitted = 0;
  #lines = 0;
  #events = 0;
  #lastUnparsed = 0;

  constructor(options: VerifyOptions) {
    this.#key = options.publicKey === undefined ? undefined : toVerifyKey(options.publicKey);
    this.#keyId = this.#key === undefined ? undefined : keyIdOf(this.#key);
  }

  #problem(p: VerifyProblem): void {
    if (this.#problems.length < MAX_PROBLEMS) this.#problems.push(p);
    else this.#omitted += 1;
  }

  /** Pass 1: one line of text. */
  line(input: VerifyLine): void {
    const entry = this.#parseLine(input, true);
    if (entry !== undefined) this.#track(entry);
  }

  /** Pass 1: one entry of an array of parsed events. */
  value(index: number, value: unknown): void {
    const entry = this.#parseValue(index, value, true);
    if (entry !== undefined) this.#track(entry);
  }

  /** After pass 1: lines handed over one by one carry no terminator, so an unparsable last line is the torn one. */
  endOfLines(): void {
    const last = this.#problems.at(-1);
    if (last !== undefined && this.#lastUnparsed === this.#lines && last.line === this.#lines) {
      this.#problems[this.#problems.length - 1] = {
        kind: 'torn',
        line: this.#lines,
        message: `the last line (${this.#lines}) is cut short: the last write was torn, or the file was cut`,
      };
    }
  }

  /** Whether a second pass is needed (some session's events were not in chain order). */
  get needsSecondPass(): boolean {
    for (const track of this.#tracks.values()) if (!track.clean) return true;
    return false;
  }

  /** Pass 2: the same line again. */
  lineAgain(input: VerifyLine): void {
    const entry = this.#parseLine(input, false);
    if (entry !== undefined) this.#collect(entry);
  }

  /** Pass 2: the same entry again. */
  valueAgain(index: number, value: unknown): void {
    const entry = this.#parseValue(index, value, false);
    if (entry !== undefined) this.#collect(entry);
  }

  #collect(entry: Entry): void {
    const track = this.#tracks.get(entry.event.session);
    if (track === undefined || track.clean) return;
    const e = entry.event;
    // Only the start, end and checkpoints are read for their data: drop the rest to stay small.
    const keep = e.type === 'session.start' || e.type === 'session.end' || e.type === 'checkpoint';
    const slim: Entry = keep
      ? entry
      : { line: entry.line, hashOk: entry.hashOk, event: { ...e, data: null } };
    const list = this.#damaged.get(e.session);
    if (list === undefined) this.#damaged.set(e.session, [slim]);
    else list.push(slim);
  }

  #parseValue(index: number, value: unknown, first: boolean): Entry | undefined {
    const line = index + 1;
    if (first) this.#lines = line;
    const shape = eventShapeProblem(value);
    const hash = shape === undefined ? hashOf(value as RecordEvent) : undefined;
    if (shape !== undefined) {
      if (first) this.#malformed(line, `entry ${line} is not an event: ${shape}`);
      return undefined;
    }
    if (hash === undefined) {
      if (first) this.#malformed(line, `entry ${line} has data without a JSON form`);
      return undefined;
    }
    const event = value as RecordEvent;
    return { line, event, hashOk: hash === event.hash };
  }

  #malformed(line: number, message: string): void {
    this.#problem({ kind: 'malformed', line, message });
  }

  #parseLine(input: VerifyLine, first: boolean): Entry | undefined {
    const { line, text, terminated } = input;
    const report = first
      ? (message: string): void => {
          this.#malformed(line, message);
        }
      : (): void => {};
    if (first) this.#lines = line;
    if (input.tooLong !== undefined) {
      report(`line ${line} is longer than ${input.tooLong} bytes: not read`);
      return undefined;
    }
    if (!terminated) {
      if (first) {
        this.#problem({
          kind: 'torn',
          line,
          message:
            `line ${line} has no terminating newline: the last write was torn (a crash mid-write) ` +
            'or the file was cut; opening the file with the file sink removes it',
        });
      }
      return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      if (first) this.#lastUnparsed = line;
      report(text === '' ? `line ${line} is empty` : `line ${line} is not valid JSON`);
      return undefined;
    }
    const shape = eventShapeProblem(value);
    if (shape !== undefined) {
      report(`line ${line} is not a recording event: ${shape}`);
      return undefined;
    }
    const event = value as RecordEvent;
    let dataText: string;
    try {
      dataText = canonicalData(event.data);
    } catch {
      report(`line ${line} has data without a canonical JSON form (a number out of range?)`);
      return undefined;
    }
    const hashOk = sha256Hex(eventText(event, dataText)) === event.hash;
    if (hashOk && eventText(event, dataText, event.hash) !== text) {
      // The content matches its hash but is spelled differently: re-serialised or edited.
      // Rejected because two readers could parse a non-canonical line differently
      // (duplicate members, for one).
      report(`line ${line} is not in canonical form (RFC 8785); its content matches its hash`);
    }
    return { line, event, hashOk };
  }

  /** Pass 1 for one event: checks the chain while the session stays in order. */
  #track(entry: Entry): void {
    this.#events += 1;
    const e = entry.event;
    let track = this.#tracks.get(e.session);
    if (track === undefined) {
      const ok =
        entry.hashOk && e.seq === 0 && e.type === 'session.start' && e.prev === genesisHash(e.session);
      track = { session: e.session, events: 0, first: entry, last: entry, clean: ok, checkpoints: [] };
      if (ok) track.start = entry;
      this.#tracks.set(e.session, track);
    } else if (track.clean) {
      const last = track.last.event;
      track.clean =
        entry.hashOk &&
        e.seq === last.seq + 1 &&
        e.prev === last.hash &&
        e.type !== 'session.start' &&
        track.end === undefined;
    }
    track.events += 1;
    track.last = entry;
    if (e.type === 'session.end' && track.end === undefined) track.end = entry;
    if (e.type === 'checkpoint') this.#checkpoint(track, entry);
  }

  #checkpoint(track: Track, entry: Entry): void {
    const key = this.#key;
    const seal = sealOf(entry.event.data);
    const startSeal = track.start === undefined ? undefined : sealOf(track.start.event.data);
    let verified = false;
    if (key !== undefined && entry.hashOk) {
      const where = `checkpoint at seq ${entry.event.seq} (line ${entry.line})`;
      const bad = (message: string): void => {
        this.#problem({
          kind: 'bad-signature',
          line: entry.line,
          session: track.session,
          seq: entry.event.seq,
          message,
        });
      };
      if (seal?.signature === undefined) bad(`the ${where} carries no signature`);
      else if (startSeal !== undefined && seal.keyId !== startSeal.keyId)
        bad(`the ${where} names key ${seal.keyId} but the start names ${startSeal.keyId}`);
      else if (seal.keyId !== this.#keyId)
        bad(`the ${where} is signed with key ${seal.keyId}, not the given key`);
      else if (!checkSeal(entry.event, key)) bad(`the signature of the ${where} does not verify`);
      else verified = true;
    }
    track.checkpoints.push({ line: entry.line, seq: entry.event.seq, verified });
  }

  /** The report, after pass 1 (and pass 2 when {@link needsSecondPass}). */
  report(): VerifyReport {
    const problems = this.#problems;
    const warnings = this.#warnings;
    const sessions: VerifiedSession[] = [];
    const env: SessionEnv = {
      key: this.#key,
      keyId: this.#keyId,
      report: (p) => {
        this.#problem(p);
      },
      warn: (w) => warnings.push(w),
    };
    const results: Omit<VerifiedSession, 'intact'>[] = [];
    for (const [session, track] of this.#tracks) {
      const result = track.clean
        ? finishSession(
            session,
            {
              first: track.first,
              last: track.last,
              events: track.events,
              hasStart: true,
              start: track.start,
              end: track.end,
              checkpoints: track.checkpoints,
              firstBadSeq: undefined,
            },
            env,
          )
        : analyseSession(session, this.#damaged.get(session) ?? [], track.checkpoints, env);
      if (result !== undefined) results.push(result);
    }
    const damaged = new Set(problems.map((p) => p.session));
    const pruned: PruneSummary[] = [];
    for (const result of results) {
      const intact = !damaged.has(result.session);
      sessions.push({ ...result, intact });
      const prune = pruneRecordOf(this.#tracks.get(result.session)?.start?.event.data);
      if (prune === undefined) continue;
      pruned.push({
        tombstone: result.session,
        before: prune.before,
        at: typeof prune.at === 'string' ? prune.at : '?',
        ...(typeof prune.olderThan === 'string' ? { olderThan: prune.olderThan } : {}),
        sessions: prune.sessions.length,
        events: prune.sessions.reduce((n, p) => n + (typeof p.events === 'number' ? p.events : 0), 0),
        verified: intact && result.sealVerified,
      });
    }
    if (this.#events === 0 && problems.length === 0) {
      warnings.push({ kind: 'empty', line: 0, message: 'the recording holds no events' });
    }
    problems.sort((a, b) => a.line - b.line);
    warnings.sort((a, b) => a.line - b.line);
    const firstProblem = problems[0];
    return {
      ok: problems.length === 0 && this.#omitted === 0,
      lines: this.#lines,
      events: this.#events,
      ...(this.#keyId === undefined ? {} : { keyId: this.#keyId }),
      sessions,
      problems,
      warnings,
      ...(firstProblem === undefined ? {} : { firstProblem }),
      ...(this.#omitted === 0 ? {} : { omittedProblems: this.#omitted }),
      ...(pruned.length === 0 ? {} : { pruned }),
    };
  }
}

/**
 * Verifies a recording (docs/recording.md): every line is a canonical version 1 event, each
 * session's events chain by `prev`/`hash` from the session's genesis with contiguous `seq`,
 * sealed sessions end with a valid signature and their checkpoints verify. Sessions may be
 * interleaved in one file; each is chained on its own. Returns a report naming every problem
 * and the first bad event; it does not throw for a damaged recording. For files, prefer
 * `verifyRecordingFile`, which streams. See docs/recording.md for what each check can and
 * cannot detect.
 *
 * @example
 * ```ts
 * const report = verifyRecording(await readRecordingFile('audit.jsonl'), { publicKey: pem });
 * if (!report.ok) console.error(formatVerifyReport(report, { file: 'audit.jsonl' }));
 * process.exitCode = report.ok ? 0 : 1;
 * ```
 * @throws TypeError when `publicKey` is not an Ed25519 key, or lines given as an iterable are not strings.
 */
export function verifyRecording(input: RecordingInput, options: VerifyOptions = {}): VerifyReport {
  const verifier = new RecordingVerifier(options);
  if (isEventArray(input)) {
    input.forEach((value, index) => {
      verifier.value(index, value);
    });
    if (verifier.needsSecondPass)
      input.forEach((value, index) => {
        verifier.valueAgain(index, value);
      });
    return verifier.report();
  }
  if (typeof input === 'string') {
    for (const line of linesOfText(input)) verifier.line(line);
    if (verifier.needsSecondPass) for (const line of linesOfText(input)) verifier.lineAgain(line);
    return verifier.report();
  }
  const lines = Array.isArray(input) ? (input as readonly string[]) : [...input];
  for (const line of linesOfIterable(lines)) verifier.line(line);
  verifier.endOfLines();
  if (verifier.needsSecondPass) for (const line of linesOfIterable(lines)) verifier.lineAgain(line);
  return verifier.report();
}

function hashOf(event: RecordEvent): string | undefined {
  try {
    return sha256Hex(eventText(event, canonicalData(event.data)));
  } catch {
    return undefined;
  }
}

/** Where problems and warnings of one session go, and the key seals are checked with. */
interface SessionEnv {
  readonly key: ReturnType<typeof toVerifyKey> | undefined;
  readonly keyId: string | undefined;
  readonly report: (problem: VerifyProblem) => void;
  readonly warn: (warning: VerifyWarning) => void;
}

/** Pass 2 for a session whose events were not in chain order: says what happened to them. */
function analyseSession(
  session: string,
  entries: readonly Entry[],
  checkpoints: readonly CheckpointMark[],
  env: SessionEnv,
): Omit<VerifiedSession, 'intact'> | undefined {
  const first = entries[0];
  const lastEntry = entries.at(-1);
  if (first === undefined || lastEntry === undefined) return undefined;
  let reported = 0;
  let firstBadSeq: number | undefined;
  const push = (problem: VerifyProblem): void => {
    reported += 1;
    if (problem.seq !== undefined) firstBadSeq = Math.min(firstBadSeq ?? problem.seq, problem.seq);
    env.report(problem);
  };
  const report = (kind: VerifyProblemKind, entry: Entry, message: string): void => {
    push({ kind, line: entry.line, session, seq: entry.event.seq, message });
  };
  const where = (e: Entry): string => `seq ${e.event.seq} (line ${e.line})`;

  // Where each seq appears, to tell a reordering (it comes later) from a deletion (it never does).
  const positions = new Map<number, number[]>();
  entries.forEach((entry, i) => {
    const list = positions.get(entry.event.seq);
    if (list === undefined) positions.set(entry.event.seq, [i]);
    else list.push(i);
  });
  const linked = new Set(entries.map((entry) => entry.event.prev));
  const hasStart = positions.has(0);
  if (!hasStart) {
    report(
      'spliced',
      first,
      `session ${session} does not start in this recording (its first event here is seq ${first.event.seq}): ` +
        'the event was copied from another recording, or the session start was deleted',
    );
  }

  const accepted = new Map<number, Entry>();
  const seen = new Map<string, Entry>();
  const bySeq = new Map<number, Entry[]>();
  const awaited = new Set<number>();
  let expected = hasStart ? 0 : first.event.seq;
  let prevHash = hasStart ? genesisHash(session) : first.event.prev;
  let previous: Entry | undefined;
  let previousReported = false;
  let end: Entry | undefined;

  const accept = (entry: Entry): void => {
    const e = entry.event;
    if (e.seq === 0 && e.type !== 'session.start') report('malformed', entry, 'seq 0 must be session.start');
    if (e.seq !== 0 && e.type === 'session.start')
      report('malformed', entry, `session.start at seq ${e.seq}, not 0`);
    if (end !== undefined) {
      report(
        'after-end',
        entry,
        `${where(entry)} follows the session end at ${where(end)}: it was appended later`,
      );
    } else if (e.type === 'session.end') {
      end = entry;
    }
    accepted.set(e.seq, entry);
    expected = e.seq + 1;
    prevHash = e.hash;
    previous = entry;
  };

  entries.forEach((entry, i) => {
    const e = entry.event;
    const reportedBefore = reported;
    const sameSeq = bySeq.get(e.seq);
    if (sameSeq === undefined) bySeq.set(e.seq, [entry]);
    else sameSeq.push(entry);

    if (!entry.hashOk) {
      report(
        'modified',
        entry,
        `${where(entry)} does not match its hash: it was changed after it was recorded`,
      );
      if (e.seq >= expected) accept(entry);
      previousReported = true;
      return;
    }
    const duplicate = seen.get(e.hash);
    if (duplicate !== undefined) {
      report('duplicated', entry, `line ${entry.line} repeats line ${duplicate.line} (seq ${e.seq})`);
      return;
    }
    seen.set(e.hash, entry);

    if (e.seq === expected) {
      if (e.prev !== prevHash) {
        // A link to another event with the previous seq means an inserted event was already reported.
        const forked = (bySeq.get(e.seq - 1) ?? []).some((other) => other.event.hash === e.prev);
        if (e.seq === 0) {
          report(
            'spliced',
            entry,
            `seq 0 does not chain from the genesis of session ${session}: it was taken from another session`,
          );
        } else if (!previousReported && !forked) {
          // Blame the earlier event: re-hashing an edited event (or replacing it) is what leaves
          // its successor pointing at the old hash. Editing only the successor's link is rarer.
          const blamed = previous ?? entry;
          report(
            'modified',
            blamed,
            `${where(blamed)} is not the event ${where(entry)} was chained to: it was changed and ` +
              're-hashed or replaced (or the link of the later one was)',
          );
        }
      }
      accept(entry);
    } else if (e.seq > expected) {
      const later: number[] = [];
      const missing: number[] = [];
      for (let s = expected; s < e.seq; s++) {
        if ((positions.get(s) ?? []).some((j) => j > i)) later.push(s);
        else if (!accepted.has(s)) missing.push(s);
      }
      const firstLater = later[0];
      if (firstLater !== undefined) {
        const at = entries[(positions.get(firstLater) ?? []).find((j) => j > i) ?? i] ?? entry;
        report('reordered', entry, `${where(entry)} comes before ${where(at)}: events were reordered`);
        for (const s of later) awaited.add(s);
      }
      if (missing.length > 0) {
        const range = missing.length === 1 ? `seq ${missing[0]}` : `seq ${missing[0]}–${missing.at(-1)}`;
        report('deleted', entry, `${range} missing before ${where(entry)}: events were deleted`);
      }
      accept(entry);
    } else if (awaited.has(e.seq)) {
      // The late half of a reordering already reported.
      awaited.delete(e.seq);
      accepted.set(e.seq, entry);
    } else {
      const other = accepted.get(e.seq);
      if (other !== undefined) {
        // The genuine one is the one a later event links to; without that, blame the earlier line.
        const otherLinked = linked.has(other.event.hash);
        const entryLinked = linked.has(e.hash);
        const known = otherLinked !== entryLinked;
        const suspect = known ? (otherLinked ? entry : other) : other.line < entry.line ? other : entry;
        push({
          kind: 'inserted',
          line: suspect.line,
          session,
          seq: e.seq,
          message:
            `seq ${e.seq} appears twice with different content (lines ${other.line} and ${entry.line}): ` +
            (known
              ? `line ${suspect.line} was inserted (no later event links to it)`
              : 'one of them was inserted'),
        });
      } else {
        report('reordered', entry, `${where(entry)} comes after seq ${expected - 1}: events were reordered`);
      }
    }
    previousReported = reported > reportedBefore;
  });

  return finishSession(
    session,
    {
      first,
      last: lastEntry,
      events: entries.length,
      hasStart,
      start: accepted.get(0),
      end,
      checkpoints,
      firstBadSeq,
    },
    env,
  );
}

/** What {@link finishSession} needs to know of a session. */
interface SessionFacts {
  readonly first: Entry;
  readonly last: Entry;
  readonly events: number;
  readonly hasStart: boolean;
  readonly start: Entry | undefined;
  readonly end: Entry | undefined;
  readonly checkpoints: readonly CheckpointMark[];
  /** The lowest seq a chain problem names, if any: checkpoints after it vouch for nothing. */
  readonly firstBadSeq: number | undefined;
}

/** The seal, the end and the checkpoints of a session, whichever pass read it. */
function finishSession(
  session: string,
  facts: SessionFacts,
  env: SessionEnv,
): Omit<VerifiedSession, 'intact'> {
  const { first, last: lastEntry, start, end, hasStart } = facts;
  const { key, keyId } = env;
  const report = (kind: VerifyProblemKind, entry: Entry, message: string): void => {
    env.report({ kind, line: entry.line, session, seq: entry.event.seq, message });
  };
  const where = (e: Entry): string => `seq ${e.event.seq} (line ${e.line})`;
  const startSeal = start === undefined ? undefined : sealOf(start.event.data);
  // The last checkpoint whose signature verified, with an intact chain up to it.
  const vouching = facts.checkpoints.findLast(
    (c) => c.verified && (facts.firstBadSeq === undefined || c.seq < facts.firstBadSeq),
  );
  let sealVerified = false;
  if (startSeal !== undefined) {
    if (end === undefined) {
      const lastSeq = lastEntry.event.seq;
      const vouched =
        vouching === undefined
          ? key === undefined
            ? facts.checkpoints.length > 0
              ? `; its checkpoints were not checked (no public key given)`
              : '; no checkpoint vouches for any of it'
            : '; no checkpoint vouches for any of it'
          : `; events up to seq ${vouching.seq} are vouched for by the checkpoint at line ${vouching.line}, ` +
            (lastSeq > vouching.seq
              ? `the ${lastSeq - vouching.seq} after it (seq ${vouching.seq + 1}–${lastSeq}) cannot be`
              : 'nothing after it is here') +
            ', and any that followed them are lost';
      report(
        'missing-end',
        lastEntry,
        `sealed session ${session} has no session.end after ${where(lastEntry)}: ` +
          `its last events were deleted, or the recording stopped before the session ended${vouched}`,
      );
    } else {
      const endSeal = sealOf(end.event.data);
      if (endSeal?.signature === undefined) {
        report('bad-signature', end, `the end of sealed session ${session} carries no signature`);
      } else if (endSeal.keyId !== startSeal.keyId) {
        report(
          'bad-signature',
          end,
          `the end names key ${endSeal.keyId} but the start names ${startSeal.keyId}`,
        );
      } else if (key !== undefined && keyId !== undefined) {
        if (startSeal.keyId !== keyId) {
          report(
            'wrong-key',
            end,
            `session ${session} is sealed with key ${startSeal.keyId}, not the given key ${keyId}`,
          );
        } else if (!checkSeal(end.event, key)) {
          report(
            'bad-signature',
            end,
            `the seal of session ${session} does not verify: the chain was recomputed or the end forged without the key`,
          );
        } else {
          sealVerified = facts.firstBadSeq === undefined;
        }
      }
    }
    if (key === undefined) {
      env.warn({
        kind: 'unverified-seal',
        line: first.line,
        session,
        message: `session ${session} is sealed with key ${startSeal.keyId}; give its public key to check the seal`,
      });
    }
  } else {
    if (key !== undefined && hasStart) {
      report('unsealed', start ?? first, `session ${session} is not sealed, but a public key was given`);
    }
    if (end === undefined) {
      env.warn({
        kind: 'not-ended',
        line: lastEntry.line,
        session,
        message:
          `session ${session} has no session.end: it is still running, its process stopped, ` +
          'or its last events were deleted (only a sealed session can tell)',
      });
    }
  }

  const vouchedThrough = sealVerified ? lastEntry.event.seq : vouching?.seq;
  return {
    session,
    events: facts.events,
    firstLine: first.line,
    lastLine: lastEntry.line,
    sealed: startSeal !== undefined,
    ...(startSeal === undefined ? {} : { keyId: startSeal.keyId }),
    sealVerified,
    ended: end !== undefined,
    checkpoints: facts.checkpoints.length,
    ...(vouchedThrough === undefined ? {} : { vouchedThrough }),
  };
}
