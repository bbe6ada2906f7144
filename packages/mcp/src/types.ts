/**
 * What the MCP server needs of each gated target: the sessions the adapters hand out
 * (`@portcullis/pg`'s `createGatedPool`, `@portcullis/ssh`'s `createGatedSsh`,
 * `@portcullis/k8s`'s `createKubeGate`), described structurally so this package does not load
 * drivers a host does not use.
 *
 * @packageDocumentation
 */
import type { Portcullis, Principal } from '@portcullis/core';

/** A gated PostgreSQL target (a `GatedPool`). */
export interface McpPostgresGate {
  as(principal: Principal): McpPostgresSession;
}

/** One principal's PostgreSQL session (a `GatedSession`). */
export interface McpPostgresSession {
  query(
    text: string,
    values?: readonly unknown[],
  ): Promise<{
    readonly rows: readonly unknown[];
    readonly rowCount: number | null;
    readonly fields?: readonly { readonly name: string }[];
    readonly command?: string;
  }>;
  end(): Promise<void>;
}

/** A gated SSH target (a `GatedSsh`). */
export interface McpSshGate {
  as(principal: Principal): McpSshSession;
}

/** One principal's SSH session (a `GatedSshSession`). */
export interface McpSshSession {
  exec(
    command: string,
    options?: { readonly timeoutMs?: number; readonly stdin?: string },
  ): Promise<{
    readonly stdout: string;
    readonly stderr: string;
    readonly code: number | null;
    readonly signal: string | null;
  }>;
  sftp(): {
    readFile(path: string): Promise<string>;
    writeFile(path: string, data: string): Promise<void>;
  };
  end(): Promise<void>;
}

/** A Kubernetes object reference. */
export interface McpKubeRef {
  readonly apiVersion?: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name: string;
}

/** A gated Kubernetes target (a `KubeGate`). */
export interface McpKubeGate {
  as(principal: Principal): McpKubeSession;
}

/** One principal's Kubernetes session (a `KubeSession`'s JSON helpers). */
export interface McpKubeSession {
  get(ref: McpKubeRef): Promise<unknown>;
  list(options: {
    readonly apiVersion?: string;
    readonly resource: string;
    readonly namespace?: string;
    readonly labelSelector?: string;
    readonly fieldSelector?: string;
    readonly limit?: number;
  }): Promise<unknown>;
  apply(
    object: Readonly<Record<string, unknown>>,
    options?: { readonly resource?: string },
  ): Promise<unknown>;
  delete(ref: McpKubeRef): Promise<unknown>;
  exec(options: {
    readonly namespace: string;
    readonly pod: string;
    readonly container?: string;
    readonly command: readonly string[];
    readonly stdin?: string;
  }): Promise<{ readonly stdout: string; readonly stderr: string; readonly exitCode: number | null }>;
  logs(options: {
    readonly namespace: string;
    readonly pod: string;
    readonly container?: string;
    readonly tailLines?: number;
    readonly sinceSeconds?: number;
  }): Promise<string>;
  end(): Promise<void>;
}

/** One target the server exposes, by protocol. */
export type McpTarget =
  | { readonly protocol: 'postgres'; readonly gate: McpPostgresGate }
  | { readonly protocol: 'ssh'; readonly gate: McpSshGate }
  | { readonly protocol: 'kubernetes'; readonly gate: McpKubeGate };

/** What every way of serving (stdio, HTTP) is built from. */
export interface PortcullisMcpOptions {
  /** The engine: identity, policy, approvals (its `approvals` answer `approval_status`). */
  readonly portcullis: Portcullis;
  /** The gated targets by policy target name. */
  readonly targets: Readonly<Record<string, McpTarget>>;
  /** The server name announced to clients (default `portcullis`). */
  readonly name?: string;
  /** The server version announced to clients (default this package's). */
  readonly version?: string;
}
