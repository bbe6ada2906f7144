/**
 * The usage text of `portcullis verify` (`portcullis verify --help`, `portcullis help verify`), in a
 * module of its own so that showing it loads nothing else.
 *
 * @example
 * ```ts
 * console.log((await import('./verify.usage.js')).usage);
 * ```
 */
export const usage = `usage: portcullis verify [--key PUBLIC_KEY] [--json] FILE…

Checks each recording's hash chain. With --key (an Ed25519 public key: a PEM file, or the raw key
as hex or base64url), every session must also be sealed with that key and ended.
Exit 0 when every file is intact, 1 when one is tampered (the first bad event is named), 2 on
usage errors or unreadable files.`;
