/**
 * The usage text of `portcullis replay` (`portcullis replay --help`, `portcullis help replay`), in a
 * module of its own so that showing it loads nothing else.
 *
 * @example
 * ```ts
 * console.log((await import('./replay.usage.js')).usage);
 * ```
 */
export const usage = `usage: portcullis replay FILE [--session ID] [--format text|asciicast] [--policy POLICY]

Shows recorded sessions readably: who, on whose behalf, what, the decision and why, approvals and
the (masked) results. --format asciicast exports one session's output events as asciicast v2
(name it with --session when the file holds several). --policy re-decides every recorded request
under another policy and shows what would change. Replay does not verify: run
\`portcullis verify\` first.`;
