import { createGate, type Portcullis, type PrincipalInput } from '@portcullis/core';
import type { ConnectConfig } from 'ssh2';
import type { SshCall } from './internal-types.js';
import { sshAdapter } from './lib/adapter.js';
import { createConnection } from './lib/connection.js';
import { createFacade } from './lib/facade.js';
import { hostKeyVerifier } from './lib/host-key.js';
import type { CreateGatedSshOptions, GatedSsh, GatedSshSession, GatedSshSessionOptions } from './types.js';

/** Login shells whose command-line grammar the bash classifier reads. */
const SHELLS: ReadonlySet<string> = new Set(['bash', 'sh', 'dash', 'ksh', 'zsh']);
/** Connect options the gate owns or never offers. */
const REFUSED = ['hostVerifier', 'hostHash', 'agentForward'] as const;

/**
 * Wraps ssh2 for one SSH target of the policy: `as(principal)` / `withToken(token)` give a
 * facade whose exec, shell, SFTP and forwarding requests are classified, decided, approved,
 * run, masked and recorded by the gate runtime. Each session opens its own connection at its
 * first request that needs the server; the host key is pinned and checked before any
 * credential is offered. The ssh2 Client, its channels and the credentials are never reachable.
 *
 * @example
 * ```ts
 * const ssh = createGatedSsh({
 *   connect: { host: 'bastion.internal', username: 'deploy', privateKey, hostKey: 'ssh-ed25519 AAAA…' },
 *   portcullis,
 *   target: 'bastion',
 * });
 * const session = await ssh.withToken(agentToken);
 * const { stdout } = await session.exec('uptime');
 * ```
 * @throws TypeError when the host key is not pinned, an option the gate owns is given
 * (`hostVerifier`, `hostHash`, `agentForward`), the target is not an `ssh` target of the
 * policy, or `remoteShell` is not a POSIX shell.
 */
export function createGatedSsh(options: CreateGatedSshOptions): GatedSsh {
  const given: unknown = options;
  if (typeof given !== 'object' || given === null) {
    throw new TypeError('createGatedSsh() takes { connect, portcullis, target }');
  }
  const { portcullis, target } = options;
  if (typeof (portcullis as Partial<Portcullis> | undefined)?.authorize !== 'function') {
    throw new TypeError('createGatedSsh() needs the engine: { portcullis: await createPortcullis(…) }');
  }
  const known = typeof target === 'string' ? portcullis.policy.targets.get(target) : undefined;
  if (known === undefined)
    throw new TypeError(`target ${JSON.stringify(target)} is not a target of the policy`);
  if (known.protocol !== 'ssh') {
    throw new TypeError(`target ${JSON.stringify(target)} has protocol ${known.protocol}, not ssh`);
  }
  const shell = options.remoteShell ?? 'bash';
  if (!SHELLS.has(shell)) {
    throw new TypeError(
      `remoteShell ${JSON.stringify(shell)}: command lines are classified with the bash grammar; use an account whose login shell is bash, sh, dash, ksh or zsh`,
    );
  }
  const connect = options.connect as unknown;
  if (typeof connect !== 'object' || connect === null) {
    throw new TypeError('connect must be ssh2 connect options with a pinned hostKey');
  }
  for (const name of REFUSED) {
    if ((connect as Record<string, unknown>)[name] !== undefined) {
      throw new TypeError(
        `connect.${name} is not accepted: the gate verifies the pinned hostKey itself and never forwards an agent`,
      );
    }
  }
  const { hostKey, ...rest } = connect as { hostKey?: unknown } & Record<string, unknown>;
  const verify = hostKeyVerifier(hostKey);
  // A copy: the caller changing its object later changes nothing here.
  const config: Readonly<ConnectConfig> = Object.freeze({ ...(rest as ConnectConfig) });

  const gate = createGate<SshCall, unknown, unknown>({
    portcullis,
    target,
    adapter: sshAdapter(),
    ...(options.caps === undefined ? {} : { caps: options.caps }),
    ...(options.review === undefined ? {} : { review: options.review }),
    ...(options.hashKey === undefined ? {} : { hashKey: options.hashKey }),
  });
  const sessions = new Set<GatedSshSession>();

  const as = (principal: PrincipalInput, sessionOptions?: GatedSshSessionOptions): GatedSshSession => {
    const session = gate.open(
      principal,
      sessionOptions?.review === undefined ? undefined : { review: sessionOptions.review },
    );
    const facade = createFacade(session, createConnection(config, verify, target), () => {
      sessions.delete(facade);
    });
    sessions.add(facade);
    return facade;
  };

  return Object.freeze({
    target,
    as,
    async withToken(
      token: string,
      sessionOptions?: GatedSshSessionOptions & Parameters<Portcullis['resolvePrincipal']>[1],
    ) {
      const { review, ...resolve } = sessionOptions ?? {};
      const principal = await portcullis.resolvePrincipal(token, resolve);
      return as(principal, review === undefined ? undefined : { review });
    },
    async end() {
      // Each session's own end() reports its recording's failure; this closes them all.
      await Promise.allSettled([...sessions].map((s) => s.end()));
    },
  });
}
