/**
 * The usage text of `portcullis mcp` (`portcullis mcp --help`, `portcullis help mcp`), in a
 * module of its own so that showing it loads nothing else.
 *
 * @example
 * ```ts
 * console.log((await import('./mcp.usage.js')).usage);
 * ```
 */
export const usage = `usage: portcullis mcp --config FILE [--http] [--listen HOST:PORT]

Runs the MCP server: the configuration's targets (PostgreSQL, SSH, Kubernetes) as tools for an
agent, every call gated by the policy. Over stdio (the default) it acts for the principal of the
configured token; with --http it serves Streamable HTTP as an OAuth protected resource (bearer
tokens verified by the policy's identity section) on the config's http.listen or --listen.

Connection strings, keys and tokens are read from environment variables or files named in the
configuration, never written in it. See docs/mcp.md.`;
