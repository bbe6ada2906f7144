/**
 * The usage text of `portcullis lint` (`portcullis lint --help`, `portcullis help lint`), in a
 * module of its own so that showing it loads nothing else.
 *
 * @example
 * ```ts
 * console.log((await import('./lint.usage.js')).usage);
 * ```
 */
export const usage = `usage: portcullis lint [--json] [--strict] POLICY…

Validates each policy file (errors name file, line and what to fix; exit 2) and warns about rules
that can never match, rules shadowed by a broader deny, and review rules whose approvers can only
be the requester. Exit 1 when a finding is an error (or, with --strict, a warning).`;
