import { createHmac, timingSafeEqual } from 'node:crypto';

/** The headers a webhook delivery carries (lower case). */
export const WEBHOOK_HEADERS = {
  /** The delivery's stable id: the same for every retry of one notification (idempotency key). */
  id: 'portcullis-webhook-id',
  /** Unix seconds when this attempt was signed. */
  timestamp: 'portcullis-webhook-timestamp',
  /** `v1=<hex HMAC-SHA-256 over "<id>.<timestamp>.<body>">`. */
  signature: 'portcullis-webhook-signature',
} as const;

/**
 * Signs one webhook attempt: HMAC-SHA-256 with the endpoint's secret over
 * `"<id>.<timestamp>.<body>"`, so a receiver can check the body, its age and its id together.
 *
 * @example
 * ```ts
 * const signature = signWebhook({ id, timestamp: Math.floor(Date.now() / 1000), body, secret });
 * // header portcullis-webhook-signature: signature
 * ```
 */
export function signWebhook(input: {
  readonly id: string;
  readonly timestamp: number;
  readonly body: string;
  readonly secret: Uint8Array;
}): string {
  const mac = createHmac('sha256', input.secret);
  mac.update(`${input.id}.${String(input.timestamp)}.`);
  mac.update(input.body);
  return `v1=${mac.digest('hex')}`;
}

/** What {@link verifyWebhookSignature} checks. */
export interface VerifyWebhookInput {
  /** The raw request body, exactly as received. */
  readonly body: string;
  /** The request headers (names in any case). */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>> | Headers;
  readonly secret: Uint8Array;
  /** How old (or how far in the future) a timestamp may be, in seconds. Default 300. */
  readonly toleranceSeconds?: number;
  /** The clock (default `() => new Date()`). */
  readonly now?: () => Date;
}

/**
 * Checks a delivery on the receiving side: the signature over id, timestamp and body, and that
 * the timestamp is within the replay window. Returns the delivery id (for de-duplicating
 * retries) or throws.
 *
 * @example
 * ```ts
 * const id = verifyWebhookSignature({ body, headers: req.headers, secret });
 * if (seen.has(id)) return; // a retry of a delivery already handled
 * ```
 * @throws Error when a header is missing, the signature does not match, or the timestamp is
 * outside the window.
 */
export function verifyWebhookSignature(input: VerifyWebhookInput): string {
  const header = (name: string): string => {
    const h = input.headers;
    const raw = h instanceof Headers ? h.get(name) : (h[name] ?? h[name.toLowerCase()]);
    const value = Array.isArray(raw) ? undefined : (raw as string | null | undefined);
    if (value === undefined || value === null || value === '') throw new Error(`missing ${name} header`);
    return value;
  };
  const id = header(WEBHOOK_HEADERS.id);
  const stamp = header(WEBHOOK_HEADERS.timestamp);
  if (!/^\d{1,12}$/.test(stamp)) throw new Error(`${WEBHOOK_HEADERS.timestamp} is not unix seconds`);
  const timestamp = Number(stamp);
  const now = Math.floor((input.now?.() ?? new Date()).getTime() / 1000);
  const tolerance = input.toleranceSeconds ?? 300;
  if (Math.abs(now - timestamp) > tolerance)
    throw new Error(`webhook timestamp is outside the ${String(tolerance)} s replay window`);
  const expected = Buffer.from(signWebhook({ id, timestamp, body: input.body, secret: input.secret }));
  const given = header(WEBHOOK_HEADERS.signature)
    .split(/\s*,\s*/)
    .map((s) => Buffer.from(s));
  if (!given.some((g) => g.length === expected.length && timingSafeEqual(g, expected)))
    throw new Error('webhook signature does not match');
  return id;
}
