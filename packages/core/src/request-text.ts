import type { Request } from './types.js';

/**
 * A request as it will run, the way a person would write it: the SQL, the command line, the
 * Kubernetes method and path (with any impersonation headers), the SFTP operation or the
 * forward's destination. Not escaped: a caller that shows it on a terminal or a page escapes it
 * for that medium. Bound values are listed separately by {@link boundValueLines}.
 *
 * @example
 * ```ts
 * requestText({ type: 'kube', method: 'GET', path: '/api/v1/namespaces/prod/pods' });
 * // 'GET /api/v1/namespaces/prod/pods'
 * ```
 */
export function requestText(request: Request): string {
  switch (request.type) {
    case 'sql':
      return request.sql;
    case 'command':
      return request.command;
    case 'shell':
      return 'interactive shell';
    case 'sftp':
      return `sftp ${request.mode} ${request.path}`;
    case 'forward':
      return `forward to ${request.host}:${request.port}`;
    case 'kube': {
      const impersonate = Object.entries(request.headers ?? {})
        .filter(([h]) => h.toLowerCase().startsWith('impersonate-'))
        .map(([h, v]) => `${h}: ${Array.isArray(v) ? v.join(', ') : String(v)}`);
      return `${request.method} ${request.path}${impersonate.length > 0 ? ` (${impersonate.join('; ')})` : ''}`;
    }
  }
}

/**
 * The bound values of a SQL request, one `$n = value` line each (`NULL` for null); none for
 * other requests. An approval record keeps them masked by the detectors.
 *
 * @example
 * ```ts
 * boundValueLines({ type: 'sql', sql: 'SELECT $1', params: ['a', null] }); // ['$1 = a', '$2 = NULL']
 * ```
 */
export function boundValueLines(request: Request): string[] {
  if (request.type !== 'sql' || request.params === undefined) return [];
  return request.params.map((v, i) => `$${String(i + 1)} = ${v ?? 'NULL'}`);
}
