import path from 'node:path';
import { runMcpFromConfig } from '@portcullis/mcp';
import { EXIT_OK, writeLine } from '../lib/cli-io.js';
import type { Command } from '../lib/command.js';
import { parseFlags, required } from '../lib/parse-flags.js';
import { UsageError } from '../lib/usage-error.js';

const usage = `usage: portcullis mcp --config FILE [--http] [--listen HOST:PORT]

Runs the MCP server: the configuration's targets (PostgreSQL, SSH, Kubernetes) as tools for an
agent, every call gated by the policy. Over stdio (the default) it acts for the principal of the
configured token; with --http it serves Streamable HTTP as an OAuth protected resource (bearer
tokens verified by the policy's identity section) on the config's http.listen or --listen.

Connection strings, keys and tokens are read from environment variables or files named in the
configuration, never written in it. See docs/mcp.md.`;

const flags = {
  config: { type: 'string' },
  http: { type: 'boolean' },
  listen: { type: 'string' },
} as const;

/** `portcullis mcp`: the MCP server over stdio or Streamable HTTP. */
export const mcpCommand: Command = {
  name: 'mcp',
  usage,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, flags, usage);
    if (positionals.length > 0)
      throw new UsageError(`unexpected argument ${positionals[0] ?? ''}\n\n${usage}`);
    const config = path.resolve(io.cwd, required(values.config, '--config', usage));
    const stop = new AbortController();
    const onSignal = (): void => {
      stop.abort();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await runMcpFromConfig({
        config,
        http: values.http === true,
        ...(values.listen === undefined ? {} : { listen: values.listen }),
        env: io.env,
        signal: stop.signal,
        onReady(where) {
          // stdout carries the protocol over stdio: say it on stderr.
          writeLine(io.stderr, `portcullis mcp: serving on ${where}`);
        },
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    return EXIT_OK;
  },
};
