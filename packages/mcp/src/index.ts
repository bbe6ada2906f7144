// Public entry of @portcullis/mcp: re-exports only.
export { createMcpServer } from './create-mcp-server.js';
export type { PrincipalMcpServer } from './create-mcp-server.js';
export type {
  McpKubeGate,
  McpKubeRef,
  McpKubeSession,
  McpPostgresGate,
  McpPostgresSession,
  McpSshGate,
  McpSshSession,
  McpTarget,
  PortcullisMcpOptions,
} from './types.js';
export { createMcpHttpHandler } from './create-mcp-http-handler.js';
export type { McpHttpHandler, McpHttpOptions } from './create-mcp-http-handler.js';
export { serveStdio } from './serve-stdio.js';
export type { McpStdioOptions } from './serve-stdio.js';
export { runMcpFromConfig } from './run-mcp-from-config.js';
export type { RunMcpOptions } from './run-mcp-from-config.js';
export { loadMcpConfig } from './config/load-mcp-config.js';
export type { LoadedMcpConfig, McpConfig, McpConfigSource } from './config/load-mcp-config.js';
