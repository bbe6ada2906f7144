// Who hears of each masked value while a piece of masking runs: the gate counts findings by
// detector per execution (for telemetry) without a findings list on every masking call. The
// masker is synchronous, so the sink is set around one call and restored after it.

/** Hears the label of each masked value (a detector id, `column`, `field`, `kubernetes-secret`). */
export type FindingSink = (label: string) => void;

let current: FindingSink | undefined;

/**
 * Runs `fn` with `sink` hearing every value the masker replaces meanwhile; the sink in force
 * before is restored afterwards (sinks nest: the inner one hears, the outer one does not).
 *
 * @example
 * ```ts
 * const labels: string[] = [];
 * const text = collectFindings((l) => labels.push(l), () => masker.maskText(input).text);
 * ```
 * @throws whatever `fn` throws.
 */
export function collectFindings<T>(sink: FindingSink, fn: () => T): T {
  const before = current;
  current = sink;
  try {
    return fn();
  } finally {
    current = before;
  }
}

/**
 * Puts `sink` in force and returns the one it replaces, for {@link leaveFindings}: what
 * {@link collectFindings} does, for a caller on a hot path that would otherwise make a closure
 * per call. Restore in a `finally`.
 *
 * @example
 * ```ts
 * const before = enterFindings(sink);
 * try { return masker.maskText(text).text; } finally { leaveFindings(before); }
 * ```
 */
export function enterFindings(sink: FindingSink): FindingSink | undefined {
  const before = current;
  current = sink;
  return before;
}

/**
 * Restores the sink {@link enterFindings} replaced.
 *
 * @example
 * ```ts
 * leaveFindings(before);
 * ```
 */
export function leaveFindings(before: FindingSink | undefined): void {
  current = before;
}

/**
 * Tells the sink in force (if any) that a value was masked under `label`. Never throws: a
 * sink that fails is ignored, masking goes on.
 *
 * @example
 * ```ts
 * noteFinding('aws-access-key');
 * ```
 */
export function noteFinding(label: string): void {
  if (current === undefined) return;
  try {
    current(label);
  } catch {
    // Counting is an observer; masking must not fail because of it.
  }
}
