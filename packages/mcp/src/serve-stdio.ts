import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createMcpServer, type PrincipalMcpServer } from './create-mcp-server.js';
import type { PortcullisMcpOptions } from './types.js';

/** Options of {@link serveStdio}. */
export interface McpStdioOptions extends PortcullisMcpOptions {
  /**
   * The bearer token of the principal this server acts for, verified with the policy's identity
   * section. Over stdio the principal comes from the host's configuration, never from a tool call.
   */
  readonly token: string;
  /** Streams to speak on (default the process's stdin and stdout). */
  readonly stdin?: NodeJS.ReadableStream;
  readonly stdout?: NodeJS.WritableStream;
}

/**
 * Serves the MCP server over stdio for the principal `token` names: what an MCP client (VS Code,
 * Claude Code, an in-house agent) starts as a subprocess. Resolves once connected; the returned
 * `close()` ends the gated sessions and the transport.
 *
 * @example
 * ```ts
 * await serveStdio({ portcullis, targets, token: process.env.PORTCULLIS_TOKEN! });
 * ```
 * @throws TokenError when the token is rejected.
 */
export async function serveStdio(options: McpStdioOptions): Promise<PrincipalMcpServer> {
  const principal = await options.portcullis.resolvePrincipal(options.token);
  const served = createMcpServer(principal, options);
  const transport =
    options.stdin === undefined && options.stdout === undefined
      ? new StdioServerTransport()
      : new StdioServerTransport(
          (options.stdin ?? process.stdin) as never,
          (options.stdout ?? process.stdout) as never,
        );
  await served.server.connect(transport);
  return served;
}
