/**
 * Input types of the recording functions.
 *
 * @packageDocumentation
 */
import type { KeyObject } from 'node:crypto';
import type { RecordEvent } from '../types.js';

/**
 * What a recording can be read from: the file's whole text, its lines one by one (as from
 * `readline`, without terminators), or events already parsed.
 */
export type RecordingInput = string | Iterable<string> | readonly RecordEvent[];

/**
 * An Ed25519 key: a `KeyObject` (a private key is reduced to its public half where a public key
 * is wanted), PEM text, or the raw 32-byte public key as a `Uint8Array`, hex or base64url.
 */
export type KeyInput = KeyObject | string | Uint8Array;
