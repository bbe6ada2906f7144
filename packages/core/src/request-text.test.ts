import { describe, expect, it } from 'vitest';
import { boundValueLines, requestText } from './request-text.js';
import type { Request } from './types.js';

describe('requestText and boundValueLines', () => {
  it.each<[Request, string, string[]]>([
    [{ type: 'sql', sql: 'SELECT $1, $2', params: ['a', null] }, 'SELECT $1, $2', ['$1 = a', '$2 = NULL']],
    [{ type: 'sql', sql: 'SELECT 1' }, 'SELECT 1', []],
    [{ type: 'command', command: 'ls -la /srv' }, 'ls -la /srv', []],
    [{ type: 'shell' }, 'interactive shell', []],
    [{ type: 'sftp', mode: 'write', path: '/etc/hosts' }, 'sftp write /etc/hosts', []],
    [{ type: 'forward', host: 'db.internal', port: 5432 }, 'forward to db.internal:5432', []],
    [{ type: 'kube', method: 'GET', path: '/api/v1/pods' }, 'GET /api/v1/pods', []],
    [
      {
        type: 'kube',
        method: 'DELETE',
        path: '/api/v1/namespaces/prod/pods/web-1',
        headers: { 'Impersonate-User': 'admin', 'Impersonate-Group': ['system:masters', 'ops'], accept: 'x' },
      },
      'DELETE /api/v1/namespaces/prod/pods/web-1 (Impersonate-User: admin; Impersonate-Group: system:masters, ops)',
      [],
    ],
  ])('%j', (request, text, lines) => {
    expect(requestText(request)).toBe(text);
    expect(boundValueLines(request)).toEqual(lines);
  });
});
