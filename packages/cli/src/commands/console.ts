import { createServer } from 'node:http';
import path from 'node:path';
import { createApprovalConsole } from '@portcullis/approvals';
import { createPortcullis, loadPolicyFile } from '@portcullis/core';
import { createPgApprovalStore } from '@portcullis/pg';
import pg from 'pg';
import { EXIT_OK, writeLine } from '../lib/cli-io.js';
import type { Command } from '../lib/command.js';
import { parseFlags, required } from '../lib/parse-flags.js';
import { UsageError } from '../lib/usage-error.js';
import { usage } from './console.usage.js';

const flags = {
  policy: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret-env': { type: 'string' },
  store: { type: 'string' },
  schema: { type: 'string' },
  listen: { type: 'string' },
  'public-url': { type: 'string' },
} as const;

/** `portcullis console`: the approval console on its own HTTP server. */
export const consoleCommand: Command = {
  name: 'console',
  usage,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, flags, usage);
    if (positionals.length > 0)
      throw new UsageError(`unexpected argument ${positionals[0] ?? ''}\n\n${usage}`);
    const policyFile = required(values.policy, '--policy', usage);
    const clientId = required(values['client-id'], '--client-id', usage);
    const storeUrl = values.store ?? io.env['PORTCULLIS_STORE_URL'];
    if (storeUrl === undefined || !/^postgres(ql)?:\/\//.test(storeUrl))
      throw new UsageError(
        `give the PostgreSQL approval store with --store URL or PORTCULLIS_STORE_URL\n\n${usage}`,
      );
    const listen = /^(.+):(\d{1,5})$/.exec(values.listen ?? '127.0.0.1:8080');
    if (listen === null) throw new UsageError(`--listen must be HOST:PORT\n\n${usage}`);
    const host = (listen[1] ?? '').replace(/^\[(.*)\]$/, '$1');
    const port = Number(listen[2]);
    let clientSecret: string | undefined;
    if (values['client-secret-env'] !== undefined) {
      clientSecret = io.env[values['client-secret-env']];
      if (clientSecret === undefined || clientSecret === '')
        throw new UsageError(`the environment variable ${values['client-secret-env']} is not set`);
    }
    const policy = await loadPolicyFile(path.resolve(io.cwd, policyFile));
    if (policy.identity === undefined)
      throw new UsageError(`${policyFile}: the policy has no identity section, so no approver can sign in`);

    const pool = new pg.Pool({ connectionString: storeUrl, max: 4 });
    pool.on('error', () => undefined);
    const store = createPgApprovalStore(pool, values.schema === undefined ? {} : { schema: values.schema });
    const portcullis = await createPortcullis({ policy, approvals: store });
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
    const address = server.address();
    const bound = typeof address === 'object' && address !== null ? address.port : port;
    const hostPart = host.includes(':') ? `[${host}]` : host;
    const publicUrl = values['public-url'] ?? `http://${hostPart}:${String(bound)}/`;
    let approvals;
    try {
      approvals = createApprovalConsole({
        portcullis,
        store,
        oidc: { clientId, ...(clientSecret === undefined ? {} : { clientSecret }) },
        publicUrl,
      });
    } catch (err) {
      server.close();
      await store.close();
      await pool.end();
      throw new UsageError((err as Error).message);
    }
    server.on('request', approvals.node);
    writeLine(io.stdout, `portcullis console: listening on ${hostPart}:${String(bound)}, open ${publicUrl}`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    approvals.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
    await store.close();
    await pool.end();
    return EXIT_OK;
  },
};
