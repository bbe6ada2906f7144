// Option objects handed to ssh2.

/**
 * `fields` on a null prototype. ssh2 reads its options by name (`agentForward`, `agent`, `x11`,
 * `pty`, an SFTP read stream's `flags`, …): on an object literal, a name planted on
 * Object.prototype by a prototype pollution elsewhere in the host would be read as the gate's
 * own option (the host's SSH agent forwarded to the server, a file opened for writing where it
 * was to be read). Only the names given here are read.
 *
 * @example
 * ```ts
 * client.exec(command, bare({ env: bare(env) }), callback);
 * ```
 */
export function bare<T extends object>(fields: T): T {
  return Object.assign(Object.create(null) as T, fields);
}
