// What one request or upgrade at the gate's listener is, once its session token is checked:
// the exact method, target, headers and body that would go upstream, and how to answer it.
import type { ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';

/** A plain HTTP request. */
export interface KubeHttpCall {
  readonly kind: 'http';
  readonly method: string;
  /** The request target exactly as received (origin-form: path and query). */
  readonly path: string;
  /** Headers as forwarded (see `forwardedHeaders`). */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly body: Buffer;
  /** Where the answer goes. */
  readonly response: ServerResponse;
}

/** A WebSocket upgrade (exec, attach, port-forward, or any other path). */
export interface KubeUpgradeCall {
  readonly kind: 'upgrade';
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, readonly string[]>>;
  /** The subprotocols the client offered that the gate can relay, in the client's order. */
  readonly protocols: readonly string[];
  /** Completes the client's handshake with the subprotocol the API server chose. */
  accept(protocol: string): Promise<WebSocket>;
  /** Answers the upgrade with an HTTP status and body instead. */
  refuse(code: number, contentType: string, body: string): void;
}

/** A call at the gate. */
export type KubeCall = KubeHttpCall | KubeUpgradeCall;
