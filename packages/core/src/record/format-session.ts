import type { RecordEvent } from '../types.js';
import {
  describePrincipal,
  describeRequest,
  describeTarget,
  isObject,
  preview,
  requestSeqOf,
  secondsBetween,
  text,
} from './lib/describe.js';
import { sealOf } from './lib/seal.js';
import type { RecordedSession } from './read-recording.js';

/** Options of {@link formatSession}. */
export interface FormatSessionOptions {
  /** Longest result body or output shown per request, in characters (default 2000). */
  readonly maxBodyChars?: number;
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
  const max = options.maxBodyChars ?? 2000;
  const events = session.events;
  const startTs = events[0]?.ts ?? '';
  const endEvent = events.findLast((e) => e.type === 'session.end');
  const seal = sealOf(session.start);

  const head = [`session ${session.session}: started ${startTs}`];
  if (endEvent !== undefined) {
    const reason =
      isObject(session.end) && typeof session.end.reason === 'string' ? `, ${session.end.reason}` : '';
    head.push(`, ended ${endEvent.ts} (${secondsBetween(startTs, endEvent.ts).toFixed(1)} s${reason})`);
  } else {
    head.push(', no end recorded');
  }
  head.push(seal === undefined ? ', not sealed' : `, sealed with key ${seal.keyId}`);
  const out = [head.join('')];
  out.push(`who:    ${describePrincipal(session.start?.principal)}`);
  out.push(`target: ${describeTarget(session.start?.target)}`);

  // Events that name a request are shown under it; others stand alone, in seq order.
  const blocks: Block[] = [];
  const byRequest = new Map<number, Block>();
  const at = (e: RecordEvent): string => {
    const s = secondsBetween(startTs, e.ts);
    return Number.isFinite(s) ? `+${s.toFixed(3)}s` : e.ts;
  };

  for (const e of events) {
    if (e.type === 'session.start' || e.type === 'session.end') continue;
    const data = e.data;
    if (e.type === 'request') {
      const d = isObject(data) ? data : {};
      const target = isObject(d['target']) ? ` on ${describeTarget(d['target'])}` : '';
      const block: Block = {
        head: `${at(e)} #${e.seq}${target} ${describeRequest(d['request'])}`,
        lines: [],
      };
      const actions = Array.isArray(d['actions']) ? (d['actions'] as unknown[]) : [];
      if (actions.length > 0) block.lines.push(`  actions:  ${actions.map(describeAction).join(', ')}`);
      blocks.push(block);
      byRequest.set(e.seq, block);
      continue;
    }
    const requestSeq = requestSeqOf(data);
    let block = requestSeq === undefined ? undefined : byRequest.get(requestSeq);
    if (block === undefined) {
      block = { head: `${at(e)} #${e.seq} ${e.type}`, lines: [] };
      blocks.push(block);
    }
    if (e.type === 'output' && isObject(data)) {
      // Consecutive chunks of one stream read as one block of output.
      const stream = data['stream'] === 'stderr' || data['stream'] === 'stdin' ? data['stream'] : 'stdout';
      const chunk = typeof data['data'] === 'string' ? data['data'] : '';
      if (block.stream !== stream || block.lines.at(-1)?.startsWith('  │') !== true) {
        block.lines.push(`  ${stream}:`);
        block.stream = stream;
        block.output = '';
      }
      // Re-render the stream's text so far, so chunks split mid-line join up.
      while (block.lines.at(-1)?.startsWith('  │') === true) block.lines.pop();
      block.output = (block.output ?? '') + chunk;
      block.lines.push(
        ...preview(block.output.replace(/\n$/, ''), max)
          .split('\n')
          .map((l) => `  │ ${l}`),
      );
      continue;
    }
    block.stream = undefined;
    block.lines.push(...describeEvent(e, max));
  }

  for (const block of blocks) {
    out.push('', block.head, ...block.lines);
  }
  return out.join('\n');
}

interface Block {
  head: string;
  lines: string[];
  /** The stream of the output block the lines end with, if they do. */
  stream?: 'stdout' | 'stderr' | 'stdin' | undefined;
  output?: string;
}

function describeAction(action: unknown): string {
  if (!isObject(action)) return String(action);
  const op = typeof action['operation'] === 'string' ? action['operation'] : '?';
  return typeof action['resource'] === 'string' ? `${op} ${action['resource']}` : op;
}

function list(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
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
      if (typeof d['mask'] === 'string') extras.push(`mask ${d['mask']}`);
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
      const comment = typeof d['comment'] === 'string' ? `: ${d['comment']}` : '';
      return [
        `  approval: ${text(d['status'])}${by.length > 0 ? ` by ${by.join(', ')}` : ''}` +
          ` (approval ${text(d['approvalId'])})${comment}`,
      ];
    }
    case 'result': {
      const parts: string[] = [];
      if (typeof d['summary'] === 'string') parts.push(d['summary']);
      if (typeof d['rowCount'] === 'number')
        parts.push(`${d['rowCount']} row${d['rowCount'] === 1 ? '' : 's'}`);
      if (typeof d['exitCode'] === 'number') parts.push(`exit ${d['exitCode']}`);
      if (typeof d['signal'] === 'string') parts.push(`signal ${d['signal']}`);
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
