import type { Portcullis } from '@portcullis/core';
import type { McpTarget } from '../types.js';
import { readSource, type LoadedMcpConfig } from './load-mcp-config.js';

/** Targets opened from a configuration, and how to close them. */
export interface OpenedTargets {
  readonly targets: Readonly<Record<string, McpTarget>>;
  close(): Promise<void>;
}

/**
 * Opens each configured target through its adapter (loaded only when a target needs it):
 * `@portcullis/pg` with `pg`, `@portcullis/ssh` with `ssh2`, `@portcullis/k8s` with
 * `@kubernetes/client-node`. Every target must be in the policy with the same protocol.
 *
 * @throws Error when a target is missing from the policy, its adapter is not installed, or a
 * secret cannot be read.
 */
export async function openMcpTargets(
  loaded: LoadedMcpConfig,
  portcullis: Portcullis,
  env: NodeJS.ProcessEnv,
): Promise<OpenedTargets> {
  const targets: Record<string, McpTarget> = {};
  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    await Promise.allSettled(closers.reverse().map((c) => c()));
  };
  try {
    for (const [name, spec] of Object.entries(loaded.config.targets)) {
      const declared = portcullis.policy.targets.get(name)?.protocol;
      const protocol = 'postgres' in spec ? 'postgres' : 'ssh' in spec ? 'ssh' : 'kubernetes';
      if (declared !== protocol)
        throw new Error(
          `${loaded.file}: target ${name} is ${protocol} here but ${declared === undefined ? 'not in the policy' : `${declared} in the policy`}`,
        );
      if ('postgres' in spec) {
        const [{ createGatedPool }] = await Promise.all([import('@portcullis/pg')]);
        const connectionString = await readSource(spec.postgres.connectionString, loaded.dir, env);
        const pool = createGatedPool({
          config: { connectionString, max: spec.postgres.max ?? 4 },
          portcullis,
          target: name,
        });
        closers.push(() => pool.end());
        targets[name] = { protocol: 'postgres', gate: pool };
      } else {
        throw new Error(
          `${loaded.file}: target ${name}: ${protocol} targets need @portcullis/${protocol === 'ssh' ? 'ssh' : 'k8s'}`,
        );
      }
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { targets, close };
}
