/**
 * The usage text of `portcullis whoami` (`portcullis whoami --help`, `portcullis help whoami`), in a
 * module of its own so that showing it loads nothing else.
 *
 * @example
 * ```ts
 * console.log((await import('./whoami.usage.js')).usage);
 * ```
 */
export const usage = `usage: portcullis whoami --policy POLICY --token JWT|@FILE|- [--json]

Verifies a bearer token under the policy's identity section and prints the principal it resolves
to (subject, groups, kind, actor chain), or why it is rejected (exit 1).`;
