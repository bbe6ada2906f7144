import { readFile } from 'node:fs/promises';
import {
  createLocalJWKSet,
  errors,
  type CryptoKey,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
} from 'jose';
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
    let response: Response;
    try {
      response = await options.fetch(href, {
        method: 'GET',
        redirect: 'manual',
        headers: { accept: 'application/jwk-set+json, application/json' },
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (cause) {
      throw new TokenError('ERR_JWKS_UNAVAILABLE', `the JWKS at ${href} could not be fetched`, { cause });
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw new TokenError(
        'ERR_JWKS_UNAVAILABLE',
        `the JWKS at ${href} answered HTTP ${response.status}, expected 200`,
      );
    }
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > MAX_JWKS_BYTES) {
      await response.body?.cancel().catch(() => undefined);
      throw new TokenError(
        'ERR_JWKS_UNAVAILABLE',
        `the JWKS at ${href} is larger than ${MAX_JWKS_BYTES} bytes`,
      );
    }
    let text: string;
    try {
      text = await response.text();
    } catch (cause) {
      throw new TokenError('ERR_JWKS_UNAVAILABLE', `the JWKS at ${href} could not be read`, { cause });
    }
    if (text.length > MAX_JWKS_BYTES) {
      throw new TokenError(
        'ERR_JWKS_UNAVAILABLE',
        `the JWKS at ${href} is larger than ${MAX_JWKS_BYTES} bytes`,
      );
    }
    return localFromJson(text, `the JWKS at ${href}`);
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
