import { createHash } from 'node:crypto';
import { createMasker, type ApprovalChange, type ApprovalStore, type Masker } from '@portcullis/core';
import { describeApproval } from '../lib/describe-approval.js';
import { signWebhook, WEBHOOK_HEADERS } from './sign-webhook.js';
import { jsonBody, slackBody } from './webhook-payload.js';

/** One place to notify. */
export interface WebhookEndpoint {
  /** An `http:` or `https:` URL. Redirects are not followed. */
  readonly url: string;
  /** The HMAC-SHA-256 key the receiver checks signatures with: at least 32 bytes. */
  readonly secret: Uint8Array;
  /** `json` (default): {@link WebhookBody}; `slack`: a Slack-compatible `{ text, blocks }`. */
  readonly format?: 'json' | 'slack';
  /** Which changes to send (default: all of `created`, `voted`, `consumed`). */
  readonly events?: readonly ApprovalChange['type'][];
}

/** What happened to one delivery, for the host's logs and metrics. */
export interface WebhookDeliveryReport {
  readonly id: string;
  readonly url: string;
  readonly attempts: number;
  /** `delivered`: a 2xx answer; `failed`: gave up (retries spent or an answer not worth retrying); `dropped`: the queue was full or the notifier closed. */
  readonly outcome: 'delivered' | 'failed' | 'dropped';
  /** The last HTTP status, when there was an answer. */
  readonly status?: number;
  /** Why it failed, when it did. */
  readonly error?: string;
}

/** Options of {@link createWebhookNotifier}. */
export interface WebhookNotifierOptions {
  /** The store whose changes are announced (`ApprovalStore.subscribe`). */
  readonly store: ApprovalStore;
  readonly endpoints: readonly WebhookEndpoint[];
  /** Masks request text and comments before they leave (default: every built-in detector). */
  readonly masker?: Masker;
  /** The console's public address; each body then links to the approval's page. */
  readonly consoleUrl?: string;
  /** Attempts per delivery, the first included (default 8). */
  readonly maxAttempts?: number;
  /**
   * The first retry's delay in ms; each retry doubles it, with full jitter (default 1000). This
   * and the two below are at most 2147483647 ms (about 24.8 days), the longest a timer waits.
   */
  readonly baseDelayMs?: number;
  /** The longest delay between attempts in ms, also the cap on `Retry-After` (default 300000). */
  readonly maxDelayMs?: number;
  /** How long one attempt may take in ms (default 10000). */
  readonly timeoutMs?: number;
  /** Deliveries in flight at most; more are dropped and reported (default 1000). */
  readonly maxInFlight?: number;
  /** The HTTP client (default the global `fetch`). */
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
  /** Jitter source in [0, 1) (default `Math.random`). */
  readonly random?: () => number;
  /** Called once per delivery when it ends. Must not throw; what it throws is ignored. */
  readonly onDelivery?: (report: WebhookDeliveryReport) => void;
}

/** A running notifier (see {@link createWebhookNotifier}). */
export interface WebhookNotifier {
  /** Resolves when every delivery started so far has ended. */
  idle(): Promise<void>;
  /** Stops listening; pending retries are dropped; resolves when attempts in progress end. */
  close(): Promise<void>;
}

/**
 * Sends a signed HTTP POST to every endpoint for each change of the approval store (a request
 * created, a vote, a grant used). A notifier is an observer: a failing, slow or unreachable
 * endpoint never blocks, delays or changes a decision — deliveries run beside the store, are
 * retried with exponential backoff and jitter (network errors, 408, 425, 429 and 5xx; honouring
 * `Retry-After`), and give up quietly, reported through `onDelivery`.
 *
 * Every attempt carries `portcullis-webhook-id` (the same for every retry: an idempotency
 * key), `portcullis-webhook-timestamp` and `portcullis-webhook-signature`; receivers check them
 * with {@link verifyWebhookSignature}. Request text is masked before it leaves.
 *
 * @example
 * ```ts
 * const notifier = createWebhookNotifier({
 *   store,
 *   endpoints: [{ url: 'https://hooks.example.com/portcullis', secret, format: 'slack' }],
 *   consoleUrl: 'https://approvals.example.com/',
 * });
 * // … on shutdown
 * await notifier.close();
 * ```
 * @throws TypeError for an endpoint without an http(s) URL or with a secret under 32 bytes.
 */
export function createWebhookNotifier(options: WebhookNotifierOptions): WebhookNotifier {
  const endpoints = options.endpoints.map(checkEndpoint);
  const masker = options.masker ?? createMasker();
  const send = options.fetch ?? fetch;
  const now = options.now ?? (() => new Date());
  const random = options.random ?? Math.random;
  const maxAttempts = positive(options.maxAttempts ?? 8, 'maxAttempts');
  const baseDelay = milliseconds(options.baseDelayMs ?? 1000, 'baseDelayMs');
  const maxDelay = milliseconds(options.maxDelayMs ?? 300_000, 'maxDelayMs');
  const timeoutMs = milliseconds(options.timeoutMs ?? 10_000, 'timeoutMs');
  const maxInFlight = positive(options.maxInFlight ?? 1000, 'maxInFlight');
  const stop = new AbortController();
  const inFlight = new Set<Promise<void>>();

  const report = (r: WebhookDeliveryReport): void => {
    try {
      options.onDelivery?.(r);
    } catch {
      // An observer of an observer: ignored.
    }
  };

  const deliver = async (id: string, endpoint: CheckedEndpoint, body: string): Promise<void> => {
    let status: number | undefined;
    let error: string | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (stop.signal.aborted) {
        report({ id, url: endpoint.url, attempts: attempt - 1, outcome: 'dropped' });
        return;
      }
      const timestamp = Math.floor(now().getTime() / 1000);
      let retryAfterMs: number | undefined;
      let retry = true;
      try {
        const res = await send(endpoint.url, {
          method: 'POST',
          redirect: 'manual',
          signal: AbortSignal.any([stop.signal, AbortSignal.timeout(timeoutMs)]),
          headers: {
            'content-type': 'application/json',
            'user-agent': 'portcullis-webhooks',
            'idempotency-key': id,
            [WEBHOOK_HEADERS.id]: id,
            [WEBHOOK_HEADERS.timestamp]: String(timestamp),
            [WEBHOOK_HEADERS.signature]: signWebhook({ id, timestamp, body, secret: endpoint.secret }),
          },
          body,
        });
        status = res.status;
        await res.body?.cancel().catch(() => undefined);
        if (res.status >= 200 && res.status < 300) {
          report({ id, url: endpoint.url, attempts: attempt, outcome: 'delivered', status });
          return;
        }
        error = `HTTP ${String(res.status)}`;
        retry = res.status === 408 || res.status === 425 || res.status === 429 || res.status >= 500;
        retryAfterMs = retryAfter(res.headers.get('retry-after'), now());
      } catch (err) {
        error = (err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message;
        status = undefined;
      }
      if (!retry || attempt === maxAttempts) break;
      const backoff = Math.min(maxDelay, baseDelay * 2 ** (attempt - 1)) * random();
      const delay = Math.min(maxDelay, Math.max(backoff, retryAfterMs ?? 0));
      if (!(await sleep(delay, stop.signal))) {
        report({ id, url: endpoint.url, attempts: attempt, outcome: 'dropped' });
        return;
      }
    }
    report({
      id,
      url: endpoint.url,
      attempts: maxAttempts,
      outcome: 'failed',
      ...(status === undefined ? {} : { status }),
      ...(error === undefined ? {} : { error }),
    });
  };

  const unsubscribe = options.store.subscribe((change) => {
    if (stop.signal.aborted) return;
    const at = now();
    const view = describeApproval(change.approval, masker);
    const url =
      options.consoleUrl === undefined
        ? undefined
        : new URL(`approvals/${encodeURIComponent(change.approval.id)}`, withSlash(options.consoleUrl)).href;
    // One id per change, the same for every endpoint's retries: receivers de-duplicate on it.
    const id = deliveryId(change);
    for (const endpoint of endpoints) {
      if (!endpoint.events.has(change.type)) continue;
      if (inFlight.size >= maxInFlight) {
        report({
          id,
          url: endpoint.url,
          attempts: 0,
          outcome: 'dropped',
          error: 'too many deliveries in flight',
        });
        continue;
      }
      const body = JSON.stringify(
        endpoint.format === 'slack' ? slackBody(change, view, url) : jsonBody(id, change, view, at, url),
      );
      const job = deliver(id, endpoint, body).finally(() => inFlight.delete(job));
      inFlight.add(job);
    }
  });

  return Object.freeze({
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    async close() {
      unsubscribe();
      stop.abort(new Error('the webhook notifier was closed'));
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  });
}

interface CheckedEndpoint {
  readonly url: string;
  readonly secret: Uint8Array;
  readonly format: 'json' | 'slack';
  readonly events: ReadonlySet<ApprovalChange['type']>;
}

function checkEndpoint(endpoint: WebhookEndpoint): CheckedEndpoint {
  let url: URL;
  try {
    url = new URL(endpoint.url);
  } catch {
    throw new TypeError(`webhook url "${endpoint.url}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new TypeError(`webhook url ${url.href} must be http: or https:`);
  if (!(endpoint.secret instanceof Uint8Array) || endpoint.secret.byteLength < 32)
    throw new TypeError(`the secret of webhook ${url.origin} must be a Uint8Array of at least 32 bytes`);
  const format = endpoint.format ?? 'json';
  if (!['json', 'slack'].includes(format))
    throw new TypeError(`webhook format must be "json" or "slack", not "${format}"`);
  return {
    url: url.href,
    secret: Uint8Array.from(endpoint.secret),
    format,
    events: new Set(endpoint.events ?? ['created', 'voted', 'consumed']),
  };
}

/** Stable for one change of one approval: its id, the kind of change, its status and vote count. */
function deliveryId(change: ApprovalChange): string {
  const a = change.approval;
  const key = [a.id, change.type, a.status, String(a.votes.length), a.consumedAt ?? ''].join('\u0000');
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

/** `Retry-After` as ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
function retryAfter(value: string | null, now: Date): number | undefined {
  if (value === null) return undefined;
  if (/^\d{1,9}$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/** Resolves true after `ms`, false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve(false);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number`);
  return value;
}

/** The longest delay a Node.js timer keeps (it fires a longer one after 1 ms). */
const LONGEST_TIMER_MS = 2_147_483_647;

function milliseconds(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0 || value > LONGEST_TIMER_MS)
    throw new TypeError(`${name} must be a positive number of milliseconds, at most ${LONGEST_TIMER_MS}`);
  return value;
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
