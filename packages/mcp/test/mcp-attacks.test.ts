// Red-team tests of the MCP server over Streamable HTTP (real PostgreSQL, local issuer, the
// SDK's own client): self-approval through MCP, other principals' approvals, unmasked data in
// errors, parser/resource exhaustion, many concurrent calls.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpHttpHandler } from '../src/index.js';
import { EMAIL, startMcpFixture, type McpFixture } from './lib/mcp-fixture.js';

let f: McpFixture;
let server: Server;
let resource = '';

beforeAll(async () => {
  const slot: { handler?: (req: IncomingMessage, res: ServerResponse) => void } = {};
  server = createServer((req, res) => {
    if (slot.handler === undefined) res.writeHead(503).end();
    else slot.handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  resource = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/mcp`;
  f = await startMcpFixture(resource);
  const raw = new pg.Client({ connectionString: f.db.url });
  await raw.connect();
  // A value no detector knows, to see whether errors echo table data at all.
  await raw.query(
    "CREATE TABLE vault (id int, note text); INSERT INTO vault VALUES (1, 'zebra-banana-7731')",
  );
  await raw.end();
  slot.handler = createMcpHttpHandler({
    portcullis: f.portcullis,
    targets: { warehouse: { protocol: 'postgres', gate: f.pool } },
    resourceUrl: resource,
  }).node;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await f.close();
});

async function connect(token: string): Promise<Client> {
  const client = new Client({ name: 'redteam-agent', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(resource), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

const text = (r: CallToolResult): string => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
const all = (r: CallToolResult): string => `${text(r)}${JSON.stringify(r.structuredContent ?? {})}`;

describe('red team: MCP', () => {
  it('offers no tool that approves, and an unknown approve tool does nothing', async () => {
    const client = await connect(
      await f.issuer.accessToken('alice', { actor: 'copilot', audience: resource }),
    );
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).filter((n) => /approve|vote|deny/i.test(n))).toEqual([]);
    const held = (await client.callTool({
      name: 'sql_query',
      arguments: { target: 'warehouse', sql: 'UPDATE customers SET tier = 9 WHERE id = 1' },
    })) as CallToolResult;
    const id = String((held.structuredContent as { approvalId?: string }).approvalId);
    for (const name of ['approve', 'approval_approve', 'approvals_approve']) {
      const r = await client
        .callTool({ name, arguments: { id } })
        .catch((e: unknown) => ({ isError: true, e }));
      expect((r as { isError?: boolean }).isError).toBe(true);
    }
    expect((await f.portcullis.approvals.get(id))?.status).toBe('pending');
    await client.close();
  });

  it('does not echo table data through a server error (cast of a protected-by-masking value)', async () => {
    const client = await connect(
      await f.issuer.accessToken('alice', { actor: 'copilot', audience: resource }),
    );
    for (const sql of [
      'SELECT CAST(email AS int) FROM customers',
      'SELECT email::uuid FROM customers',
      "SELECT to_date(email, 'YYYY') FROM customers",
    ]) {
      const r = (await client.callTool({
        name: 'sql_query',
        arguments: { target: 'warehouse', sql },
      })) as CallToolResult;
      expect(r.isError, sql).toBe(true);
      expect(all(r), sql).not.toContain(EMAIL);
    }
    // the rows themselves come back masked
    const rows = (await client.callTool({
      name: 'sql_query',
      arguments: { target: 'warehouse', sql: 'SELECT email FROM customers' },
    })) as CallToolResult;
    expect(all(rows)).not.toContain(EMAIL);
    await client.close();
  });

  it('survives a parser-exhaustion query and still serves the next call', async () => {
    const client = await connect(
      await f.issuer.accessToken('alice', { actor: 'copilot', audience: resource }),
    );
    const depth = 49_000;
    const deep = `SELECT ${'('.repeat(depth)}1${')'.repeat(depth)}`;
    const r = (await client.callTool({
      name: 'sql_query',
      arguments: { target: 'warehouse', sql: deep },
    })) as CallToolResult;
    expect(r.isError).toBe(true);
    const many = (await client.callTool({
      name: 'sql_query',
      arguments: { target: 'warehouse', sql: 'SELECT 1 AS one;'.repeat(6000) },
    })) as CallToolResult;
    expect(typeof many.isError === 'boolean' || many.content.length > 0).toBe(true);
    const ok = (await client.callTool({
      name: 'sql_query',
      arguments: { target: 'warehouse', sql: 'SELECT tier FROM customers' },
    })) as CallToolResult;
    expect(ok.isError ?? false).toBe(false);
    await client.close();
  }, 120_000);

  it('answers 150 concurrent calls without crashing, and denied ones stay denied', async () => {
    const token = await f.issuer.accessToken('alice', { actor: 'copilot', audience: resource });
    const clients = await Promise.all(Array.from({ length: 15 }, () => connect(token)));
    const calls = clients.flatMap((c, i) =>
      Array.from(
        { length: 10 },
        (_, j) =>
          c.callTool({
            name: 'sql_query',
            arguments: {
              target: 'warehouse',
              sql: (i + j) % 3 === 0 ? 'DROP TABLE customers' : 'SELECT pg_sleep(0.05), tier FROM customers',
            },
          }) as Promise<CallToolResult>,
      ),
    );
    const results = await Promise.all(calls);
    expect(results).toHaveLength(150);
    const raw = new pg.Client({ connectionString: f.db.url });
    await raw.connect();
    const exists = await raw.query<{ t: string | null }>("SELECT to_regclass('public.customers') AS t");
    await raw.end();
    expect(exists.rows[0]?.t).toBe('customers');
    await Promise.all(clients.map((c) => c.close()));
  }, 120_000);

  it('a chunked body without content-length is still bounded', async () => {
    const token = await f.issuer.accessToken('alice', { actor: 'copilot', audience: resource });
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: {
        name: 'sql_query',
        arguments: { target: 'warehouse', sql: 'SELECT 1', params: ['x'.repeat(6 * 1024 * 1024)] },
      },
    });
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        const bytes = new TextEncoder().encode(big);
        for (let i = 0; i < bytes.length; i += 65536) c.enqueue(bytes.subarray(i, i + 65536));
        c.close();
      },
    });
    const res = await fetch(resource, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body,
      duplex: 'half',
    });
    expect(res.status).toBe(413);
  });
});
