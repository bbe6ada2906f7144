/**
 * The `data` of each recording event type (docs/ §7), so the engine, the adapters and replay
 * write and read them the same way. Every shape may carry extra members; replay shows the ones
 * named here. Results and output are stored masked: a recording never holds a secret the
 * caller was not shown.
 *
 * Events that belong to a request (decision, approval, result, output, error) name it by
 * `requestSeq`, the `seq` of its `request` event (returned by `SessionRecorder.record`).
 *
 * @packageDocumentation
 */
import type { Action, Decision, Principal, Request, Target } from '../types.js';

/** `data.seal` of `session.start` (and, with `signature`, of `session.end`) in a sealed session. */
export interface SealData {
  readonly alg: 'Ed25519';
  /** See `sealKeyId`. */
  readonly keyId: string;
  /** Only in `session.end`: base64url Ed25519 signature (see docs/recording.md). */
  readonly signature?: string;
}

/** `session.start`: who (the accountable subject), on whose behalf an agent acts, and where. */
export interface SessionStartData {
  readonly principal: Principal;
  readonly target: Target;
  /** Written by the recorder when a sealing key is configured; callers must not set it. */
  readonly seal?: SealData;
}

/** `request`: one request as the caller made it, and what it classified into. */
export interface RequestEventData {
  readonly request: Request;
  /** The target, when it differs from the session's. */
  readonly target?: Target;
  readonly actions?: readonly Action[];
}

/** `decision`: the decision for the request `requestSeq`, as the engine returned it. */
export type DecisionEventData = Decision & { readonly requestSeq: number };

/**
 * `approval`: a change in the approval state of the request `requestSeq`. A grant is `used` at
 * once, or — inside a transaction — `reserved`, then `consumed` when the transaction commits or
 * `released` when it certainly did not (then it can be used again).
 */
export interface ApprovalEventData {
  readonly requestSeq: number;
  readonly approvalId: string;
  readonly status:
    'pending' | 'approved' | 'denied' | 'expired' | 'used' | 'reserved' | 'consumed' | 'released';
  /** The distinct people who approved (or denied) so far. */
  readonly by?: readonly string[];
  readonly comment?: string;
}

/** `result`: the (masked) outcome of the request `requestSeq`. */
export interface ResultEventData {
  readonly requestSeq: number;
  /** A one-line summary: the SQL command tag (`SELECT 3`), `exit 0`, `201 Created`. */
  readonly summary?: string;
  readonly rowCount?: number;
  readonly exitCode?: number;
  readonly signal?: string;
  /** The masked result: rows, an object or text, possibly truncated. */
  readonly body?: unknown;
  /** Whether `body` was cut short. */
  readonly truncated?: boolean;
  /** How many values masking replaced. */
  readonly masked?: number;
  readonly durationMs?: number;
}

/**
 * `output`: a chunk of (masked) terminal output, as SSH exec and shell produce it; `stdin` is
 * what was typed into an interactive shell (masked too).
 */
export interface OutputEventData {
  readonly requestSeq?: number;
  readonly stream: 'stdout' | 'stderr' | 'stdin';
  /** The masked text. */
  readonly data: string;
  /** Seconds since `session.start` (monotonic), the asciicast event time. */
  readonly elapsed: number;
}

/** `error`: something failed: a denial, a driver error, a recording or approval store failure. */
export interface ErrorEventData {
  readonly requestSeq?: number;
  /** A Portcullis error code (`ERR_DENIED`) or the driver's code (`42P01`, `ECONNRESET`). */
  readonly code: string;
  /** The (masked) message. */
  readonly message: string;
}

/** `session.end`: why the session ended; in a sealed session also the seal. */
export interface SessionEndData {
  readonly reason?: string;
  /** Written by the recorder when a sealing key is configured; callers must not set it. */
  readonly seal?: SealData;
}
