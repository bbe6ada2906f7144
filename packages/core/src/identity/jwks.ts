import { readFile } from 'node:fs/promises';
import {
  createLocalJWKSet,
  errors,
  type CryptoKey,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
} from 'jose';
import { LONGEST_TIMER_MS } from '../longest-timer.js';
import { TokenError } from '../errors.js';
import type { JwksSource } from '../types.js';

/** Finds the verification key for a token header (jose's key-resolver shape). */
export type KeySource = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

/** How a remote key set is fetched and cached. Times are milliseconds. */
export interface JwksOptions {
  readonly now: () => Date;
  readonly fetch: typeof fetch;
  /** Least time between two fetches that are not due to expiry (unknown `kid`, or after a failure). */
  readonly cooldownMs: number;
  /** How long a fetched key set is used before it is fetched again. */
  readonly cacheMaxAgeMs: number;
  /** How long one fetch may take. */
  readonly timeoutMs: number;
}

/** A JWKS document larger than this is refused (real ones are a few kB). */
const MAX_JWKS_BYTES = 1024 * 1024;

/**
 * Builds the key resolver for a configured key source. Inline keys become a jose local set at
 * once; a file is read on first use (and again only if reading failed); a URI is fetched,
 * cached and refetched under our own rate limit (see {@link remoteKeySource}).
 *
 * @throws TypeError when the source is malformed: inline keys that are not a JWKS, or a URI that
 * is not `https:` (plain `http:` is accepted for loopback hosts only).
 */
export function createKeySource(source: JwksSource, options: JwksOptions): KeySource {
  if ('keys' in source) {
    let local: ReturnType<typeof createLocalJWKSet>;
    try {
      local = createLocalJWKSet(source as unknown as JSONWebKeySet);
    } catch (cause) {
      throw new TypeError('identity.jwks.keys is not a valid JSON Web Key Set', { cause });
    }
    return local;
  }
  if ('file' in source) return fileKeySource(source.file);
  if ('uri' in source) return remoteKeySource(parseJwksUri(source.uri), options);
  throw new TypeError('identity.jwks must have exactly one of keys, file or uri');
}

function fileKeySource(path: string): KeySource {
  if (typeof path !== 'string' || path === '') throw new TypeError('identity.jwks.file must be a path');
  let loading: Promise<KeySource> | undefined;
  const load = async (): Promise<KeySource> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (cause) {
      throw new TokenError('ERR_JWKS_UNAVAILABLE', `the JWKS file ${path} could not be read`, { cause });
    }
    return localFromJson(text, `the JWKS file ${path}`);
  };
  return async (header, token) => {
    // Read once; a failed read is not remembered, so fixing the file fixes the resolver.
    loading ??= load().catch((err: unknown) => {
      loading = undefined;
      throw err;
    });
    const local = await loading;
    return local(header, token);
  };
}

function localFromJson(text: string, what: string): KeySource {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new TokenError('ERR_JWKS_UNAVAILABLE', `${what} is not JSON`, { cause });
  }
  try {
    return createLocalJWKSet(json as JSONWebKeySet);
  } catch (cause) {
    throw new TokenError('ERR_JWKS_UNAVAILABLE', `${what} is not a JSON Web Key Set ({ "keys": [ … ] })`, {
      cause,
    });
  }
}

function parseJwksUri(uri: string): URL {
  let url: URL;
  try {
    url = new URL(uri);
  } catch (cause) {
    throw new TypeError(`identity.jwks.uri is not a URL: ${JSON.stringify(uri)}`, { cause });
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  // Keys fetched over plain HTTP could be swapped by anyone on the path; loopback is for tests
  // and sidecars.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new TypeError(
      `identity.jwks.uri must be an https: URL (http: only for loopback), got ${url.protocol}`,
    );
  }
  return url;
}

/**
 * A remote key set with the refetch policy we want, rather than jose's `createRemoteJWKSet`:
 * jose measures its cooldown from the last *successful* fetch with the global clock, so while
 * the IdP is failing every request with an unknown `kid` (or a stale set) fetches again, and
 * tests cannot move its clock. Here every fetch attempt, successful or not, starts the cooldown
 * on the injected clock; concurrent callers share one fetch; an unknown `kid` refetches at most
 * once per cooldown; a failed or stale set fails closed (`ERR_JWKS_UNAVAILABLE`) rather than
 * serving keys past `cacheMaxAgeMs`.
 */
function remoteKeySource(url: URL, options: JwksOptions): KeySource {
  const href = url.href;
  let current: { readonly local: KeySource; readonly fetchedAt: number } | undefined;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let lastError: TokenError | undefined;
  let pending: Promise<void> | undefined;

  const nowMs = (): number => options.now().getTime();

  const fetchOnce = async (): Promise<KeySource> => {
    // One controller for the timeout and for stopping at the size limit: aborting it cancels the
    // connection, so the rest of an oversized body is never received.
    const controller = new AbortController();
    const timer = setTimeout(
      () => {
        controller.abort(new Error(`timed out after ${options.timeoutMs} ms`));
      },
      Math.min(options.timeoutMs, LONGEST_TIMER_MS),
    );
    try {
      let response: Response;
      try {
        response = await options.fetch(href, {
          method: 'GET',
          redirect: 'manual',
          // Ask for the bytes as they are: then bytes received and bytes read are the same.
          headers: { accept: 'application/jwk-set+json, application/json', 'accept-encoding': 'identity' },
          signal: controller.signal,
        });
      } catch (cause) {
        throw new TokenError('ERR_JWKS_UNAVAILABLE', `the JWKS at ${href} could not be fetched`, { cause });
      }
      const refuse = (reason: string): TokenError => {
        controller.abort(new Error(reason));
        return new TokenError('ERR_JWKS_UNAVAILABLE', `the JWKS at ${href} ${reason}`);
      };
      if (response.status !== 200) throw refuse(`answered HTTP ${response.status}, expected 200`);
      const tooLarge = `is larger than ${MAX_JWKS_BYTES} bytes`;
      const length = response.headers.get('content-length');
      const declared = length === null ? undefined : Number(length);
      if (declared !== undefined && !(declared <= MAX_JWKS_BYTES)) throw refuse(tooLarge);
      const encoding = (response.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
      // fetch decompresses by itself and shows only the decompressed bytes, so the bytes
      // received of a compressed body are bounded by its Content-Length, and the decompressed
      // bytes by counting what is read below.
      if (encoding !== 'identity' && declared === undefined) {
        throw refuse('sent a compressed body without a Content-Length, so its size cannot be bounded');
      }
      const text = await readLimited(response, MAX_JWKS_BYTES, () => refuse(tooLarge), href);
      return localFromJson(text, `the JWKS at ${href}`);
    } finally {
      clearTimeout(timer);
    }
  };

  const refresh = (): Promise<void> => {
    if (pending !== undefined) return pending;
    lastAttemptAt = nowMs();
    const attempt = fetchOnce().then(
      (local) => {
        current = { local, fetchedAt: nowMs() };
        lastError = undefined;
      },
      (err: unknown) => {
        lastError =
          err instanceof TokenError
            ? err
            : new TokenError('ERR_JWKS_UNAVAILABLE', `the JWKS at ${href} could not be loaded`, {
                cause: err,
              });
        throw lastError;
      },
    );
    pending = attempt.finally(() => {
      pending = undefined;
    });
    return pending;
  };

  const coolingDown = (): boolean => nowMs() - lastAttemptAt < options.cooldownMs;

  /** A usable (present and fresh) key set, fetching one if needed and allowed. */
  const usable = async (): Promise<KeySource> => {
    if (current !== undefined && nowMs() - current.fetchedAt < options.cacheMaxAgeMs) return current.local;
    if (pending !== undefined) await pending;
    else if (coolingDown() && lastError !== undefined) {
      throw new TokenError(
        'ERR_JWKS_UNAVAILABLE',
        `the JWKS at ${href} is unavailable (last attempt failed: ${lastError.message}); retrying after the ${options.cooldownMs} ms cooldown`,
        { cause: lastError },
      );
    } else await refresh();
    if (current === undefined)
      throw new TokenError('ERR_JWKS_UNAVAILABLE', `the JWKS at ${href} is unavailable`);
    return current.local;
  };

  return async (header, token) => {
    const local = await usable();
    try {
      return await local(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
    }
    // Unknown kid: the IdP may have rotated its keys. Refetch at most once per cooldown, so a
    // flood of made-up kids costs the IdP one request, not one per token.
    if (pending !== undefined) await pending;
    else if (!coolingDown()) await refresh();
    else throw noKey();
    const next = current?.local;
    if (next === undefined || next === local) throw noKey();
    try {
      return await next(header, token);
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey) throw noKey();
      throw err;
    }
  };
}

function noKey(): TokenError {
  return new TokenError(
    'ERR_TOKEN_KEY_NOT_FOUND',
    'no key in the configured key set matches the token (kid and alg)',
  );
}

/**
 * Reads a response body as UTF-8, counting bytes as they arrive and stopping at `limit`: the
 * body is never buffered beyond the limit (an endless or decompression-bomb body costs at most
 * `limit` bytes of memory).
 */
async function readLimited(
  response: Response,
  limit: number,
  tooLarge: () => TokenError,
  href: string,
): Promise<string> {
  const body = response.body;
  if (body === null) return '';
  const reader: ReadableStreamDefaultReader<Uint8Array> = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) throw tooLarge();
      chunks.push(value);
    }
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    if (err instanceof TokenError) throw err;
    throw new TokenError('ERR_JWKS_UNAVAILABLE', `the JWKS at ${href} could not be read`, { cause: err });
  }
  return Buffer.concat(chunks, size).toString('utf8');
}
