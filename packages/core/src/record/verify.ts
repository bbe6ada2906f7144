import type { RecordEvent } from '../types.js';
import type { KeyInput, RecordingInput } from './types.js';
import { genesisHash } from './hash-event.js';
import { canonicalData, eventText, sha256Hex } from './lib/event-text.js';
import { eventShapeProblem, isEventArray, linesOfIterable, linesOfText } from './lib/parse-event.js';
import { checkSeal, keyIdOf, sealOf, toVerifyKey } from './lib/seal.js';

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

/**
 * Verifies a recording (SPEC.md §7): every line is a canonical version 1 event, each session's
 * events chain by `prev`/`hash` from the session's genesis with contiguous `seq`, and sealed
 * sessions end with a valid signature. Sessions may be interleaved in one file; each is chained
 * on its own. Returns a report naming every problem and the first bad event; it does not throw
 * for a damaged recording. See docs/recording.md for what each check can and cannot detect.
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
  const key = options.publicKey === undefined ? undefined : toVerifyKey(options.publicKey);
  const keyId = key === undefined ? undefined : keyIdOf(key);
  const problems: VerifyProblem[] = [];
  const warnings: VerifyWarning[] = [];
  const bySession = new Map<string, Entry[]>();
  let lines = 0;
  let events = 0;

  const add = (line: number, event: RecordEvent, hashOk: boolean): void => {
    events += 1;
    const list = bySession.get(event.session);
    if (list === undefined) bySession.set(event.session, [{ line, event, hashOk }]);
    else list.push({ line, event, hashOk });
  };
  const malformed = (line: number, message: string): void => {
    problems.push({ kind: 'malformed', line, message });
  };

  if (isEventArray(input)) {
    input.forEach((value, index) => {
      lines = index + 1;
      const shape = eventShapeProblem(value);
      const hash = shape === undefined ? hashOf(value) : undefined;
      if (shape !== undefined) malformed(lines, `entry ${lines} is not an event: ${shape}`);
      else if (hash === undefined) malformed(lines, `entry ${lines} has data without a JSON form`);
      else add(lines, value, hash === value.hash);
    });
  } else {
    const fromText = typeof input === 'string';
    let lastUnparsed = 0;
    for (const { line, text, terminated } of fromText ? linesOfText(input) : linesOfIterable(input)) {
      lines = line;
      if (!terminated) {
        problems.push({
          kind: 'torn',
          line,
          message:
            `line ${line} has no terminating newline: the last write was torn (a crash mid-write) ` +
            'or the file was cut; opening the file with the file sink removes it',
        });
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        lastUnparsed = line;
        malformed(line, text === '' ? `line ${line} is empty` : `line ${line} is not valid JSON`);
        continue;
      }
      const shape = eventShapeProblem(value);
      if (shape !== undefined) {
        malformed(line, `line ${line} is not a recording event: ${shape}`);
        continue;
      }
      const event = value as RecordEvent;
      let dataText: string;
      try {
        dataText = canonicalData(event.data);
      } catch {
        malformed(line, `line ${line} has data without a canonical JSON form (a number out of range?)`);
        continue;
      }
      const hashOk = sha256Hex(eventText(event, dataText)) === event.hash;
      if (hashOk && eventText(event, dataText, event.hash) !== text) {
        // The content matches its hash but is spelled differently: re-serialised or edited.
        // Rejected because two readers could parse a non-canonical line differently
        // (duplicate members, for one).
        malformed(line, `line ${line} is not in canonical form (RFC 8785); its content matches its hash`);
      }
      add(line, event, hashOk);
    }
    // Lines handed over one by one carry no terminator: an unparsable last line is the torn one.
    const last = problems.at(-1);
    if (!fromText && last !== undefined && lastUnparsed === lines && last.line === lines) {
      problems[problems.length - 1] = {
        kind: 'torn',
        line: lines,
        message: `the last line (${lines}) is cut short: the last write was torn, or the file was cut`,
      };
    }
  }

  const sessions: VerifiedSession[] = [];
  for (const [session, entries] of bySession) {
    const before = problems.length;
    const result = analyseSession(session, entries, key, keyId, problems, warnings);
    if (result === undefined) continue;
    const intact = !problems.slice(before).some((p) => p.session === session);
    sessions.push({ ...result, intact });
  }
  if (events === 0 && problems.length === 0) {
    warnings.push({ kind: 'empty', line: 0, message: 'the recording holds no events' });
  }
  problems.sort((a, b) => a.line - b.line);
  warnings.sort((a, b) => a.line - b.line);
  const firstProblem = problems[0];
  return {
    ok: problems.length === 0,
    lines,
    events,
    ...(keyId === undefined ? {} : { keyId }),
    sessions,
    problems,
    warnings,
    ...(firstProblem === undefined ? {} : { firstProblem }),
  };
}

function hashOf(event: RecordEvent): string | undefined {
  try {
    return sha256Hex(eventText(event, canonicalData(event.data)));
  } catch {
    return undefined;
  }
}

function analyseSession(
  session: string,
  entries: readonly Entry[],
  key: ReturnType<typeof toVerifyKey> | undefined,
  keyId: string | undefined,
  problems: VerifyProblem[],
  warnings: VerifyWarning[],
): Omit<VerifiedSession, 'intact'> | undefined {
  const first = entries[0];
  const lastEntry = entries.at(-1);
  if (first === undefined || lastEntry === undefined) return undefined;
  const report = (kind: VerifyProblemKind, entry: Entry, message: string): void => {
    problems.push({ kind, line: entry.line, session, seq: entry.event.seq, message });
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
    const reportedBefore = problems.length;
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
        problems.push({
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
    previousReported = problems.length > reportedBefore;
  });

  const start = accepted.get(0);
  const startSeal = start === undefined ? undefined : sealOf(start.event.data);
  let sealVerified = false;
  if (startSeal !== undefined) {
    if (end === undefined) {
      report(
        'missing-end',
        lastEntry,
        `sealed session ${session} has no session.end after ${where(lastEntry)}: ` +
          'its last events were deleted, or the recording stopped before the session ended',
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
          sealVerified = true;
        }
      }
    }
    if (key === undefined) {
      warnings.push({
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
      warnings.push({
        kind: 'not-ended',
        line: lastEntry.line,
        session,
        message:
          `session ${session} has no session.end: it is still running, its process stopped, ` +
          'or its last events were deleted (only a sealed session can tell)',
      });
    }
  }

  return {
    session,
    events: entries.length,
    firstLine: first.line,
    lastLine: lastEntry.line,
    sealed: startSeal !== undefined,
    ...(startSeal === undefined ? {} : { keyId: startSeal.keyId }),
    sealVerified,
    ended: end !== undefined,
  };
}
