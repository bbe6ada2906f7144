// The byte form of one event, shared by hashing, writing and verifying. An event line is the
// RFC 8785 form of the whole event; its hash is SHA-256 over the RFC 8785 form of the event
// without `hash`. Because the members are fixed, both are assembled here around the canonical
// `data` instead of canonicalising the whole object twice (the keys below are already in
// RFC 8785 order: data < hash < prev < seq < session < ts < type < v).
import * as crypto from 'node:crypto';
import type { RecordEvent } from '../../types.js';
import { canonicalJson } from '../canonical-json.js';

/** The event fields that are hashed. */
export type UnhashedEvent = Omit<RecordEvent, 'hash'>;

/** Prefix of the genesis input and of the seal message: bumps with the format version. */
export const FORMAT_TAG = 'portcullis-recording-v1';

/**
 * The stored line of an event the recorder built, so sinks need not canonicalise `data` again.
 * A module-private symbol on the frozen event (not enumerable, so spreads, JSON and equality
 * ignore it); cheaper for the garbage collector than a WeakMap entry per event.
 */
const LINE = Symbol('portcullis.recording.line');

/** Canonical text of `data` (`undefined` has none and is refused: the recorder stores `null`). */
export function canonicalData(data: unknown): string {
  return canonicalJson(data);
}

/** The canonical text of an event: without `hash` (what is hashed) or with it (the stored line). */
export function eventText(event: UnhashedEvent, dataText: string, hash?: string): string {
  return `{"data":${dataText}${hash === undefined ? '' : `,"hash":${JSON.stringify(hash)}`}${textAfterHash(event)}`;
}

/** The members after `hash`, in RFC 8785 order. */
function textAfterHash(event: UnhashedEvent): string {
  return (
    ',"prev":' +
    JSON.stringify(event.prev) +
    ',"seq":' +
    numberText(event.seq) +
    ',"session":' +
    quotedSession(event.session) +
    ',"ts":' +
    JSON.stringify(event.ts) +
    ',"type":' +
    JSON.stringify(event.type) +
    ',"v":' +
    numberText(event.v) +
    '}'
  );
}

// The last session id quoted: a session's events all name it.
let lastSession: unknown;
let lastQuoted = '';

function quotedSession(session: string): string {
  if (session !== lastSession) {
    lastQuoted = JSON.stringify(session);
    lastSession = session;
  }
  return lastQuoted;
}

/** The canonical text of a number member: a safe integer as it is, anything else as canonicalJson says. */
function numberText(value: unknown): string {
  return typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : canonicalJson(value);
}

/** Lower-case hex SHA-256 of a UTF-8 string. */
export function sha256Hex(text: string): string {
  return oneShot === undefined
    ? crypto.createHash('sha256').update(text, 'utf8').digest('hex')
    : oneShot('sha256', text, 'hex');
}

// `crypto.hash` (Node ≥ 20.12) hashes a string in one call, without a Hash object per event.
const oneShot = (crypto as { hash?: (alg: string, data: string, encoding: 'hex') => string }).hash;

/** Builds a complete, frozen event that carries its stored line. */
export function buildEvent(fields: UnhashedEvent): RecordEvent {
  const head = `{"data":${canonicalData(fields.data)}`;
  const tail = textAfterHash(fields);
  const hash = sha256Hex(head + tail);
  const event = {
    v: fields.v,
    session: fields.session,
    seq: fields.seq,
    ts: fields.ts,
    type: fields.type,
    data: fields.data,
    prev: fields.prev,
    hash,
  };
  Object.defineProperty(event, LINE, { value: `${head},"hash":"${hash}"${tail}` });
  return Object.freeze(event);
}

/** The stored line of an event (without its newline), as built when the recorder made it. */
export function lineOf(event: RecordEvent): string {
  const built = (event as { readonly [LINE]?: string })[LINE];
  return built ?? eventText(event, canonicalData(event.data), event.hash);
}
