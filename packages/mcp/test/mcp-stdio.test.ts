// `portcullis mcp --config F` over stdio, as VS Code or Claude Code start it: the SDK's own
// Client spawns the command; the principal comes from the configured token (an environment
// variable), never from tool arguments.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMAIL, startMcpFixture, type McpFixture } from './lib/mcp-fixture.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
let f: McpFixture;
let dir: string;

beforeAll(async () => {
  f = await startMcpFixture('portcullis');
  dir = await mkdtemp(path.join(tmpdir(), 'portcullis-mcp-'));
  await writeFile(path.join(dir, 'portcullis.json'), f.policyText);
  await writeFile(
    path.join(dir, 'mcp.yaml'),
    [
      'policy: ./portcullis.json',
      'token: { env: PORTCULLIS_TOKEN }',
      'targets:',
      '  warehouse:',
      '    postgres: { connectionString: { env: WAREHOUSE_URL } }',
      '',
    ].join('\n'),
  );
}, 60_000);

afterAll(async () => {
  await f.close();
});

async function spawnServer(token: string): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [
      '--conditions=portcullis-source',
      '--import',
      'tsx',
      'packages/cli/src/bin.ts',
      'mcp',
      '--config',
      path.join(dir, 'mcp.yaml'),
    ],
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', PORTCULLIS_TOKEN: token, WAREHOUSE_URL: f.db.url },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'stdio-agent', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

describe('portcullis mcp over stdio', () => {
  it('acts for the configured token: masked reads, denials and reviews as tool results', async () => {
    const client = await spawnServer(await f.issuer.accessToken('alice', { actor: 'copilot' }));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['approval_status', 'sql_query']);
    const read = (await client.callTool({
      name: 'sql_query',
      arguments: { target: 'warehouse', sql: 'SELECT email FROM customers' },
    })) as CallToolResult;
    expect(read.isError).not.toBe(true);
    expect(JSON.stringify(read)).not.toContain(EMAIL);
    const drop = (await client.callTool({
      name: 'sql_query',
      arguments: { target: 'warehouse', sql: 'DROP TABLE customers' },
    })) as CallToolResult;
    expect(drop.structuredContent).toMatchObject({ decision: 'deny' });
    const write = (await client.callTool({
      name: 'sql_query',
      arguments: { target: 'warehouse', sql: 'UPDATE customers SET tier = 3 WHERE id = 1' },
    })) as CallToolResult;
    expect(write.structuredContent).toMatchObject({ decision: 'review' });
    await client.close();
  }, 60_000);

  it('refuses to start with a token it cannot verify', async () => {
    await expect(spawnServer('not-a-token')).rejects.toThrow();
  }, 60_000);
});
