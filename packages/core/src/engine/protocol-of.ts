import type { Protocol, Request } from '../types.js';

/**
 * The protocol a request belongs to: SQL to `postgres`; commands, shells, SFTP and forwards to
 * `ssh`; API calls to `kubernetes`. A request sent to a target of another protocol is denied.
 *
 * @example
 * ```ts
 * protocolOf({ type: 'sftp', mode: 'read', path: '/etc/hosts' }); // 'ssh'
 * ```
 * @throws TypeError for a value that is not a request.
 */
export function protocolOf(request: Request): Protocol {
  switch (request.type) {
    case 'sql':
      return 'postgres';
    case 'command':
    case 'shell':
    case 'sftp':
    case 'forward':
      return 'ssh';
    case 'kube':
      return 'kubernetes';
    default:
      throw new TypeError(`not a Portcullis request: ${JSON.stringify(request)}`);
  }
}
