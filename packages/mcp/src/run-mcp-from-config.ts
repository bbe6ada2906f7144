import { createServer } from 'node:http';
import path from 'node:path';
import {
  createMemoryApprovalStore,
  createPortcullis,
  loadPolicyFile,
  type ApprovalStore,
} from '@portcullis/core';
import { createMcpHttpHandler } from './create-mcp-http-handler.js';
import { loadMcpConfig, readSource } from './config/load-mcp-config.js';
import { openMcpTargets } from './config/open-mcp-targets.js';
import { serveStdio } from './serve-stdio.js';

/** Options of {@link runMcpFromConfig}. */
export interface RunMcpOptions {
  /** The configuration file (YAML or JSON). */
  readonly config: string;
  /** Serve Streamable HTTP instead of stdio (the config's `http` section says where). */
  readonly http?: boolean;
  /** Overrides `http.listen` (`HOST:PORT`). */
  readonly listen?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Called once the server is ready, with where it listens (HTTP) or `stdio`. */
  readonly onReady?: (where: string) => void;
  /** Ends the server. */
  readonly signal?: AbortSignal;
}

/**
 * Runs the MCP server a configuration file describes (what `portcullis mcp --config F` does):
 * loads the policy, opens each target through its adapter, and serves stdio for the configured
 * token's principal, or Streamable HTTP as an OAuth protected resource. Resolves when `signal`
 * aborts (HTTP) or stdin ends (stdio), after closing every target.
 *
 * @throws Error for an invalid configuration, an unreadable secret or a rejected token.
 */
export async function runMcpFromConfig(options: RunMcpOptions): Promise<void> {
  const env = options.env ?? process.env;
  const loaded = await loadMcpConfig(options.config);
  const { config, dir } = loaded;
  const policy = await loadPolicyFile(path.resolve(dir, config.policy));
  let approvals: ApprovalStore = createMemoryApprovalStore();
  let closeStore = (): Promise<void> => Promise.resolve();
  if (config.approvals !== undefined) {
    const [{ createPgApprovalStore }, pg] = await Promise.all([import('@portcullis/pg'), import('pg')]);
    const pool = new pg.default.Pool({
      connectionString: await readSource(config.approvals.store, dir, env),
      max: 4,
    });
    pool.on('error', () => undefined);
    const store = createPgApprovalStore(
      pool,
      config.approvals.schema === undefined ? {} : { schema: config.approvals.schema },
    );
    approvals = store;
    closeStore = async () => {
      await store.close();
      await pool.end();
    };
  }
  const portcullis = await createPortcullis({ policy, approvals });
  const opened = await openMcpTargets(loaded, portcullis, env);
  const ended = new Promise<void>((resolve) => {
    if (options.signal?.aborted === true) resolve();
    options.signal?.addEventListener('abort', () => {
      resolve();
    });
  });
  try {
    if (options.http === true) {
      if (config.http === undefined)
        throw new Error(`${loaded.file}: serving HTTP needs an http section with resourceUrl`);
      const handler = createMcpHttpHandler({
        portcullis,
        targets: opened.targets,
        resourceUrl: config.http.resourceUrl,
      });
      const listen = /^(.+):(\d{1,5})$/.exec(options.listen ?? config.http.listen ?? '127.0.0.1:3000');
      if (listen === null) throw new Error('listen must be HOST:PORT');
      const server = createServer(handler.node);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(Number(listen[2]), (listen[1] ?? '').replace(/^\[(.*)\]$/, '$1'), resolve);
      });
      const address = server.address();
      options.onReady?.(
        typeof address === 'object' && address !== null
          ? `${address.address}:${String(address.port)}`
          : String(address),
      );
      await ended;
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    } else {
      if (config.token === undefined)
        throw new Error(`${loaded.file}: serving stdio needs token: { env: NAME } or { file: PATH }`);
      const served = await serveStdio({
        portcullis,
        targets: opened.targets,
        token: await readSource(config.token, dir, env),
      });
      options.onReady?.('stdio');
      const stdinEnded = new Promise<void>((resolve) => {
        process.stdin.once('end', resolve);
        process.stdin.once('close', resolve);
      });
      await Promise.race([ended, stdinEnded]);
      await served.close();
    }
  } finally {
    await opened.close();
    await closeStore();
  }
}
