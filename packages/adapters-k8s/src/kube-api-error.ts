/**
 * The API server answered a gated request with an error `Status` (not found, conflict,
 * invalid…). Its message and `status` are masked like every other response. Enforcement
 * outcomes (denials, reviews) are Portcullis errors instead.
 */
export class KubeApiError extends Error {
  /** The HTTP status code (404, 409, 422, …). */
  readonly statusCode: number;
  /** The Kubernetes `reason` (`NotFound`, `AlreadyExists`, `Invalid`, …), when the body was a Status. */
  readonly reason: string | undefined;
  /** The masked `Status` body, when there was one. */
  readonly status: unknown;

  constructor(message: string, statusCode: number, status: unknown) {
    super(message);
    this.name = 'KubeApiError';
    this.statusCode = statusCode;
    const reason = (status as { reason?: unknown } | null)?.reason;
    this.reason = typeof reason === 'string' ? reason : undefined;
    this.status = status;
  }
}
