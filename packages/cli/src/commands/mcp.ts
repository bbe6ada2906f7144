import path from 'node:path';
import { runMcpFromConfig } from '@portcullis/mcp';
import { EXIT_OK, writeLine } from '../lib/cli-io.js';
import type { Command } from '../lib/command.js';
import { parseFlags, required } from '../lib/parse-flags.js';
import { UsageError } from '../lib/usage-error.js';
import { usage } from './mcp.usage.js';

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
