/**
 * Public types of `@portcullis/k8s`.
 *
 * @packageDocumentation
 */
import type { Portcullis, Principal, PrincipalInput, ResultCaps, ReviewOptions } from '@portcullis/core';

/**
 * The parts of a `@kubernetes/client-node` `KubeConfig` (1.x or 2.x) the gate uses. The host's
 * KubeConfig holds the real credential; the gate reads its current context, cluster and user
 * (own properties only) and applies them through a new instance of its class, as it makes
 * session KubeConfigs.
 */
export interface KubeConfigLike {
  getContexts(): readonly unknown[];
  getClusters(): readonly unknown[];
  getUsers(): readonly unknown[];
  getCurrentContext(): string;
  applyToHTTPSOptions(options: object): Promise<void>;
  loadFromOptions(options: unknown): void;
}

/** Options of {@link createKubeGate}. */
export interface CreateKubeGateOptions<K extends KubeConfigLike> {
  /** The host's KubeConfig: its current context's cluster and credential are what the gate uses. */
  readonly kubeConfig: K;
  /** The engine. */
  readonly portcullis: Portcullis;
  /** The policy's target name (protocol `kubernetes`). */
  readonly target: string;
  /** How sessions handle `review` by default (default `{ mode: 'defer' }`: a 403 with the approval id at once). */
  readonly review?: ReviewOptions;
  /**
   * Caps per request: bytes and rows (watch events) of a response, and how long one request
   * may run (default 10 minutes, which also ends long watches, log follows, exec sessions and
   * port-forwards; clients reconnect through the gate).
   */
  readonly caps?: Partial<ResultCaps>;
  /** The `hash` masking style's key. */
  readonly hashKey?: string | Uint8Array;
  /** The largest request body accepted (default 3 MiB, the API server's own limit). */
  readonly maxBodyBytes?: number;
  /** The loopback port to listen on (default: any free port). */
  readonly port?: number;
}

/** Options of {@link KubeGate.as} and {@link KubeGate.withToken}. */
export interface KubeSessionOptions {
  /** This session's review mode (default: the gate's). */
  readonly review?: ReviewOptions;
  /** The namespace the session's KubeConfig and kubeconfig file select (default none: `default`). */
  readonly namespace?: string;
}

/** A running gate: a loopback HTTP/WebSocket listener in the host process. */
export interface KubeGate<K extends KubeConfigLike> {
  /** `https://127.0.0.1:<port>`: only session tokens are accepted there. */
  readonly url: string;
  /**
   * The PEM certificate of the gate's listener, made fresh when it started (session KubeConfigs
   * and kubeconfig files carry it, so clients verify the gate without turning TLS checks off).
   */
  readonly ca: string;
  readonly target: string;
  /**
   * A session for a principal the host has already authenticated. `kind` may be left out: it
   * defaults to `human` (pass `kind: 'agent'` and `actor` for an agent acting for a person).
   *
   * @throws TypeError when the principal has no subject, no groups list or an unknown kind.
   */
  as(principal: PrincipalInput, options?: KubeSessionOptions): KubeSession<K>;
  /**
   * A session for the principal a bearer token resolves to (the policy's identity).
   *
   * @throws TokenError when the token is rejected.
   */
  withToken(token: string, options?: KubeSessionOptions): Promise<KubeSession<K>>;
  /** Ends every session, stops the listener and drops upstream connections. */
  close(): Promise<void>;
}

/** One object: `apiVersion` (default `v1`), the resource's plural name, namespace and name. */
export interface KubeObjectRef {
  readonly apiVersion?: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name: string;
}

/** A collection, optionally filtered. */
export interface KubeListOptions {
  readonly apiVersion?: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
}

/** Options of {@link KubeSession.watch}: a bounded watch that returns the events it saw. */
export interface KubeWatchOptions extends KubeListOptions {
  /** Start after this resourceVersion (default: the current state as `ADDED` events first). */
  readonly resourceVersion?: string;
  /** Stop after this many seconds (default 5). */
  readonly timeoutSeconds?: number;
  /** Stop after this many events (default 100). */
  readonly maxEvents?: number;
}

/** One watch event, masked. */
export interface KubeWatchEvent {
  readonly type: string;
  readonly object: unknown;
}

/** Options of {@link KubeSession.exec}. */
export interface KubeExecOptions {
  readonly namespace: string;
  readonly pod: string;
  readonly container?: string;
  /** The program and its arguments (no shell unless you name one). */
  readonly command: readonly string[];
  /** Text written to the program's stdin, which is then closed (absent: no stdin). */
  readonly stdin?: string;
}

/** What an exec returned, masked. */
export interface KubeExecResult {
  readonly stdout: string;
  readonly stderr: string;
  /** The exit code (0 on success), or `null` when the API server sent no status. */
  readonly exitCode: number | null;
}

/** Options of {@link KubeSession.logs}. */
export interface KubeLogsOptions {
  readonly namespace: string;
  readonly pod: string;
  readonly container?: string;
  readonly tailLines?: number;
  readonly sinceSeconds?: number;
  readonly previous?: boolean;
}

/**
 * One principal's session on the gate. Hand the agent this (or only its `kubeConfig()` or
 * kubeconfig file): it holds a session token, never the real credential.
 */
export interface KubeSession<K extends KubeConfigLike> {
  readonly principal: Principal;
  readonly target: string;
  /** A new KubeConfig pointing at the gate with this session's token (any client-node API works through it). */
  kubeConfig(): K;
  /**
   * Writes a kubeconfig file for `kubectl`/`helm` subprocesses, holding only the session token
   * and the gate's CA. The file is created by this call, mode 0600 from its creation: a path
   * that exists already (a file, a directory, a symlink, dangling or not) is refused, never
   * overwritten or re-permissioned, so the holder of a session cannot have the host truncate
   * its recording or policy. Write each session's file to a new path (a fresh `mkdtemp`
   * directory) and remove it when done.
   *
   * @example
   * ```ts
   * const dir = await mkdtemp(join(tmpdir(), 'agent-'));
   * await session.writeKubeconfig(join(dir, 'kubeconfig'));
   * ```
   * @throws an `EEXIST` error when the path exists, `ELOOP` where it is a symlink the platform
   * reports so, or another file-system error; `TypeError` for an empty path.
   */
  writeKubeconfig(path: string): Promise<void>;
  /** One object, masked. @throws DeniedError, ReviewRequiredError, KubeApiError. */
  get(ref: KubeObjectRef): Promise<unknown>;
  /** A list, masked. */
  list(options: KubeListOptions): Promise<unknown>;
  /**
   * Creates the object, or when it exists, merge-patches it with the object (each step is a
   * request of its own, classified and decided). `resource` defaults to the kind's plural.
   */
  apply(
    object: Readonly<Record<string, unknown>>,
    options?: { readonly resource?: string },
  ): Promise<unknown>;
  /** Deletes one object. */
  delete(ref: KubeObjectRef): Promise<unknown>;
  /** Runs a program in a container (over WebSocket) and returns its masked output. */
  exec(options: KubeExecOptions): Promise<KubeExecResult>;
  /** A container's log, masked. */
  logs(options: KubeLogsOptions): Promise<string>;
  /** A bounded watch: the masked events seen until the timeout or the event limit. */
  watch(options: KubeWatchOptions): Promise<readonly KubeWatchEvent[]>;
  /** Ends the session: its token stops working and its recording ends. */
  end(): Promise<void>;
}
