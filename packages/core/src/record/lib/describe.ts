// Short human-readable renderings of recorded values, shared by the replay formatters.
import type { Principal, Request, Target } from '../../types.js';
import { boundValueLines, requestText } from '../../request-text.js';
import { escapeTerminalText } from '../terminal-text.js';

/** `JSON.stringify`, which returns undefined for undefined, functions and symbols. */
export function jsonText(value: unknown): string {
  const t = typeof value;
  return t === 'undefined' || t === 'function' || t === 'symbol' ? String(value) : JSON.stringify(value);
}

/** A member of recorded data as one line of terminal-safe text: strings as they are, anything else as JSON. */
export function text(value: unknown, fallback = '?'): string {
  if (value === undefined) return fallback;
  return oneLine(typeof value === 'string' ? value : jsonText(value));
}

/** Text on one terminal-safe line: every control character (newlines too) escaped. */
export function oneLine(value: string): string {
  return escapeTerminalText(value);
}

/** Lines of formatted output with anything still unsafe escaped: the last guard before a terminal. */
export function safeLines(lines: readonly string[]): string {
  return lines.map((line) => line.split('\n').map(oneLine).join('\n')).join('\n');
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One request as a person would write it, on one terminal-safe line (bound values one line each under it). */
export function describeRequest(request: unknown): string {
  if (!isObject(request) || typeof request['type'] !== 'string') return oneLine(jsonText(request));
  const r = request as unknown as Request;
  const prefix = r.type === 'sql' ? 'SQL ' : r.type === 'command' ? '$ ' : '';
  const head = KNOWN.has(r.type) ? `${prefix}${requestText(r)}` : JSON.stringify(request);
  const values = Array.isArray((r as { params?: unknown }).params)
    ? boundValueLines(r).map((line) => oneLine(`  ${line}`))
    : [];
  return [oneLine(head), ...values].join('\n');
}

const KNOWN: ReadonlySet<string> = new Set(['sql', 'command', 'shell', 'sftp', 'forward', 'kube']);

/** Who acted, and on whose behalf, on one terminal-safe line. */
export function describePrincipal(principal: unknown): string {
  return oneLine(principalText(principal));
}

function principalText(principal: unknown): string {
  if (!isObject(principal) || typeof principal['subject'] !== 'string')
    return 'unknown (no principal recorded)';
  const p = principal as unknown as Principal;
  const groups = Array.isArray(p.groups) && p.groups.length > 0 ? `; groups ${p.groups.join(', ')}` : '';
  const issuer = typeof p.issuer === 'string' ? `; issuer ${p.issuer}` : '';
  if (typeof p.actor === 'string') {
    const chain =
      Array.isArray(p.actorChain) && p.actorChain.length > 1
        ? ` (via ${p.actorChain.slice(1).join(' → ')})`
        : '';
    return `${p.actor} (${p.kind}) on behalf of ${p.subject}${chain}${groups}${issuer}`;
  }
  return `${p.subject} (${p.kind})${groups}${issuer}`;
}

/** A target's name and protocol, on one terminal-safe line. */
export function describeTarget(target: unknown): string {
  if (!isObject(target) || typeof target['name'] !== 'string') return 'unknown';
  const t = target as unknown as Target;
  return oneLine(typeof t.protocol === 'string' ? `${t.name} (${t.protocol})` : t.name);
}

/**
 * A value as terminal-safe text that may span lines (strings as they are with CR-LF read as a
 * line end, anything else as JSON), cut to `max` characters.
 */
export function preview(value: unknown, max: number): string {
  const raw = typeof value === 'string' ? value.replace(/\r\n/g, '\n') : jsonText(value);
  const cut = raw.length > max ? `${raw.slice(0, max)}… (${raw.length - max} more characters)` : raw;
  return escapeTerminalText(cut, { multiline: true });
}

/** The `requestSeq` member of event data, when it is a number. */
export function requestSeqOf(data: unknown): number | undefined {
  if (!isObject(data)) return undefined;
  const seq = data['requestSeq'];
  return typeof seq === 'number' ? seq : undefined;
}

/** Seconds between two ISO timestamps (NaN when either does not parse). */
export function secondsBetween(from: string, to: string): number {
  return (Date.parse(to) - Date.parse(from)) / 1000;
}
