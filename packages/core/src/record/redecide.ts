import type { Action, Decision, Effect, Principal, Request, Target } from '../types.js';
import { describeRequest, isObject, oneLine, requestSeqOf, safeLines } from './lib/describe.js';
import type { RecordedSession } from './read-recording.js';

/** What {@link redecide} hands the decision function for one recorded request. */
export interface RedecideInput {
  /** The `seq` of the recorded `request` event. */
  readonly seq: number;
  readonly principal: Principal;
  readonly target: Target;
  readonly request: Request;
  /** The actions recorded with the request, when the recording has them. */
  readonly actions?: readonly Action[];
}

/** Decides one request under another policy (the CLI passes the engine's decide). */
export type RedecideFunction = (input: RedecideInput) => Decision | Promise<Decision>;

/** The parts of a decision that {@link redecide} compares. */
export interface DecisionSummary {
  readonly effect: Effect;
  readonly rules: readonly string[];
  readonly reasons: readonly string[];
}

/** One recorded request, decided again. */
export interface RedecideEntry {
  readonly seq: number;
  /** The request as recorded (absent when the request event has none). */
  readonly request?: Request;
  /** The recorded decision, when the recording has one. */
  readonly recorded?: DecisionSummary;
  /** The decision now. When it could not be made, `deny` with the reason (fail closed). */
  readonly now: DecisionSummary;
  /** Whether the effect differs from the recorded one (or nothing was recorded). */
  readonly changed: boolean;
  /** Whether the deciding rules differ. */
  readonly rulesChanged: boolean;
  /** Why the request could not be decided again, when it could not. */
  readonly error?: string;
}

/** What {@link redecide} found for one session. */
export interface RedecideResult {
  readonly session: string;
  readonly entries: readonly RedecideEntry[];
  /** How many entries changed effect. */
  readonly changed: number;
}

/**
 * Decides every recorded request of a session again with `decide` (for example the engine with
 * another policy) and compares each result with the decision recorded for it (linked by
 * `requestSeq`, else the next decision event). Never throws for a request: one that cannot be
 * decided again (no principal recorded, `decide` threw) is reported as `deny`, as the engine
 * would fail closed.
 *
 * @example
 * ```ts
 * const result = await redecide(session, (input) => engine.decide(input));
 * console.log(formatRedecide(result));
 * ```
 */
export async function redecide(session: RecordedSession, decide: RedecideFunction): Promise<RedecideResult> {
  const principal = session.start?.principal;
  const sessionTarget = session.start?.target;
  const decisions = new Map<number, DecisionSummary>();
  let waiting: number | undefined;
  for (const e of session.events) {
    if (e.type === 'request') waiting = e.seq;
    if (e.type !== 'decision') continue;
    const summary = summarise(e.data);
    const requestSeq = requestSeqOf(e.data) ?? waiting;
    if (summary !== undefined && requestSeq !== undefined && !decisions.has(requestSeq)) {
      decisions.set(requestSeq, summary);
    }
    if (requestSeq === waiting) waiting = undefined;
  }

  const entries: RedecideEntry[] = [];
  for (const e of session.events) {
    if (e.type !== 'request') continue;
    const data = isObject(e.data) ? e.data : {};
    const request = isObject(data['request']) ? (data['request'] as unknown as Request) : undefined;
    const target = isObject(data['target']) ? (data['target'] as unknown as Target) : sessionTarget;
    const actions = Array.isArray(data['actions']) ? (data['actions'] as Action[]) : undefined;
    const recorded = decisions.get(e.seq);
    let now: DecisionSummary;
    let error: string | undefined;
    if (principal === undefined || !isObject(principal)) error = 'session.start records no principal';
    else if (target === undefined || !isObject(target)) error = 'no target is recorded';
    else if (request === undefined) error = 'the request event records no request';
    if (error === undefined && principal !== undefined && target !== undefined && request !== undefined) {
      try {
        const input: RedecideInput = {
          seq: e.seq,
          principal,
          target,
          request,
          ...(actions === undefined ? {} : { actions }),
        };
        const summary = summarise(await decide(input));
        if (summary === undefined) error = 'decide() returned no decision';
        now = summary ?? denied(error ?? '');
      } catch (err) {
        error = `decide() failed: ${err instanceof Error ? err.message : String(err)}`;
        now = denied(error);
      }
    } else {
      now = denied(`cannot decide again: ${error ?? 'unknown'}`);
    }
    const rulesChanged =
      recorded === undefined || [...recorded.rules].sort().join('\0') !== [...now.rules].sort().join('\0');
    entries.push({
      seq: e.seq,
      ...(request === undefined ? {} : { request }),
      ...(recorded === undefined ? {} : { recorded }),
      now,
      changed: recorded?.effect !== now.effect,
      rulesChanged,
      ...(error === undefined ? {} : { error }),
    });
  }
  return { session: session.session, entries, changed: entries.filter((x) => x.changed).length };
}

/**
 * Formats a {@link RedecideResult}: a summary line, then each request whose effect would change
 * (was → now, with rules and reasons).
 *
 * @example
 * ```ts
 * console.log(formatRedecide(await redecide(session, decide)));
 * // session 7d0c…: 1 of 12 requests would be decided differently
 * //   #4 SQL DELETE FROM orders: allow (rule analysts-write) → deny (rule no-deletes): Deletes are off
 * ```
 */
export function formatRedecide(result: RedecideResult): string {
  const n = result.entries.length;
  const out = [
    `session ${oneLine(result.session)}: ${result.changed} of ${n} request${n === 1 ? '' : 's'} would be decided differently`,
  ];
  for (const entry of result.entries) {
    if (!entry.changed) continue;
    const was = entry.recorded === undefined ? 'no recorded decision' : describeDecision(entry.recorded);
    const reasons = entry.now.reasons.length > 0 ? `: ${oneLine(entry.now.reasons.join('; '))}` : '';
    out.push(
      `  #${entry.seq} ${describeRequest(entry.request)}: ${was} → ${describeDecision(entry.now)}${reasons}`,
    );
  }
  return safeLines(out);
}

function describeDecision(d: DecisionSummary): string {
  if (d.rules.length === 0) return `${d.effect} (no rule)`;
  return `${d.effect} (rule${d.rules.length === 1 ? '' : 's'} ${oneLine(d.rules.join(', '))})`;
}

function denied(reason: string): DecisionSummary {
  return { effect: 'deny', rules: [], reasons: [reason] };
}

const effects: ReadonlySet<unknown> = new Set(['allow', 'deny', 'review']);

function summarise(value: unknown): DecisionSummary | undefined {
  if (!isObject(value) || !effects.has(value['effect'])) return undefined;
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []);
  return {
    effect: value['effect'] as Effect,
    rules: strings(value['rules']),
    reasons: strings(value['reasons']),
  };
}
