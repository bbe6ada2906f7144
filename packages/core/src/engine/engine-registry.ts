import type { Portcullis } from './types.js';
import type { AuthorizeDeps } from './authorize.js';

// Which parts each engine built here runs on, for the gate runtime (core/src/gate) only: with
// them it decides once per plan and reuses the decision. Not exported from the package: a
// caller holding a Portcullis cannot reach its store, recorder or classifier through it.
const engines = new WeakMap<Portcullis, EngineParts>();

/** What the gate runtime may use of an engine. */
export interface EngineParts {
  readonly deps: AuthorizeDeps;
  /** Whether `startSession` can start a recording at all. */
  readonly recorder: boolean;
}

/**
 * Remembers the parts `portcullis` was built on. Called once, by `buildPortcullis`.
 *
 * @example
 * ```ts
 * registerEngine(portcullis, { deps: authorizeDeps, recorder: true });
 * ```
 */
export function registerEngine(portcullis: Portcullis, parts: EngineParts): void {
  engines.set(portcullis, Object.freeze(parts));
}

/**
 * The parts of an engine built by `createPortcullis`, or `undefined` for any other object that
 * implements `Portcullis` (a test double): the gate then calls its `authorize` every time.
 *
 * @example
 * ```ts
 * const parts = engineParts(portcullis);
 * ```
 */
export function engineParts(portcullis: Portcullis): EngineParts | undefined {
  return engines.get(portcullis);
}
