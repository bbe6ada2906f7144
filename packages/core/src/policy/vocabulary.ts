import type { PrincipalKind, Protocol } from '../types.js';

/**
 * The operation vocabulary of each protocol (SPEC.md §3), as data. Policies are checked
 * against it at load so that a misspelt operation is an error, not a rule that silently never
 * matches. `unknown` is in every list: the classifiers emit it for anything they cannot
 * resolve, and only a rule naming it literally matches it.
 *
 * @example
 * ```ts
 * OPERATION_VOCABULARY.postgres.includes('select'); // true
 * ```
 */
export const OPERATION_VOCABULARY: Readonly<Record<Protocol, readonly string[]>> = Object.freeze({
  postgres: Object.freeze([
    'select',
    'insert',
    'update',
    'delete',
    'merge',
    'copy_to',
    'copy_from',
    'copy_program',
    'copy_file',
    'create',
    'alter',
    'drop',
    'truncate',
    'grant',
    'revoke',
    'role',
    'set',
    'show',
    'transaction',
    'lock',
    'call',
    'do',
    'function',
    'explain',
    'maintenance',
    'listen',
    'notify',
    'other',
    'unknown',
  ]),
  ssh: Object.freeze(['exec', 'write', 'shell', 'sftp_read', 'sftp_write', 'forward', 'unknown']),
  kubernetes: Object.freeze([
    'get',
    'list',
    'watch',
    'create',
    'update',
    'patch',
    'delete',
    'deletecollection',
    'exec',
    'attach',
    'portforward',
    'proxy',
    'impersonate',
    // What an exec starts inside the container (its argv, and what a shell it starts runs),
    // a file a command written as `sh -c STRING` redirects to, and an interactive exec/attach.
    'command',
    'write',
    'shell',
    'unknown',
  ]),
});

/** Every protocol, in a fixed order. */
export const PROTOCOLS: readonly Protocol[] = Object.freeze(['postgres', 'ssh', 'kubernetes']);

/** Every principal kind, in a fixed order. */
export const PRINCIPAL_KINDS: readonly PrincipalKind[] = Object.freeze(['human', 'agent', 'service']);

/** The operation classifiers emit when they cannot resolve a request; see SPEC.md §4 item 3. */
export const UNKNOWN_OPERATION = 'unknown';
