// The MCP server over Streamable HTTP, driven by the SDK's own Client: the OAuth 401 discovery
// flow, tokens for another audience refused, and every postgres tool and approval_status —
// allowed with masked rows, denied, held for review and run once bob approves.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { discoverOAuthProtectedResourceMetadata } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpHttpHandler } from '../src/index.js';
import { EMAIL, startMcpFixture, type McpFixture } from './lib/mcp-fixture.js';

let f: McpFixture;
let server: Server;
let resource = '';

beforeAll(async () => {
  // The endpoint's URL (the token audience) is known only once the server listens.
  const slot: { handler?: (req: IncomingMessage, res: ServerResponse) => void } = {};
  server = createServer((req, res) => {
    if (slot.handler === undefined) res.writeHead(503).end();
    else slot.handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  resource = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/mcp`;
  f = await startMcpFixture(resource);
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
  const client = new Client({ name: 'test-agent', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(resource), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

const text = (r: CallToolResult): string => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

describe('MCP over Streamable HTTP: authorization', () => {
  it('answers a request without a token with 401 and the protected-resource metadata the SDK discovers', async () => {
    const res = await fetch(resource, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer /);
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    expect(metadataUrl).toBe(new URL('/.well-known/oauth-protected-resource/mcp', resource).href);
    // The SDK's client finds the same document from the server URL (RFC 9728).
    const metadata = await discoverOAuthProtectedResourceMetadata(new URL(resource));
    expect(metadata.resource).toBe(resource);
    expect(metadata.authorization_servers).toEqual([f.issuer.issuer]);

    const client = new Client({ name: 'no-token', version: '1.0.0' });
    await expect(client.connect(new StreamableHTTPClientTransport(new URL(resource)))).rejects.toThrow();
  });

  it('refuses a token issued for another audience, and a forged one', async () => {
    const other = await f.issuer.accessToken('alice', {
      actor: 'copilot',
      audience: 'https://other.example/mcp',
    });
    const res = await fetch(resource, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${other}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    await expect(connect(other)).rejects.toThrow();
    const good = await f.issuer.accessToken('alice', { actor: 'copilot' });
    const forged = `${good.slice(0, -4)}AAAA`;
    await expect(connect(forged)).rejects.toThrow();
  });
});

describe('MCP over Streamable HTTP: tools', () => {
  it('lists the postgres tools and approval_status, and says what the policy lets this principal do', async () => {
    const client = await connect(await f.issuer.accessToken('alice', { actor: 'copilot' }));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['approval_status', 'sql_query']);
    const sql = tools.find((t) => t.name === 'sql_query');
    expect(sql?.description).toContain('On warehouse (postgres) you may select');
    expect(sql?.description).toContain("needs a person's approval for insert, update, delete");
    expect(sql?.inputSchema.properties).toHaveProperty('target');
    await client.close();
  });

  it('runs an allowed SELECT and returns rows masked, as structured content and text', async () => {
    const client = await connect(await f.issuer.accessToken('alice', { actor: 'copilot' }));
    const r = (await client.callTool({
      name: 'sql_query',
      arguments: { target: 'warehouse', sql: 'SELECT id, email FROM customers' },
    })) as CallToolResult;
    expect(r.isError).not.toBe(true);
    const rows = (r.structuredContent as { rows: { id: number; email: string }[] }).rows;
    expect(rows).toHaveLength(1);
    expect(rows[0]?.id).toBe(1);
    expect(rows[0]?.email).not.toBe(EMAIL);
    expect(JSON.stringify(r)).not.toContain(EMAIL);
    expect(text(r)).toContain('1 row');
    await client.close();
  });

  it('returns a denial as an error result with the reasons, and the connection stays usable', async () => {
    const client = await connect(await f.issuer.accessToken('alice', { actor: 'copilot' }));
    const r = (await client.callTool({
      name: 'sql_query',
      arguments: { target: 'warehouse', sql: 'DROP TABLE customers' },
    })) as CallToolResult;
    expect(r.isError).toBe(true);
    expect(r.structuredContent).toMatchObject({ decision: 'deny', code: 'ERR_DENIED' });
    expect(text(r)).toContain('Never drop tables');
    const again = (await client.callTool({
      name: 'sql_query',
      arguments: { target: 'warehouse', sql: 'SELECT 1 AS one FROM customers' },
    })) as CallToolResult;
    expect(again.isError).not.toBe(true);
    await client.close();
  });

  it('holds a write for review, reports it through approval_status, and runs it once bob approves', async () => {
    const token = await f.issuer.accessToken('alice', { actor: 'copilot' });
    const client = await connect(token);
    const write = {
      name: 'sql_query',
      arguments: { target: 'warehouse', sql: 'UPDATE customers SET tier = 2 WHERE id = 1' },
    };
    const held = (await client.callTool(write)) as CallToolResult;
    expect(held.isError).toBe(true);
    const { approvalId } = held.structuredContent as { approvalId: string; decision: string };
    expect(held.structuredContent).toMatchObject({ decision: 'review', code: 'ERR_REVIEW_REQUIRED' });
    expect(text(held)).toContain(approvalId);
    expect(text(held)).toContain('Writes need a manager');

    const pending = (await client.callTool({
      name: 'approval_status',
      arguments: { id: approvalId },
    })) as CallToolResult;
    expect(pending.structuredContent).toMatchObject({
      id: approvalId,
      status: 'pending',
      approvals: 0,
      needed: 1,
    });

    const bob = await f.portcullis.resolvePrincipal(await f.issuer.accessToken('bob'));
    await f.portcullis.approvals.approve(approvalId, bob);
    const approved = (await client.callTool({
      name: 'approval_status',
      arguments: { id: approvalId },
    })) as CallToolResult;
    expect(approved.structuredContent).toMatchObject({ status: 'approved' });
    expect(text(approved)).toContain('send the same request again');

    const ran = (await client.callTool(write)) as CallToolResult;
    expect(ran.isError).not.toBe(true);
    expect(ran.structuredContent).toMatchObject({ rowCount: 1 });
    // Once: the same write again needs a new approval.
    const again = (await client.callTool(write)) as CallToolResult;
    expect(again.structuredContent).toMatchObject({ decision: 'review' });
    await client.close();
  });

  it('does not show one principal another principal’s approvals', async () => {
    const alice = await connect(await f.issuer.accessToken('alice', { actor: 'copilot' }));
    const held = (await alice.callTool({
      name: 'sql_query',
      arguments: { target: 'warehouse', sql: 'DELETE FROM customers WHERE id = 99' },
    })) as CallToolResult;
    const { approvalId } = held.structuredContent as { approvalId: string };
    await alice.close();
    const eve = await connect(await f.issuer.accessToken('eve', { actor: 'copilot' }));
    const r = (await eve.callTool({
      name: 'approval_status',
      arguments: { id: approvalId },
    })) as CallToolResult;
    expect(r.isError).toBe(true);
    expect(text(r)).toContain('no approval');
    await eve.close();
  });

  it('rejects arguments outside the input schema before anything reaches the gate', async () => {
    const client = await connect(await f.issuer.accessToken('alice', { actor: 'copilot' }));
    const r = (await client.callTool({
      name: 'sql_query',
      arguments: { target: 'elsewhere', sql: 'SELECT 1' },
    })) as CallToolResult;
    expect(r.isError).toBe(true);
    await client.close();
  });
});
