/**
 * What an adapter gives the conformance suite: its engine, people, and the requests the suite
 * needs, in the adapter's own terms.
 *
 * @packageDocumentation
 */
import type { ApprovalStore, Portcullis, Principal, Recorder, ResultCaps } from '@portcullis/core';

/** What the suite hands the factory: the engine must be built with exactly these. */
export interface ConformanceEnvironment {
  /** Where the engine keeps approvals. The suite swaps in a failing store for the fail-closed test. */
  readonly approvals: ApprovalStore;
  /** What the engine records with. The suite's sink can be made to fail. */
  readonly recorder: Recorder;
  /**
   * The result caps the adapter must be built with (SPEC §9): small, so `bigRead()` passes
   * `maxRows` (the suite gives 50 rows and 1 MiB).
   */
  readonly caps: ResultCaps;
}

/** How a caller's handle handles review. */
export interface ConformanceReview {
  readonly mode: 'defer' | 'wait';
  readonly timeoutMs?: number;
}

/**
 * The adapter under test, built by the factory for one test on the environment it was given.
 * Its policy must require recording (`recording: { required: true }`) and, for `requester` on
 * the adapter's target: allow the read, secret and error requests (masking secrets and PII),
 * send the write to review by `approver` as a `once` grant, and deny the denied request.
 */
export interface ConformanceSubject {
  /** The engine the adapter was built on (the suite approves through it). */
  readonly portcullis: Portcullis;
  /** Who the caller's handles act for: an agent acting for a person, ideally. */
  readonly requester: Principal;
  /** Someone the policy lets approve the write. */
  readonly approver: Principal;
  /** Values present on the target that the policy masks: none may reach the caller or the recording. */
  readonly secrets: readonly string[];
  /** Credentials the adapter holds (passwords, keys, connection strings): none may be reachable from a handle. */
  readonly credentials: readonly string[];
  /** Driver classes (the `pg` Client and Pool, the ssh2 Client, …) whose instances no handle may reach. */
  readonly driverClasses: readonly (abstract new (...args: never[]) => unknown)[];
  /** Opens a caller's handle for `requester` with this review mode. */
  open(review: ConformanceReview): Promise<ConformanceCaller>;
  /** How many times the write took effect on the target, observed around the gate. */
  writes(): Promise<number>;
  /** Releases everything the subject holds. */
  close(): Promise<void>;
}

/** One caller's handle and the requests the suite makes through it. */
export interface ConformanceCaller {
  /** The object the caller holds (the facade or session): inspected for driver objects and credentials. */
  readonly handle: object;
  /** An allowed request without side effects. Resolves with what the caller received. */
  read(): Promise<unknown>;
  /** A request the policy sends to review; each time it runs, `writes()` counts one more. */
  write(): Promise<unknown>;
  /** A request the policy denies. */
  denied(): Promise<unknown>;
  /** An allowed request whose raw result contains every one of `secrets`. Resolves with what the caller received. */
  secretRead(): Promise<unknown>;
  /** An allowed request the target fails with an error whose raw text carries a secret. Must reject. */
  secretError(): Promise<unknown>;
  /**
   * Required unless the suite runs with `notices: false`: for protocols with out-of-band
   * messages (PostgreSQL notices), an allowed request
   * that makes the target send such messages carrying a secret. Resolves with everything the
   * caller received (the result and every message delivered to its listeners).
   */
  secretNotice?(): Promise<unknown>;
  /**
   * Required unless the suite runs with `caps: false`: an allowed request whose result has more
   * rows (lines, items, frames) than `caps.maxRows` allows. Must reject with
   * `ERR_RESULT_TOO_LARGE`; the caller must receive no more than the cap.
   */
  bigRead?(): Promise<unknown>;
  /** Ends the handle (the recorded session ends). */
  end(): Promise<void>;
}

/** Builds the adapter under test for one test. */
export type ConformanceFactory = (env: ConformanceEnvironment) => Promise<ConformanceSubject>;

/** Options of {@link describeAdapterConformance}. */
export interface ConformanceOptions {
  /** Makes the approval store each test uses (default: a new in-memory store). */
  readonly approvals?: () => ApprovalStore | Promise<ApprovalStore>;
  /**
   * Whether the protocol has out-of-band messages (PostgreSQL notices) the suite must check
   * through `secretNotice()` (default true; ssh and Kubernetes pass false).
   */
  readonly notices?: boolean;
  /**
   * Whether the suite checks result caps through `bigRead()` (default true). Pass false only for
   * an adapter whose results have no countable rows.
   */
  readonly caps?: boolean;
  /**
   * Lets the prototype-patching test accept a request that fails closed, with the reason in the
   * test's name: for an adapter whose gate runs a client library in the caller's process
   * (Kubernetes), a name planted on `Object.prototype` (say `exec`) changes what that library
   * reads, and the gate then denies. The test still demands that no planted function runs, no
   * write happens and nothing is approved.
   */
  readonly prototypeFailsClosed?: string;
  /** Skips the whole suite (say, when the adapter's server is not available), with the reason in its name. */
  readonly skip?: string;
}
