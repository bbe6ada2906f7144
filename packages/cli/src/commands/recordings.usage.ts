/**
 * The usage text of `portcullis recordings` (`portcullis recordings --help`, `portcullis help recordings`), in a
 * module of its own so that showing it loads nothing else.
 *
 * @example
 * ```ts
 * console.log((await import('./recordings.usage.js')).usage);
 * ```
 */
export const usage = `usage: portcullis recordings prune --older-than DURATION --key PRIVATE_KEY (FILE | --store URL [--schema NAME]) [--json]

Removes whole sessions whose last event is older than DURATION (e.g. 90d, 12w, 2160h) from a
recording file or the PostgreSQL recording table, and leaves a tombstone sealed with the
recording's Ed25519 private key (a PEM file) that lists each removed session with its event
count and last hash. What remains still verifies, and \`portcullis verify\` says what was
pruned. A file must verify before it is pruned, and no sink may be writing it.
Exit 0 when done, 1 when the recording does not verify or the store fails, 2 on usage errors.`;
