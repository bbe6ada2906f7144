/**
 * The usage text of `portcullis schema` (`portcullis schema --help`, `portcullis help schema`), in a
 * module of its own so that showing it loads nothing else.
 *
 * @example
 * ```ts
 * console.log((await import('./schema.usage.js')).usage);
 * ```
 */
export const usage = `usage: portcullis schema

Prints the policy file's JSON Schema, for editors to complete and check policy files
(for example with a \`# yaml-language-server: $schema=…\` comment).`;
