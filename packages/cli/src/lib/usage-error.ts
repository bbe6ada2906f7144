/**
 * A usage or input error: bad flags, a missing file, an invalid policy or suite. The CLI prints
 * the message and exits 2.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
