import type { RecordEvent } from '../types.js';
import {
  describePrincipal,
  describeRequest,
  describeTarget,
  isObject,
  oneLine,
  preview,
  requestSeqOf,
  safeLines,
  secondsBetween,
  text,
} from './lib/describe.js';
import { sealOf } from './lib/seal.js';
import type { SessionEndData, SessionStartData } from './event-data.js';
import type { RecordedSession } from './read-recording.js';
import { escapeTerminalText } from './terminal-text.js';

/** Options of {@link formatSession}. */
export interface FormatSessionOptions {
  /** Longest result body or output shown per request, in characters (default 2000). */
  readonly maxBodyChars?: number;
}

/**
 * What the first lines of a session's replay say, known before its events are read: the
 * session id, the `ts` of its first event and of its last `session.end`, and the data of its
 * first `session.start` and `session.end` (see {@link sessionHeadOf}).
 */
export interface SessionHead {
  readonly session: string;
  /** `ts` of the session's first event in `seq` order. */
  readonly startTs?: string;
  /** `ts` of its last `session.end` in `seq` order, when it has one. */
  readonly endTs?: string;
  /** `data` of its first `session.start`, when it is an object. */
  readonly start?: SessionStartData;
  /** `data` of its first `session.end`, when it is an object. */
  readonly end?: SessionEndData;
}

/** Options of {@link createSessionFormatter}. */
export interface SessionFormatterOptions extends FormatSessionOptions {
  /**
   * How many characters of formatted text may wait for more events of their request (default
   * 4 MiB). Past it, the oldest requests are shown as they are, and a later event of one of them
   * is shown on its own as `#seq type (request #n)`; a single request's lines are shown as they
   * come. `Infinity` holds everything (what {@link formatSession} does).
   */
  readonly holdChars?: number;
  /** How many requests may wait for more events at once (default 256), as for `holdChars`. */
  readonly holdRequests?: number;
}

/** A session shown event by event (see {@link createSessionFormatter}). */
export interface SessionFormatter {
  /**
   * Adds the session's next event, in `seq` order. Returns the text that is final now (the
   * head lines first, then whole requests or lines of one), possibly empty.
   */
  add(event: RecordEvent): string;
  /** Ends the session: returns the rest of the text (no final newline). */
  end(): string;
}

/**
 * The {@link SessionHead} of a session read whole.
 *
 * @example
 * ```ts
 * const head = sessionHeadOf(readRecording(text).sessions[0]!);
 * ```
 */
export function sessionHeadOf(session: RecordedSession): SessionHead {
  const startTs = session.events[0]?.ts;
  const endTs = session.events.findLast((e) => e.type === 'session.end')?.ts;
  return {
    session: session.session,
    ...(startTs === undefined ? {} : { startTs }),
    ...(endTs === undefined ? {} : { endTs }),
    ...(session.start === undefined ? {} : { start: session.start }),
    ...(session.end === undefined ? {} : { end: session.end }),
  };
}

/**
 * Shows a recorded session for people: who acted and on whose behalf, the target, then each
 * request with its actions, decision (effect, rules, reasons), approvals, (masked) result,
 * output and errors, with times relative to the session start.
 *
 * @example
 * ```ts
 * for (const s of readRecording(text).sessions) console.log(formatSession(s));
 * // session 7d0c…: 2026-01-05T10:00:00.000Z → 10:04:12.5 (252.5 s), sealed with key 3a9f…
 * // who:    copilot (agent) on behalf of alice; groups analysts
 * // target: warehouse (postgres)
 * //
 * // +1.204s #1 SQL DELETE FROM orders WHERE id = 7
 * //   decision: review by rule writes-need-manager: Writes to the warehouse need a manager
 * //   approval: approved by bob (approval 9c1e…)
 * //   result:   DELETE 1 (12 ms)
 * ```
 */
export function formatSession(session: RecordedSession, options: FormatSessionOptions = {}): string {
  const formatter = createSessionFormatter(sessionHeadOf(session), {
    ...options,
    holdChars: Infinity,
    holdRequests: Infinity,
  });
  let out = '';
  for (const e of session.events) out += formatter.add(e);
  return out + formatter.end();
}

/**
 * {@link formatSession} event by event, in bounded memory: for replaying a recording that is
 * streamed rather than read whole. Given the session's events in `seq` order, the concatenated
 * texts are what `formatSession` returns, except that a request whose events are spread past
 * `holdChars` or `holdRequests` is shown in parts (see {@link SessionFormatterOptions}).
 * Output is kept as its first `2 × maxBodyChars` characters and a count, whatever its size.
 *
 * @example
 * ```ts
 * const formatter = createSessionFormatter(entry.head);
 * for await (const event of sessionEventsOfFile('audit.jsonl', entry)) process.stdout.write(formatter.add(event));
 * process.stdout.write(formatter.end() + '\n');
 * ```
 */
export function createSessionFormatter(
  head: SessionHead,
  options: SessionFormatterOptions = {},
): SessionFormatter {
  const max = options.maxBodyChars ?? 2000;
  const holdChars = options.holdChars ?? 4 * 1024 * 1024;
  const holdRequests = options.holdRequests ?? 256;
  const startTs = head.startTs ?? '';
  const seal = sealOf(head.start);

  const first = [`session ${oneLine(head.session)}: started ${oneLine(startTs)}`];
  if (head.endTs !== undefined) {
    const reason =
      isObject(head.end) && typeof head.end.reason === 'string' ? `, ${oneLine(head.end.reason)}` : '';
    first.push(
      `, ended ${oneLine(head.endTs)} (${secondsBetween(startTs, head.endTs).toFixed(1)} s${reason})`,
    );
  } else {
    first.push(', no end recorded');
  }
  first.push(seal === undefined ? ', not sealed' : `, sealed with key ${oneLine(seal.keyId)}`);
  // Every field is escaped where it is rendered; `safe` guards against one that was not.
  let pending = [
    first.join(''),
    `who:    ${describePrincipal(head.start?.principal)}`,
    `target: ${describeTarget(head.start?.target)}`,
  ]
    .map(safe)
    .join('\n');

  // Events that name a request are shown under it; others stand alone, in seq order. Blocks
  // are shown in the order they began; the oldest leave memory first.
  const blocks: Block[] = [];
  const byRequest = new Map<number, Block>();
  let held = 0;
  let closedThrough = -1;
  const at = (e: RecordEvent): string => {
    const s = secondsBetween(startTs, e.ts);
    return Number.isFinite(s) ? `+${s.toFixed(3)}s` : oneLine(e.ts);
  };
  const push = (block: Block, entry: string | OutputSection): void => {
    block.entries.push(entry);
    const size = typeof entry === 'string' ? entry.length : 0;
    block.size += size;
    held += size;
  };
  // Shows a block's lines so far (its head first, once); a trailing output section stays
  // unless `all`, as more of that stream may follow.
  const show = (block: Block, all: boolean): string => {
    let text = '';
    if (!block.shown) {
      text += `\n\n${safe(block.head)}`;
      block.shown = true;
    }
    const keep = !all && block.entries.at(-1) instanceof OutputSection ? 1 : 0;
    const shown = block.entries.splice(0, block.entries.length - keep);
    for (const entry of shown) {
      if (typeof entry === 'string') text += `\n${safe(entry)}`;
      else for (const line of entry.lines(max)) text += `\n${safe(line)}`;
    }
    held -= block.size;
    block.size = 0;
    for (const entry of block.entries) if (entry instanceof OutputSection) block.size += entry.held;
    held += block.size;
    return text;
  };
  const close = (): string => {
    const block = blocks.shift();
    if (block === undefined) return '';
    if (block.request !== undefined) {
      byRequest.delete(block.request);
      closedThrough = Math.max(closedThrough, block.request);
    }
    return show(block, true);
  };
  const release = (): string => {
    let text = '';
    while (blocks.length > 1 && (blocks.length > holdRequests || held > holdChars)) text += close();
    const only = blocks[0];
    if (blocks.length === 1 && only !== undefined && held > holdChars) text += show(only, false);
    return text;
  };

  const add = (e: RecordEvent): void => {
    if (e.type === 'session.start' || e.type === 'session.end') return;
    const data = e.data;
    if (e.type === 'request') {
      const d = isObject(data) ? data : {};
      const target = isObject(d['target']) ? ` on ${describeTarget(d['target'])}` : '';
      const block = newBlock(`${at(e)} #${e.seq}${target} ${describeRequest(d['request'])}`, e.seq);
      held += block.size;
      const actions = Array.isArray(d['actions']) ? (d['actions'] as unknown[]) : [];
      if (actions.length > 0) push(block, `  actions:  ${actions.map(describeAction).join(', ')}`);
      blocks.push(block);
      byRequest.set(e.seq, block);
      return;
    }
    const requestSeq = requestSeqOf(data);
    let block = requestSeq === undefined ? undefined : byRequest.get(requestSeq);
    if (block === undefined) {
      const early =
        requestSeq !== undefined && requestSeq <= closedThrough ? ` (request #${requestSeq})` : '';
      block = newBlock(`${at(e)} #${e.seq} ${e.type}${early}`, undefined);
      held += block.size;
      blocks.push(block);
    }
    if (e.type === 'output' && isObject(data)) {
      // Consecutive chunks of one stream read as one block of output.
      const stream = data['stream'] === 'stderr' || data['stream'] === 'stdin' ? data['stream'] : 'stdout';
      const chunk = typeof data['data'] === 'string' ? data['data'] : '';
      let section = block.entries.at(-1);
      if (!(section instanceof OutputSection) || section.stream !== stream) {
        push(block, `  ${stream}:`);
        section = new OutputSection(stream, max);
        push(block, section);
      }
      held -= section.held;
      block.size -= section.held;
      section.append(chunk);
      held += section.held;
      block.size += section.held;
      return;
    }
    for (const line of describeEvent(e, max)) push(block, line);
  };

  return {
    add(e: RecordEvent): string {
      add(e);
      const text = pending + release();
      pending = '';
      return text;
    },
    end(): string {
      let text = pending;
      pending = '';
      while (blocks.length > 0) text += close();
      return text;
    },
  };
}

/** Lines of formatted output with anything still unsafe escaped: the last guard before a terminal. */
function safe(line: string): string {
  return safeLines([line]);
}

interface Block {
  readonly head: string;
  /** The request it shows, when it began with one. */
  readonly request: number | undefined;
  /** Lines not shown yet; an output section is rendered when shown. */
  readonly entries: (string | OutputSection)[];
  /** Characters held: its head until shown, and `entries`. */
  size: number;
  /** Whether its head line has been shown. */
  shown: boolean;
}

function newBlock(head: string, request: number | undefined): Block {
  return { head, request, entries: [], size: head.length, shown: false };
}

/**
 * One stream's consecutive output in a block, shown as the preview of all of it (its last line
 * end dropped, CR-LF read as a line end, cut to `max` characters): kept as its first `2 × max + 2`
 * characters and counts, which is all that preview needs, however long the output.
 */
class OutputSection {
  #prefix = '';
  #length = 0;
  /** CR-LF pairs in the whole text. */
  #pairs = 0;
  /** The last two characters of the whole text. */
  #tail = '';
  readonly #keep: number;

  constructor(
    readonly stream: 'stdout' | 'stderr' | 'stdin',
    max: number,
  ) {
    this.#keep = 2 * max + 2;
  }

  /** Characters held. */
  get held(): number {
    return this.#prefix.length;
  }

  append(chunk: string): void {
    if (chunk === '') return;
    if (this.#tail.endsWith('\r') && chunk.startsWith('\n')) this.#pairs++;
    for (let i = chunk.indexOf('\r\n'); i !== -1; i = chunk.indexOf('\r\n', i + 2)) this.#pairs++;
    if (this.#prefix.length < this.#keep) this.#prefix += chunk.slice(0, this.#keep - this.#prefix.length);
    this.#length += chunk.length;
    this.#tail = (this.#tail + chunk).slice(-2);
  }

  /** The lines shown for it: `  │ ` and a line of the preview. */
  lines(max: number): string[] {
    let shown: string;
    if (this.#length <= this.#keep) {
      shown = preview(this.#prefix.replace(/\r?\n$/, ''), max);
    } else {
      // The same preview, from the counts: the last line end is dropped, CR-LF counts as one.
      const crlf = this.#tail === '\r\n';
      const dropped = crlf ? 2 : this.#tail.endsWith('\n') ? 1 : 0;
      const length = this.#length - dropped - (this.#pairs - (crlf ? 1 : 0));
      const start = this.#prefix.replace(/\r\n/g, '\n').slice(0, max);
      shown = escapeTerminalText(`${start}… (${length - max} more characters)`, { multiline: true });
    }
    return shown.split('\n').map((l) => `  │ ${l}`);
  }
}

function describeAction(action: unknown): string {
  if (!isObject(action)) return text(action);
  const op = typeof action['operation'] === 'string' ? action['operation'] : '?';
  return oneLine(typeof action['resource'] === 'string' ? `${op} ${action['resource']}` : op);
}

function list(value: unknown): string[] {
  return Array.isArray(value) ? value.map((v) => oneLine(String(v))) : [];
}

function indent(text: string, prefix: string): string {
  return text.split('\n').join(`\n${prefix}`);
}

function describeEvent(e: RecordEvent, max: number): string[] {
  const d = isObject(e.data) ? e.data : {};
  switch (e.type) {
    case 'decision': {
      const rules = list(d['rules']);
      const reasons = list(d['reasons']);
      const extras: string[] = [];
      if (typeof d['mask'] === 'string') extras.push(`mask ${oneLine(d['mask'])}`);
      if (d['recordingRequired'] === true) extras.push('recording required');
      const review = Array.isArray(d['review']) ? (d['review'] as unknown[]) : [];
      for (const r of review) {
        if (!isObject(r)) continue;
        const approvers = isObject(r['approvers'])
          ? [...list(r['approvers']['subjects']), ...list(r['approvers']['groups']).map((g) => `group ${g}`)]
          : [];
        extras.push(
          `needs ${text(r['minApprovals'], '1')} approval(s) from ${approvers.join(', ') || 'anyone eligible'}`,
        );
      }
      return [
        `  decision: ${text(d['effect'])}` +
          (rules.length > 0 ? ` by rule${rules.length === 1 ? '' : 's'} ${rules.join(', ')}` : ' (no rule)') +
          (reasons.length > 0 ? `: ${reasons.join('; ')}` : '') +
          (extras.length > 0 ? ` [${extras.join('; ')}]` : ''),
      ];
    }
    case 'approval': {
      const by = list(d['by']);
      const comment = typeof d['comment'] === 'string' ? `: ${oneLine(d['comment'])}` : '';
      return [
        `  approval: ${text(d['status'])}${by.length > 0 ? ` by ${by.join(', ')}` : ''}` +
          ` (approval ${text(d['approvalId'])})${comment}`,
      ];
    }
    case 'result': {
      const parts: string[] = [];
      if (typeof d['summary'] === 'string') parts.push(oneLine(d['summary']));
      if (typeof d['rowCount'] === 'number')
        parts.push(`${d['rowCount']} row${d['rowCount'] === 1 ? '' : 's'}`);
      if (typeof d['exitCode'] === 'number') parts.push(`exit ${d['exitCode']}`);
      if (typeof d['signal'] === 'string') parts.push(`signal ${oneLine(d['signal'])}`);
      if (typeof d['masked'] === 'number' && d['masked'] > 0) parts.push(`${d['masked']} value(s) masked`);
      if (typeof d['durationMs'] === 'number') parts.push(`${d['durationMs']} ms`);
      const lines = [`  result:   ${parts.join(', ') || 'done'}`];
      if (d['body'] !== undefined) {
        const body = preview(d['body'], max) + (d['truncated'] === true ? ' (truncated when recorded)' : '');
        lines.push(`            ${indent(body, '            ')}`);
      }
      return lines;
    }
    case 'error':
      return [`  error:    ${text(d['code'])}: ${text(d['message'], '')}`];
    default:
      return [`  ${e.type}: ${preview(e.data, max)}`];
  }
}
