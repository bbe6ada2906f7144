import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { TokenError, toNodeHandler, type Principal } from '@portcullis/core';
import { createMcpServer } from './create-mcp-server.js';
import type { PortcullisMcpOptions } from './types.js';

/** Options of {@link createMcpHttpHandler}. */
export interface McpHttpOptions extends PortcullisMcpOptions {
  /**
   * The MCP endpoint's public URL (`https://mcp.example.com/mcp`): the protected resource's
   * identifier. Tokens must be issued for it: make the policy's `identity.audience` this URL.
   */
  readonly resourceUrl: string;
  /** The authorization servers to advertise (default: the policy's `identity.issuer`). */
  readonly authorizationServers?: readonly string[];
  /** Scopes to advertise in the metadata (default none). */
  readonly scopes?: readonly string[];
  /** The largest request body in bytes (default 4 MiB). */
  readonly maxRequestBodySize?: number;
}

/** A mountable MCP endpoint (see {@link createMcpHttpHandler}). */
export interface McpHttpHandler {
  /** A fetch-style handler: one `Request` in, one `Response` out. */
  readonly fetch: (request: Request) => Promise<Response>;
  /** A Node `http` handler. */
  readonly node: (req: IncomingMessage, res: ServerResponse) => void;
  /** The metadata URL advertised in `WWW-Authenticate` (RFC 9728). */
  readonly resourceMetadataUrl: string;
}

/**
 * The MCP server over Streamable HTTP as an OAuth 2.0 protected resource, as the MCP
 * authorization specification asks: every request carries a bearer token that the policy's
 * identity section verifies (issuer, audience, expiry, signature); without one, or with one that
 * fails, the answer is 401 with `WWW-Authenticate: Bearer resource_metadata="…"` pointing at the
 * RFC 9728 protected-resource metadata, which names the authorization server. Each request is
 * served statelessly by a server built for the token's principal, so nothing of one caller's
 * identity carries to another's request.
 *
 * @example
 * ```ts
 * const mcp = createMcpHttpHandler({ portcullis, targets, resourceUrl: 'https://mcp.example.com/mcp' });
 * http.createServer(mcp.node).listen(3000);
 * ```
 * @throws TypeError when `resourceUrl` is not an http(s) URL or no authorization server is known.
 */
export function createMcpHttpHandler(options: McpHttpOptions): McpHttpHandler {
  const resource = new URL(options.resourceUrl);
  if (resource.protocol !== 'https:' && resource.protocol !== 'http:')
    throw new TypeError('resourceUrl must be an http: or https: URL');
  resource.hash = '';
  const issuer = options.portcullis.policy.identity?.issuer;
  const servers =
    options.authorizationServers ??
    (issuer === undefined ? [] : typeof issuer === 'string' ? [issuer] : [...issuer]);
  if (servers.length === 0)
    throw new TypeError(
      'the MCP HTTP endpoint needs the policy’s identity section (or authorizationServers)',
    );
  // RFC 9728 §3.1: the well-known suffix goes between the host and the resource's path.
  const path = resource.pathname === '/' ? '' : resource.pathname.replace(/\/$/, '');
  const metadataPath = `/.well-known/oauth-protected-resource${path}`;
  const metadataUrl = new URL(metadataPath, resource.origin).href;
  const metadata = JSON.stringify({
    resource: resource.href,
    authorization_servers: servers,
    bearer_methods_supported: ['header'],
    ...(options.scopes === undefined ? {} : { scopes_supported: options.scopes }),
    resource_name: options.name ?? 'portcullis',
  });
  const maxBody = options.maxRequestBodySize ?? 4 * 1024 * 1024;

  const unauthorized = (error?: string): Response => {
    const parts = [`resource_metadata="${metadataUrl}"`];
    if (error !== undefined)
      parts.push('error="invalid_token"', `error_description="${error.replace(/["\\\r\n]/g, ' ')}"`);
    return Response.json(
      {
        error: error === undefined ? 'unauthorized' : 'invalid_token',
        error_description: error ?? 'a bearer token is required',
      },
      {
        status: 401,
        headers: { 'www-authenticate': `Bearer ${parts.join(', ')}`, 'cache-control': 'no-store' },
      },
    );
  };

  const handle = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (url.pathname === metadataPath || url.pathname === '/.well-known/oauth-protected-resource') {
      if (request.method !== 'GET') return new Response(null, { status: 405, headers: { allow: 'GET' } });
      return new Response(metadata, {
        headers: { 'content-type': 'application/json', 'cache-control': 'max-age=300' },
      });
    }
    if (url.pathname !== resource.pathname) return new Response('not found', { status: 404 });
    const header = request.headers.get('authorization');
    const bearer = header === null ? undefined : /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header)?.[1];
    if (bearer === undefined)
      return unauthorized(header === null ? undefined : 'the Authorization header is not a bearer token');
    let principal: Principal;
    try {
      principal = await options.portcullis.resolvePrincipal(bearer);
    } catch (err) {
      return unauthorized(err instanceof TokenError ? err.message : 'the token could not be verified');
    }
    if (request.method !== 'POST')
      // Stateless: no standalone event stream to open, no session to delete.
      return new Response(null, { status: 405, headers: { allow: 'POST' } });
    const length = Number(request.headers.get('content-length') ?? '0');
    if (length > maxBody) return new Response('request body too large', { status: 413 });
    const served = createMcpServer(principal, options);
    const { server } = served;
    // No sessionIdGenerator: stateless, every request authenticated on its own.
    const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true });
    try {
      await server.connect(transport);
      const answer = await transport.handleRequest(request, {
        authInfo: {
          token: bearer,
          clientId: principal.actor ?? principal.subject,
          scopes: [],
          resource,
          ...(principal.expiresAt === undefined ? {} : { expiresAt: principal.expiresAt }),
        },
      });
      // JSON responses are complete here: read them before the per-request server closes.
      const body = answer.body === null ? null : await answer.arrayBuffer();
      return new Response(body, { status: answer.status, headers: answer.headers });
    } finally {
      await served.close();
    }
  };

  const fetchHandler = async (request: Request): Promise<Response> => {
    try {
      return await handle(request);
    } catch {
      return Response.json({ error: 'the MCP endpoint failed' }, { status: 500 });
    }
  };
  return Object.freeze({
    fetch: fetchHandler,
    node: toNodeHandler(fetchHandler, resource.origin),
    resourceMetadataUrl: metadataUrl,
  });
}
